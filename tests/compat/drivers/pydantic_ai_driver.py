"""pydantic-ai: an Agent with MCPToolset (FastMCP client), its tools as an OpenAI model is given them (the OpenAI
profile's schema transformer; strict=True on every tool that can be strict, or left to pydantic-ai to decide per
tool), and a
scripted FunctionModel in place of the model, so each call runs through the agent's own tool execution. Then a
second toolset with an elicitation handler: the gated call is asked mid-call and runs with no token."""

import asyncio
import dataclasses
import json
import sys

from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import ModelResponse, RetryPromptPart, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.profiles.openai import openai_model_profile

import scenario


class ScriptedModel:
    """Stands in for the model: calls the tool it is told to, then answers with what the tool returned."""

    def __init__(self) -> None:
        self.next_call: tuple[str, dict] | None = None
        self.tools: dict = {}

    async def __call__(self, messages, info: AgentInfo) -> ModelResponse:
        self.tools = {tool.name: tool for tool in info.function_tools}
        for part in messages[-1].parts:
            if isinstance(part, ToolReturnPart):
                content = part.content
                return ModelResponse(parts=[TextPart(content if isinstance(content, str) else
                                                     json.dumps(content, default=str))])
            if isinstance(part, RetryPromptPart):  # a tool error, as the model is shown it
                return ModelResponse(parts=[TextPart(part.model_response())])
        if self.next_call is None:
            return ModelResponse(parts=[TextPart("ready")])
        name, arguments = self.next_call
        return ModelResponse(parts=[ToolCallPart(name, arguments)])


def agent_for(config: dict, model: ScriptedModel, **options) -> Agent:
    transport = StdioTransport(config["command"][0], config["command"][1:], env=config["env"])
    toolset = MCPToolset(transport, tool_error_behavior="retry", init_timeout=60, **options)  # 5 s by default
    if config["strict"]:  # strict=True on every tool that can be strict (see scenario.holds_open_object)
        toolset = toolset.prepared(lambda ctx, defs: [
            d if scenario.holds_open_object(d.parameters_json_schema) else dataclasses.replace(d, strict=True)
            for d in defs])
    profile = openai_model_profile("gpt-5")  # what pydantic-ai sends to OpenAI: its strict-mode transformer
    return Agent(FunctionModel(model, profile=profile), toolsets=[toolset], retries=0)


async def main(config: dict) -> None:
    model = ScriptedModel()
    agent = agent_for(config, model)

    async def call(name: str, arguments: dict) -> str:
        model.next_call = (name, arguments)
        return scenario.text_of((await agent.run("go")).output)

    async with agent:
        model.next_call = None
        await agent.run("go")  # the first request shows the model the tools
        tools = model.tools
        schemas = {name: tool.parameters_json_schema for name, tool in tools.items()}
        report = {"tools": len(tools), "not_strict": sorted(name for name, tool in tools.items() if not tool.strict)}
        report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=config["strict"]))

    async def elicitation_handler(message, response_type, params, context):
        return scenario.answer(params)

    model = ScriptedModel()
    agent = agent_for(config, model, elicitation_handler=elicitation_handler)
    async with agent:
        report.update(await scenario.elicited(call, dynamic=config["dynamic"], schemas=schemas, strict=config["strict"]))
    report["elicited"] = len(scenario.ASKED)
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
