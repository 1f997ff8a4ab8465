import atexit
import os
import shutil
import tempfile

import pytest

# The server keeps spent confirmation tokens and its secret in the user's state directory: the tests (and
# every server process they start, which inherits the environment) use a directory of their own instead.
TEST_STATE_HOME = tempfile.mkdtemp(prefix="telnyx-iot-mcp-tests-state-")
os.environ["XDG_STATE_HOME"] = TEST_STATE_HOME
os.environ.pop("TELNYX_IOT_MCP_STATE_DIR", None)
os.environ.pop("TELNYX_IOT_MCP_STATE_URL", None)
atexit.register(shutil.rmtree, TEST_STATE_HOME, True)


@pytest.fixture(autouse=True)
def secrets_of_this_test_only():
    """Every secret a server registers is masked for the rest of its process; in one pytest process that
    would let one test's keys mask another test's output (a fingerprint that happens to share 8 characters)."""
    from telnyx_iot_mcp.tools import redact

    before = set(redact._secrets)
    yield
    redact._secrets.intersection_update(before)
    redact._learned.clear()


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
