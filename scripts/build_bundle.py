"""Build the Claude Desktop bundle (`.mcpb`) from the registry, then validate and pack it with the official CLI.

    python scripts/build_bundle.py [--out dist] [--mcpb path/to/mcpb]

The bundle is of the `uv` server type: the project's own pyproject.toml and sources, no bundled dependencies.
The host creates the environment with uv (its own Python if the machine has none), so one ~150 KB bundle
serves macOS, Windows and Linux on every architecture. A bundled-dependencies (`python`) bundle would carry
pydantic-core, a compiled library, and so need one bundle per platform and a Python on the user's machine.
The manifest's tools and prompts are read from the registry and the prompt files; nothing is kept by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from telnyx_iot_mcp import __version__
from telnyx_iot_mcp.prompts import load as load_prompts
from telnyx_iot_mcp.server.selection import CATALOG, TOOLSETS

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]
# Besides the packages themselves: what pyproject.toml names (readme, license) for uv to build the project, and
# uv.lock, so the host's uv installs the dependency versions the release was tested with (`uv run --frozen`).
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "uv.lock")

# Settings the user fills in when installing, passed to the server as its environment variables.
USER_CONFIG = {
    "api_key": ({
        "type": "string", "title": "Telnyx API key", "sensitive": True, "required": False,
        "description": "Your Telnyx API key (Portal > Keys & Credentials). Stored in the system keychain and "
                       "passed to the server as TELNYX_API_KEY. Leave empty with the sandbox on.",
    }, "TELNYX_API_KEY"),
    "sandbox": ({
        "type": "boolean", "title": "Sandbox (no account)", "default": False,
        "description": "Work on an offline demo fleet instead of your account: no key, no network, no cost.",
    }, "TELNYX_IOT_MCP_SANDBOX"),
    "read_only": ({
        "type": "boolean", "title": "Read-only", "default": False,
        "description": "Offer only the tools that read: nothing can be changed, deleted or bought.",
    }, "TELNYX_IOT_MCP_READ_ONLY"),
    "toolsets": ({
        "type": "string", "title": "Toolsets", "default": "",
        "description": "Comma-separated toolsets to offer (empty: all). One of: " + ", ".join(TOOLSETS) + ".",
    }, "TELNYX_IOT_MCP_TOOLSETS"),
}


def manifest() -> dict:
    """manifest.json (MCPB manifest version 0.4) for this version of the server."""
    prompts = load_prompts().values()
    return {
        "manifest_version": "0.4",
        "name": "telnyx-iot-mcp",
        "display_name": "Telnyx IoT",
        "version": __version__,
        "description": "Run a fleet of Telnyx IoT SIM cards: SIMs, groups, orders and actions as tools, "
                       "with a confirmation before anything that cuts devices off or costs money.",
        "long_description": (
            "Every operation of the Telnyx IoT API as a typed tool: list and search SIM cards, read data "
            "usage, enable, disable or put SIMs on standby, manage groups, blocklists and public IPs, order "
            "SIMs and buy eSIMs. Anything that disconnects a device, deletes or costs money asks you first "
            "and shows what is about to happen. Turn on the sandbox to try it on a demo fleet with no account."
        ),
        "author": {"name": "telnyx-iot-mcp contributors", "url": REPOSITORY},
        "repository": {"type": "git", "url": REPOSITORY},
        "homepage": REPOSITORY,
        "documentation": f"{REPOSITORY}#readme",
        "support": f"{REPOSITORY}/issues",
        "icon": "icon.png",
        "server": {
            "type": "uv",
            "entry_point": "telnyx_iot_mcp/__main__.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--quiet", "--frozen", "--directory", "${__dirname}", "telnyx-iot-mcp"],
                "env": {variable: f"${{user_config.{name}}}" for name, (_, variable) in USER_CONFIG.items()},
            },
        },
        "tools": [{"name": e.name, "description": e.tool_description} for e in CATALOG.values()],
        "prompts": [{"name": p.name, "description": p.description, "arguments": [a.name for a in p.arguments],
                     "text": p.body.strip()} for p in prompts],
        "keywords": PYPROJECT["project"]["keywords"],
        "license": PYPROJECT["project"]["license"],
        "privacy_policies": [f"{REPOSITORY}/blob/main/README.md#privacy-policy"],
        "compatibility": {
            "platforms": ["darwin", "win32", "linux"],
            "runtimes": {"python": PYPROJECT["project"]["requires-python"]},
        },
        "user_config": {name: option for name, (option, _) in USER_CONFIG.items()},
    }


def stage(directory: Path) -> Path:
    """The bundle's files in `directory`: project files, packages (as pyproject.toml maps them), icon, manifest."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, directory / name)
    for source in sorted(set(PYPROJECT["tool"]["setuptools"]["package-dir"].values())):
        shutil.copytree(ROOT / source, directory / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "packaging" / "icon.png", directory / "icon.png")
    (directory / "manifest.json").write_text(json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the .mcpb (default: dist)")
    parser.add_argument("--mcpb", default=shutil.which("mcpb") or "mcpb",
                        help="the @anthropic-ai/mcpb CLI (npm install -g @anthropic-ai/mcpb)")
    args = parser.parse_args()
    staged = stage(ROOT / "build" / "mcpb")
    bundle = args.out / f"telnyx-iot-mcp-{__version__}.mcpb"
    args.out.mkdir(parents=True, exist_ok=True)
    for command in ([args.mcpb, "validate", str(staged / "manifest.json")],
                    [args.mcpb, "pack", str(staged), str(bundle)]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command[1:2])} failed:\n{done.stdout}{done.stderr}")
    print(bundle)


if __name__ == "__main__":
    main()
