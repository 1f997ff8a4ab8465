"""Google ADK: an LlmAgent with McpToolset, run by ADK's InMemoryRunner, with a scripted BaseLlm in place of Gemini.
The model is given the tools as ADK sends them to Gemini (its FunctionDeclarations, converted from each input
schema), and each call runs through ADK's own function-calling flow. Then a second toolset with an elicitation
callback: the gated call is asked mid-call and runs with no token."""

import asyncio
import json
import sys
from typing import AsyncGenerator

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.adk.tools.mcp_tool import McpToolset, StdioConnectionParams
from google.genai import types
from mcp import StdioServerParameters
from mcp import types as mcp_types

import scenario

SCRIPT: dict = {"next_call": None, "declarations": {}}


class ScriptedLlm(BaseLlm):
    """Stands in for Gemini: calls the tool it is told to, then answers with the text the tool returned."""

    model: str = "scripted"

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False
                                     ) -> AsyncGenerator[LlmResponse, None]:
        SCRIPT["declarations"] = {declaration.name: declaration for tool in (llm_request.config.tools or [])
                                  for declaration in (tool.function_declarations or [])}
        last = llm_request.contents[-1]
        for part in last.parts or []:
            if part.function_response is not None:
                response = part.function_response.response or {}
                text = scenario.text_of(response["content"]) if "content" in response else json.dumps(response)
                yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))
                return
        if SCRIPT["next_call"] is None:
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text="ready")]))
            return
        name, arguments = SCRIPT["next_call"]
        yield LlmResponse(content=types.Content(role="model", parts=[
            types.Part(function_call=types.FunctionCall(name=name, args=arguments))]))


async def runner_for(config: dict, **options):
    server = StdioServerParameters(command=config["command"][0], args=config["command"][1:], env=config["env"])
    toolset = McpToolset(connection_params=StdioConnectionParams(server_params=server, timeout=60), **options)
    runner = InMemoryRunner(agent=LlmAgent(name="fleet", model=ScriptedLlm(), tools=[toolset]))
    session = await runner.session_service.create_session(app_name=runner.app_name, user_id="user")

    async def ask() -> str:
        texts = []
        async for event in runner.run_async(user_id="user", session_id=session.id, new_message=types.Content(
                role="user", parts=[types.Part(text="go")])):
            if event.content and event.content.role == "model":
                texts += [part.text for part in event.content.parts or [] if part.text]
        return texts[-1] if texts else ""

    return runner, toolset, ask


async def main(config: dict) -> None:
    runner, toolset, ask = await runner_for(config)

    async def call(name: str, arguments: dict) -> str:
        SCRIPT["next_call"] = (name, arguments)
        return await ask()

    await ask()  # the first request shows the model the tools
    declarations = SCRIPT["declarations"]
    schemas = {name: (d.parameters_json_schema or d.parameters.model_dump(exclude_none=True) if d.parameters else {})
               for name, d in declarations.items()}
    report = {"tools": len(declarations), "not_strict": []}
    report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=False))
    await toolset.close()
    await runner.close()

    async def elicitation_callback(context, params):
        return mcp_types.ElicitResult(action="accept", content=scenario.answer(params))

    SCRIPT["next_call"] = None
    runner, toolset, ask = await runner_for(config, elicitation_callback=elicitation_callback)
    report.update(await scenario.elicited(call, dynamic=config["dynamic"], schemas=schemas, strict=False))
    report["elicited"] = len(scenario.ASKED)
    await toolset.close()
    await runner.close()
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
