"""The `telnyx-iot-mcp` console script: the command line (server/cli.py), started with Python's cyclic garbage
collector paused until the server is built.

Start-up imports the MCP SDK and pydantic, which build hundreds of model classes: some 130,000 objects that
live as long as the process, among fewer than a thousand that become garbage. The collector would walk them
all again and again while they are made (about a sixth of the start-up's CPU time); `cli.started` resumes it
once they are made, and sets them aside (gc.freeze) so that later collections skip them too."""

import gc


def main() -> None:
    gc.disable()
    from .cli import main as run

    run()
