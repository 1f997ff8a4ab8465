"""Rewrite what is generated from the registry: the catalog snapshot and the README's tool table.

Run after changing the registry: `python scripts/update_generated.py`, then review the diff.
"""

from telnyx_iot_mcp.server.catalog import README, SNAPSHOT, readme_with_table, snapshot_text

SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
SNAPSHOT.write_text(snapshot_text())
README.write_text(readme_with_table(README.read_text()))
print(f"wrote {SNAPSHOT} and the tool table in {README}")
