"""Prometheus metrics, served at /metrics with `--metrics` (TELNYX_IOT_MCP_METRICS=1).

What an operator watches: tool calls by tool and outcome, the gate's decisions, requests to Telnyx (latency by
operation and status, and how many Telnyx rate-limited), the items of change plans, refused HTTP requests, and
whether the state store answers. `prometheus-client` is optional (the `metrics` extra): without it, or without
`--metrics`, every function here does nothing.

The path is served on the MCP port without a token: keep it private (see docs/team.md).
"""

from __future__ import annotations

from typing import Any

try:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
    from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
except ImportError:  # pragma: no cover - the extra is not installed
    CollectorRegistry = None  # type: ignore[assignment,misc]

PREFIX = "telnyx_iot_mcp"
METRICS_PATH = "/metrics"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls = Counter(f"{PREFIX}_tool_calls", "Tool calls by tool, the class they were judged at, and outcome",
                             ["tool", "kind", "outcome"], registry=r)
        self.gate = Counter(f"{PREFIX}_gate_decisions", "How changes were confirmed (or not) and how they ended",
                            ["confirmation", "outcome"], registry=r)
        self.upstream = Histogram(f"{PREFIX}_upstream_request_seconds", "Requests to the Telnyx API by status",
                                  ["operation", "status"], registry=r,
                                  buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.rate_limited = Counter(f"{PREFIX}_upstream_rate_limited", "Telnyx answers 429 (rate-limited)",
                                    ["operation"], registry=r)
        self.plan_items = Counter(f"{PREFIX}_plan_items", "SIM cards of change plans by operation and outcome",
                                  ["operation", "outcome"], registry=r)
        self.refusals = Counter(f"{PREFIX}_http_refusals", "HTTP requests refused before any tool ran, by reason",
                                ["reason"], registry=r)
        self.store_up = Gauge(f"{PREFIX}_state_store_up", "1 when the state store answered at the last scrape",
                              registry=r)


_metrics: Metrics | None = None


def enable() -> Metrics | None:
    """Start counting (once per process). None when prometheus-client is not installed."""
    global _metrics
    if _metrics is None and CollectorRegistry is not None:
        _metrics = Metrics()
    return _metrics


def call(tool: str | None, kind: str | None, outcome: str | None, confirmation: str) -> None:
    if _metrics is None or tool is None or outcome is None:
        return
    _metrics.calls.labels(tool, kind or "", outcome).inc()
    if kind and kind != "read":
        _metrics.gate.labels(confirmation, outcome).inc()


def upstream(operation: str | None, status: int | None, seconds: float) -> None:
    if _metrics is None:
        return
    label = operation or "other"
    _metrics.upstream.labels(label, str(status) if status else "no_answer").observe(seconds)
    if status == 429:
        _metrics.rate_limited.labels(label).inc()


def plan_item(operation: str, outcome: str) -> None:
    if _metrics is not None:
        _metrics.plan_items.labels(operation, outcome).inc()


def refused(reason: str) -> None:
    if _metrics is not None:
        _metrics.refusals.labels(reason).inc()


def route(store: Any) -> Any:
    """The /metrics route; asks `store` whether it answers at each scrape."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    metrics = enable()
    if metrics is None:
        raise RuntimeError("metrics need prometheus-client: pip install 'telnyx-iot-mcp[metrics]'")

    async def scrape(request: Request) -> Response:
        import anyio

        up = 0
        if store is not None:
            with anyio.move_on_after(2):
                try:
                    await store.secret()
                    up = 1
                except Exception:  # StoreUnavailable, or anything else: the store does not answer
                    up = 0
        metrics.store_up.set(up)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Route(METRICS_PATH, scrape, methods=["GET"])
