"""MCP prompts for fleet workflows: Markdown templates with TOML front matter, one file each.

A file starts with a `+++` block: name, title, description, tools (the tool names it uses) and
[[arguments]] tables (name, description, required, default). The body refers to arguments as {{name}}.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PLACEHOLDER = re.compile(r"{{\s*([a-z_][a-z0-9_]*)\s*}}")


class PromptError(ValueError):
    """A prompt was asked for by a wrong name or with wrong arguments; the message says which."""


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = False
    default: str = ""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    title: str
    description: str
    tools: tuple[str, ...]
    arguments: tuple[Argument, ...]
    body: str

    def render(self, values: dict[str, str] | None) -> str:
        values = dict(values or {})
        known = {a.name for a in self.arguments}
        unknown = sorted(set(values) - known)
        if unknown:
            raise PromptError(f"prompt {self.name}: unknown argument(s) {', '.join(unknown)}; "
                              f"it takes: {', '.join(sorted(known)) or 'none'}")
        missing = [a.name for a in self.arguments if a.required and not str(values.get(a.name, "")).strip()]
        if missing:
            raise PromptError(f"prompt {self.name}: missing required argument(s) {', '.join(missing)}")
        filled = {a.name: str(values.get(a.name) or a.default) for a in self.arguments}
        return PLACEHOLDER.sub(lambda m: filled[m.group(1)], self.body).strip() + "\n"


def parse(text: str) -> PromptTemplate:
    match = re.match(r"\A\+\+\+\n(.*?)\n\+\+\+\n(.*)\Z", text, re.S)
    if not match:
        raise PromptError("a prompt file must start with a +++ front matter block")
    meta: dict[str, Any] = tomllib.loads(match.group(1))
    template = PromptTemplate(
        name=meta["name"], title=meta.get("title", meta["name"]), description=meta["description"],
        tools=tuple(meta.get("tools", ())), body=match.group(2),
        arguments=tuple(Argument(**a) for a in meta.get("arguments", ())),
    )
    undeclared = set(PLACEHOLDER.findall(template.body)) - {a.name for a in template.arguments}
    if undeclared:
        raise PromptError(f"prompt {template.name}: body uses undeclared argument(s) {', '.join(sorted(undeclared))}")
    return template


@cache
def load() -> dict[str, PromptTemplate]:
    """Every packaged prompt by name, in file-name order."""
    files = sorted((f for f in resources.files(__name__).iterdir() if f.name.endswith(".md")), key=lambda f: f.name)
    templates = [parse(f.read_text(encoding="utf-8")) for f in files]
    return {t.name: t for t in templates}
