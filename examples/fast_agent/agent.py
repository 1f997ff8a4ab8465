"""fast-agent with the server's tools (`pip install fast-agent-mcp`, a model's key set), in an interactive chat.
Run it from this folder, which holds its fastagent.config.yaml:

    cd examples/fast_agent && python agent.py
"""

import asyncio

from mcp_agent.core.fastagent import FastAgent

fast = FastAgent("fleet")


@fast.agent(instruction="You look after a fleet of IoT SIM cards.", servers=["telnyx"])
async def main():
    async with fast.run() as agent:
        await agent.interactive()


if __name__ == "__main__":
    asyncio.run(main())
