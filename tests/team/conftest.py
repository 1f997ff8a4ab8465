import pytest

from issuer import Issuer, missing, signing_key


@pytest.fixture(scope="session")
def keys():
    """The issuer's signing key (private JWK and key object)."""
    return signing_key()


@pytest.fixture(scope="session")
def issuer(keys):
    why = missing()
    if why:
        pytest.fail(why)
    with Issuer([keys[0]], opaque=("http://127.0.0.1:1/opaque-resource",)) as running:
        yield running
