from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.sandbox import Sandbox

BASE_URL = "http://sandbox/v2"
T0 = 1_780_000_000.0


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Env:
    """A sandbox app, its synchronous test client and its fake clock."""

    def __init__(self, **kwargs: Any) -> None:
        self.clock = FakeClock()
        kwargs.setdefault("clock", self.clock)
        self.app = create_app(**kwargs)
        self.sandbox: Sandbox = self.app.state.sandbox
        self.client = TestClient(self.app, base_url=BASE_URL)

    @property
    def store(self):  # noqa: ANN201
        return self.sandbox.store

    def sims(self, **match: Any) -> list[dict[str, Any]]:
        out = []
        for sim in self.store.all("sim_cards"):
            if all(
                (sim["status"]["value"] if k == "status" else sim.get(k)) == v
                for k, v in match.items()
            ):
                out.append(sim)
        return out

    def group(self, name: str) -> dict[str, Any]:
        return next(g for g in self.store.all("sim_card_groups") if g["name"] == name)


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    yield e
    e.client.close()


@pytest.fixture
def make_env() -> Iterator[Any]:
    """Build sandboxes with options (`make_env(rate_limit=3)`); all are closed afterwards."""
    made: list[Env] = []

    def make(**kwargs: Any) -> Env:
        made.append(Env(**kwargs))
        return made[-1]

    yield make
    for e in made:
        e.client.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
