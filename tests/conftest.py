import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def served_api_mock():
    from api_mock import ApiMock, Served

    mock = ApiMock()
    with Served(mock.app()) as served:
        mock.url = f"http://127.0.0.1:{served.port}/v2"
        yield mock


@pytest.fixture
def api_mock(served_api_mock):
    served_api_mock.requests.clear()
    served_api_mock.replies.clear()
    return served_api_mock
