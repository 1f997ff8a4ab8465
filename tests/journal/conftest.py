import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "gate"))  # the plan rig: a sandbox server, every request recorded


@pytest.fixture
def anyio_backend():
    return "asyncio"
