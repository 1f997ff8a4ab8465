"""The catalog snapshot and the tool table of docs/tools.md are current: a catalog change shows up in review."""

from telnyx_iot_mcp.server.catalog import SNAPSHOT, TOOLS_PAGE, page_with_table, snapshot_text, tool_table
from telnyx_iot_mcp.server.selection import CATALOG

FIX = "run `python scripts/update_generated.py` and review the diff"


def test_catalog_snapshot_is_current():
    assert SNAPSHOT.read_text() == snapshot_text(), f"the tool catalog changed: {FIX}"


def test_docs_tool_table_is_current():
    page = TOOLS_PAGE.read_text()
    assert page_with_table(page) == page, f"the tool table of docs/tools.md is stale: {FIX}"


def test_table_lists_every_tool_once():
    rows = [line for line in tool_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(CATALOG)
