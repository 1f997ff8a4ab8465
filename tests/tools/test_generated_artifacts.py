"""The catalog snapshot and the README's tool table are current: a catalog change shows up in review."""

from telnyx_iot_mcp.server.catalog import README, SNAPSHOT, readme_with_table, snapshot_text, tool_table
from telnyx_iot_mcp.server.selection import CATALOG

FIX = "run `python scripts/update_generated.py` and review the diff"


def test_catalog_snapshot_is_current():
    assert SNAPSHOT.read_text() == snapshot_text(), f"the tool catalog changed: {FIX}"


def test_readme_tool_table_is_current():
    readme = README.read_text()
    assert readme_with_table(readme) == readme, f"the README's tool table is stale: {FIX}"


def test_table_lists_every_tool_once():
    rows = [line for line in tool_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(CATALOG)
