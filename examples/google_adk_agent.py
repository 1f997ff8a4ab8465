"""Google ADK with the server's tools (`pip install "google-adk[mcp]"`, GOOGLE_API_KEY set), asking you on the
terminal when a call needs a yes.

    python examples/google_adk_agent.py "Which SIMs in Trackers used the most data?"
"""

from __future__ import annotations

import asyncio
import sys

from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.adk.tools.mcp_tool import McpToolset, StdioConnectionParams
from google.genai import types as genai
from mcp import StdioServerParameters, types

from fleet_server import ask, command_and_args, server_env


async def confirm(context, params):
    answer = ask(params.message, params.requested_schema["properties"]["confirm"])
    return types.ElicitResult(action="accept", content={"confirm": answer})


async def main(question: str) -> None:
    command, args = command_and_args()
    server = StdioServerParameters(command=command, args=args, env=server_env())
    # The stdio timeout (5 s by default) is also the time a call may take.
    fleet = McpToolset(connection_params=StdioConnectionParams(server_params=server, timeout=60),
                       elicitation_callback=confirm)
    runner = InMemoryRunner(agent=LlmAgent(name="fleet", model="gemini-2.5-flash", tools=[fleet]))
    session = await runner.session_service.create_session(app_name=runner.app_name, user_id="me")
    message = genai.Content(role="user", parts=[genai.Part(text=question)])
    async for event in runner.run_async(user_id="me", session_id=session.id, new_message=message):
        if event.is_final_response() and event.content:
            print("".join(part.text or "" for part in event.content.parts))
    await fleet.close()


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are over their data limit?"))
