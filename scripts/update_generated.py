"""Rewrite what is generated from the registry: the catalog snapshot and the tool table of docs/tools.md.

Run after changing the registry: `python scripts/update_generated.py`, then review the diff.
"""

from telnyx_iot_mcp.server.catalog import SNAPSHOT, TOOLS_PAGE, page_with_table, snapshot_text

SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
SNAPSHOT.write_text(snapshot_text())
TOOLS_PAGE.write_text(page_with_table(TOOLS_PAGE.read_text()))
print(f"wrote {SNAPSHOT} and the tool table in {TOOLS_PAGE}")
