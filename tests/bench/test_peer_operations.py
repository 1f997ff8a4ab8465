"""The benchmark's peer is built from every OpenAPI extract, so its rows compare the same operations as ours."""

import importlib.util
import json
from pathlib import Path

import pytest

from telnyx_iot_mcp.tools.registry import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
# The facts files carry the same paths and operationIds as the extracts the peer reads (less Telnyx's prose).
FACTS = [ROOT / "sandbox" / "telnyx-iot-openapi.facts.json", ROOT / "sandbox" / "telnyx-iot-extra-openapi.facts.json"]


def bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_operation_of_ours_is_one_of_the_peers_tools():
    run = bench_run()
    assert [path.name for path in run.DEFAULT_SPECS] == ["telnyx-iot-openapi.json", "telnyx-iot-extra-openapi.json"]
    merged = run.merged_spec(FACTS)
    operations = [op for item in merged["paths"].values() for method, op in item.items()
                  if method in ("get", "post", "patch", "delete")]
    ids = run.operation_ids(merged)
    assert len(operations) == len(OPERATIONS) == len(ids) == len(set(ids.values()))  # one tool each, both sides
    assert ids["list_private_wireless_gateways"] == "GetPrivateWirelessGateways"
    assert ids["get_sim_card"] == "GetSimCard"


def test_extracts_that_disagree_are_refused(tmp_path):
    run = bench_run()
    first, extra = (json.loads(path.read_text()) for path in FACTS)
    name = next(iter(extra["components"]["schemas"]))
    first["components"]["schemas"][name] = {"type": "string"}
    clash = tmp_path / "first.json"
    clash.write_text(json.dumps(first))
    with pytest.raises(SystemExit, match=name):
        run.merged_spec([clash, FACTS[1]])
    with pytest.raises(SystemExit, match="more than one"):
        run.merged_spec([FACTS[1], FACTS[1]])


def test_each_row_shows_its_ratio_to_the_peers_same_operations():
    run = bench_run()
    row = run.footprint([{"name": "a", "description": "x" * 50, "inputSchema": {"type": "object"}}], "")
    peer = run.footprint([{"name": "A", "description": "x" * 150, "inputSchema": {"type": "object"}}], "")
    text = run.table({"footprint": {"ours: toolset t": {**row, "operations": 1, "peer_same_operations": peer}}})
    line = next(line for line in text.splitlines() if "toolset t" in line)
    assert f"{row['model_bytes'] / peer['model_bytes']:.2f}x" in line and f"{peer['model_bytes']:,}" in line
