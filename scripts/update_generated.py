"""Rewrite what is generated: the catalog snapshot and the tool table of docs/tools.md (from the registry), and
the settings table of docs/settings.md (from server/settings.py).

Run after changing the registry: `python scripts/update_generated.py`, then review the diff.
"""

from telnyx_iot_mcp.server.catalog import SNAPSHOT, TOOLS_PAGE, page_with_table, snapshot_text
from telnyx_iot_mcp.server.cli import SETTINGS_PAGE, page_with_settings

SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
SNAPSHOT.write_text(snapshot_text())
TOOLS_PAGE.write_text(page_with_table(TOOLS_PAGE.read_text()))
SETTINGS_PAGE.write_text(page_with_settings(SETTINGS_PAGE.read_text()))
print(f"wrote {SNAPSHOT}, the tool table in {TOOLS_PAGE} and the settings table in {SETTINGS_PAGE}")
