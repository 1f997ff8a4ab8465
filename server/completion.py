"""`telnyx-iot-mcp completion bash|zsh`: a tab-completion script made from the command line's own parser, so
it offers exactly the commands, flags, choices and tool names this version has."""

from __future__ import annotations

import argparse
import shlex

from ..tools.registry.model import TOOLSETS
from .selection import CATALOG


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return sorted({name for action in parser._actions for name in action.option_strings})


def _choices(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    return {name: [str(c) for c in action.choices] for action in parser._actions if action.choices
            and not isinstance(action, argparse._SubParsersAction) for name in action.option_strings}


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    values = {**_choices(parser), "--toolsets": list(TOOLSETS), "--tools": list(CATALOG),
              "--exclude-tools": list(CATALOG)}
    cases = []
    for name, sub in commands.items():
        words = _flags(sub) + (list(CATALOG) if name == "call" else []) + (["bash", "zsh"] if name == "completion" else [])
        cases.append(f"        {name}) words={shlex.quote(' '.join(words))} ;;")
    value_cases = [f"        {flag}) COMPREPLY=($(compgen -W {shlex.quote(' '.join(v))} -- \"$cur\")); return ;;"
                   for flag, v in sorted(values.items())]
    body = f"""# telnyx-iot-mcp {shell} completion: eval "$(telnyx-iot-mcp completion {shell})"
_telnyx_iot_mcp() {{
    local cur prev command words i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$prev" in
{chr(10).join(value_cases)}
    esac
    command=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in {'|'.join(commands)}) command="${{COMP_WORDS[i]}}"; break ;; esac
    done
    words={shlex.quote(' '.join(_flags(parser) + list(commands)))}
    case "$command" in
{chr(10).join(cases)}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _telnyx_iot_mcp telnyx-iot-mcp
"""
    if shell == "zsh":
        body = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + body
    return body
