"""The peer: FastMCP's `FastMCP.from_openapi` on the Telnyx IoT OpenAPI extract, over stdio.

`python bench/servers/peer.py SPEC.json`; calls go to TELNYX_BASE_URL with TELNYX_API_KEY as bearer token.
"""

import json
import os
import sys

import httpx2
from fastmcp import FastMCP


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    client = httpx2.AsyncClient(
        base_url=os.environ.get("TELNYX_BASE_URL", "https://api.telnyx.com/v2"),
        headers={"Authorization": f"Bearer {os.environ.get('TELNYX_API_KEY', '')}"}, timeout=30.0,
    )
    FastMCP.from_openapi(spec, client=client, name="telnyx-iot-openapi").run(transport="stdio", show_banner=False)


if __name__ == "__main__":
    main()
