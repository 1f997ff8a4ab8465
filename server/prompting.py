"""prompts/list and prompts/get, from the packaged templates; a prompt is offered when its tools are."""

from __future__ import annotations

from collections.abc import Collection

from mcp import types
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError

from ..prompts import PromptError, PromptTemplate, load

DYNAMIC_NOTE = ("\n(The tools named above are operations of this server: find their arguments with "
                "describe_operation and run them with call_operation.)\n")


def prompt_for(template: PromptTemplate) -> types.Prompt:
    return types.Prompt(
        name=template.name, title=template.title, description=template.description,
        arguments=[types.PromptArgument(name=a.name, description=a.description, required=a.required)
                   for a in template.arguments],
    )


def prompt_handlers(tool_names: Collection[str], *, dynamic: bool = False):
    """on_list_prompts and on_get_prompt for the prompts whose tools are all in `tool_names`."""
    offered = {name: t for name, t in load().items() if set(t.tools) <= set(tool_names)}
    prompts = [prompt_for(t) for t in offered.values()]

    async def list_prompts(ctx: ServerRequestContext, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=prompts)

    async def get_prompt(ctx: ServerRequestContext, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        template = offered.get(params.name)
        if template is None:
            why = "needs tools this server's configuration does not offer" if params.name in load() else "does not exist"
            raise MCPError(types.INVALID_PARAMS, f"Prompt {params.name!r} {why}. Offered: {', '.join(offered) or 'none'}.")
        try:
            text = template.render(params.arguments)
        except PromptError as error:
            raise MCPError(types.INVALID_PARAMS, str(error)) from None
        if dynamic:
            text += DYNAMIC_NOTE
        return types.GetPromptResult(description=template.description, messages=[
            types.PromptMessage(role="user", content=types.TextContent(type="text", text=text)),
        ])

    return list_prompts, get_prompt
