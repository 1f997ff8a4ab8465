"""The peer: FastMCP's `FastMCP.from_openapi` on the Telnyx IoT OpenAPI extract, over stdio or streamable HTTP.

`python bench/servers/peer.py SPEC.json [--http PORT]`; calls go to TELNYX_BASE_URL with TELNYX_API_KEY as
bearer token. With --http it serves streamable HTTP at http://127.0.0.1:PORT/mcp.
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
    server = FastMCP.from_openapi(spec, client=client, name="telnyx-iot-openapi")
    if len(sys.argv) > 3 and sys.argv[2] == "--http":
        server.run(transport="http", host="127.0.0.1", port=int(sys.argv[3]), show_banner=False, log_level="WARNING")
    else:
        server.run(transport="stdio", show_banner=False)


if __name__ == "__main__":
    main()
