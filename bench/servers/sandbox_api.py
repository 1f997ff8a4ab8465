"""The sandbox's Telnyx-compatible HTTP API with a fleet of N SIMs, in its own process, for the fleet benchmark.

`python bench/servers/sandbox_api.py N`: prints its port on stdout, serves on 127.0.0.1 until stdin closes.
"""

import asyncio
import socket
import sys

import uvicorn

from telnyx_iot_mcp.sandbox import create_app


async def main() -> None:
    app = create_app(sim_count=int(sys.argv[1]))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", date_header=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.should_exit = True
    await serving


if __name__ == "__main__":
    asyncio.run(main())
