"""fast-agent: a FastAgent app from a fastagent.config.yaml (the server under mcp.servers, stdio or http), one agent
on the `passthrough` model, which runs a tool call written as `***CALL_TOOL <server>-<tool> <json>` through the
agent's own MCP aggregator, as a model's tool call is run. The tools as the agent lists them (namespaced
`telnyx-<tool>`), converted by its OpenAI provider (adjust_schema) and its Gemini converter (google.genai Schema)."""

import asyncio
import json
import os
import sys
import tempfile
from types import SimpleNamespace

from mcp_agent.core.fastagent import FastAgent
from mcp_agent.llm.provider_types import Provider
from mcp_agent.llm.providers.augmented_llm_openai import OpenAIAugmentedLLM
from mcp_agent.llm.providers.google_converter import GoogleConverter
from mcp_agent.tools.tool_definition import ToolDefinition

import scenario

SERVER = "telnyx"
OPENAI = SimpleNamespace(provider=Provider.OPENAI)  # what adjust_schema reads of its LLM
OPENAI_NAME_LIMIT = 64  # OpenAI's limit on a function name, which the namespaced name must fit


def config_file(config: dict, folder: str) -> str:
    if config.get("url"):
        server = {"transport": "http", "url": config["url"]}
    else:
        server = {"command": config["command"][0], "args": config["command"][1:], "env": config["env"]}
    settings = {"default_model": "passthrough", "logger": {"type": "none", "progress_display": False,
                                                           "show_chat": False, "show_tools": False},
                "mcp": {"servers": {SERVER: {**server, "read_timeout_seconds": 60}}}}
    path = os.path.join(folder, "fastagent.config.yaml")
    with open(path, "w") as file:
        json.dump(settings, file)  # JSON is YAML
    return path


async def main(config: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fast = FastAgent("compat", config_path=config_file(config, folder), parse_cli_args=False)

        @fast.agent(name="fleet", servers=[SERVER], model="passthrough")
        async def fleet():  # the agent is reached through fast.run()
            pass

        async with fast.run() as app:
            agent = app.fleet
            listed = (await agent.list_tools()).tools
            prefix = f"{SERVER}-"
            refused = [tool.name for tool in listed if len(tool.name) > OPENAI_NAME_LIMIT]
            schemas = {}
            for tool in listed:
                try:
                    schemas[tool.name.removeprefix(prefix)] = OpenAIAugmentedLLM.adjust_schema(OPENAI, tool.inputSchema)
                    GoogleConverter().convert_to_google_tools([ToolDefinition(tool.name, tool.description,
                                                                              tool.inputSchema)])
                except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
                    refused.append(f"{tool.name}: {error}")
            report = {"tools": len(listed), "not_strict": refused}

            async def call(name: str, arguments: dict) -> str:
                return await agent.send(f"***CALL_TOOL {prefix}{name} {json.dumps(arguments)}")

            report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=False))
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
