"""The wheel, the sdist and the Claude Desktop bundle, built and run the way users and hosts run them.

Needs network access to PyPI (uv installs the dependencies) and, for the bundle, the official `mcpb` CLI
(`.ci/run` installs it from npm; set MCPB to its path elsewhere).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from telnyx_iot_mcp import __version__
from telnyx_iot_mcp.server.selection import CATALOG

pytestmark = [pytest.mark.packaging, pytest.mark.anyio, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UV = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
MCPB = os.environ.get("MCPB") or shutil.which("mcpb") or shutil.which("mcpb", path=str(ROOT / ".ci/node/node_modules/.bin"))
EPOCH = "1764115200"  # any fixed time: a release uses its last commit's


def tool_env(**extra: str) -> dict[str, str]:
    """A user's environment: no TELNYX_ settings; uv uses this Python rather than downloading one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "MCP_", "VIRTUAL_ENV"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "UV_PYTHON": sys.executable,
            "UV_PYTHON_DOWNLOADS": "never", "SOURCE_DATE_EPOCH": EPOCH, **extra}


def run(*command: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=tool_env(), capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def listed_tools(command: str | Path, *args: str, **env: str) -> list:
    params = StdioServerParameters(command=str(command), args=list(args), env=tool_env(**env))
    async with Client(params, mode="legacy") as session:
        return (await session.list_tools()).tools


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel built from it (what an installer builds), and a wheel built from the tree."""
    if UV is None:
        pytest.skip("uv is not installed: pip install -e '.[release]'")
    out, again = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("dist-again")
    run(sys.executable, "-m", "build", "--outdir", out, ".")
    run(sys.executable, "-m", "build", "--wheel", "--outdir", again, ".")
    (wheel,), (sdist,), (direct,) = out.glob("*.whl"), out.glob("*.tar.gz"), again.glob("*.whl")
    return {"wheel": wheel, "sdist": sdist, "direct": direct}


def test_the_build_is_reproducible_and_the_sdist_is_complete(built):
    # The wheel built from the sdist equals the one built from the tree, byte for byte: the sdist holds
    # everything, and the same SOURCE_DATE_EPOCH gives the same wheel.
    digest = [hashlib.sha256(built[k].read_bytes()).hexdigest() for k in ("wheel", "direct")]
    assert digest[0] == digest[1]
    assert built["wheel"].name == f"telnyx_iot_mcp-{__version__}-py3-none-any.whl"
    with tarfile.open(built["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "sandbox/telnyx-iot-openapi.facts.json"} <= names


def test_the_wheel_holds_what_the_server_needs_and_nothing_generic(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"telnyx_iot_mcp-{__version__}.dist-info/METADATA").decode()
    assert {n.split("/")[0] for n in names} == {"telnyx_iot_mcp", f"telnyx_iot_mcp-{__version__}.dist-info"}
    shipped = {Path(n).name for n in names}
    prompts = {p.name for p in (ROOT / "prompts").glob("*.md")}
    facts = {p.name for p in (ROOT / "sandbox").glob("*.json")}
    assert prompts and prompts <= shipped and facts and facts <= shipped and "LICENSE" in shipped
    assert f"Version: {__version__}" in metadata and "Requires-Python: >=3.11" in metadata
    # The README is the PyPI description, and carries the registry's ownership marker.
    assert "<!-- mcp-name: io.github." in metadata


async def test_the_wheel_installs_with_uv_into_an_empty_environment_and_serves(built, tmp_path):
    venv = tmp_path / "empty"
    run(UV, "venv", "--quiet", venv)
    run(UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", built["wheel"])
    tools = await listed_tools(venv / "bin" / "telnyx-iot-mcp", "--sandbox")
    assert [t.name for t in tools] == list(CATALOG)


async def test_uvx_runs_the_wheel_and_the_checkout(built):
    from_wheel = await listed_tools(UV, "tool", "run", "--from", str(built["wheel"]), "telnyx-iot-mcp", "--sandbox")
    assert [t.name for t in from_wheel] == list(CATALOG)
    from_checkout = await listed_tools(UV, "tool", "run", "--from", str(ROOT), "telnyx-iot-mcp", "--sandbox",
                                       "--read-only")
    assert from_checkout and all(t.annotations.read_only_hint for t in from_checkout)
    assert len(from_checkout) < len(CATALOG)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    if MCPB is None:
        pytest.skip("the mcpb CLI is not installed (npm install @anthropic-ai/mcpb); set MCPB to its path")
    if UV is None:
        pytest.skip("uv is not installed: pip install -e '.[release]'")
    out = tmp_path_factory.mktemp("bundle")
    printed = run(sys.executable, ROOT / "scripts" / "build_bundle.py", "--out", out, "--mcpb", MCPB)
    path = Path(printed.strip())
    assert path == out / f"telnyx-iot-mcp-{__version__}.mcpb" and path.is_file()
    return path


def unpacked(bundle: Path, into: Path) -> tuple[Path, dict]:
    run(MCPB, "unpack", bundle, into)
    return into, json.loads((into / "manifest.json").read_text(encoding="utf-8"))


def host_command(manifest: dict, directory: Path, user_config: dict[str, object]) -> tuple[str, list[str], dict]:
    """What a host runs: mcp_config with ${__dirname} and ${user_config.*} replaced (booleans as true/false)."""
    def fill(text: str) -> str:
        text = text.replace("${__dirname}", str(directory))
        return re.sub(r"\$\{user_config\.(\w+)\}",
                      lambda m: json.dumps(user_config[m.group(1)]).strip('"'), text)
    config = manifest["server"]["mcp_config"]
    return fill(config["command"]), [fill(a) for a in config["args"]], {k: fill(v) for k, v in config["env"].items()}


def test_the_bundle_is_valid_and_its_manifest_says_what_claude_desktop_asks_for(bundle, tmp_path):
    info = run(MCPB, "info", bundle)
    assert "telnyx-iot-mcp" in info
    directory, manifest = unpacked(bundle, tmp_path / "b")
    assert manifest["manifest_version"] == "0.4" and manifest["version"] == __version__
    assert manifest["server"]["type"] == "uv" and (directory / manifest["server"]["entry_point"]).is_file()
    # The host's uv installs the locked versions, and changes nothing in the bundle's folder.
    assert (directory / "uv.lock").read_bytes() == (ROOT / "uv.lock").read_bytes()
    assert "--frozen" in manifest["server"]["mcp_config"]["args"]
    assert manifest["display_name"] and (directory / manifest["icon"]).read_bytes().startswith(b"\x89PNG")
    key = manifest["user_config"]["api_key"]
    assert key["sensitive"] is True and key["type"] == "string"
    assert manifest["server"]["mcp_config"]["env"]["TELNYX_API_KEY"] == "${user_config.api_key}"
    assert {"sandbox", "read_only", "toolsets"} <= set(manifest["user_config"])
    assert manifest["compatibility"]["runtimes"]["python"] == ">=3.11"
    assert manifest["privacy_policies"][0].endswith("README.md#privacy-policy")
    assert "## Privacy policy" in (ROOT / "README.md").read_text(encoding="utf-8")
    # Nothing but the project: no virtual environment or bundled libraries in a `uv` bundle.
    assert not any(p.name in {".venv", "lib", "site-packages", "__pycache__"} for p in directory.rglob("*"))


async def test_the_bundle_starts_as_a_host_starts_it_and_lists_the_catalog(bundle, tmp_path):
    directory, manifest = unpacked(bundle, tmp_path / "installed")
    settings = {"api_key": "", "sandbox": True, "read_only": False, "toolsets": ""}
    command, args, env = host_command(manifest, directory, settings)
    tools = await listed_tools(command, *args, **env)
    assert [t.name for t in tools] == [t["name"] for t in manifest["tools"]] == list(CATALOG)
    assert {t.name: t.description for t in tools} == {t["name"]: t["description"] for t in manifest["tools"]}
    # The switches reach the server.
    command, args, env = host_command(manifest, directory, {**settings, "read_only": True, "toolsets": "sim_cards"})
    narrowed = await listed_tools(command, *args, **env)
    assert narrowed and all(t.annotations.read_only_hint for t in narrowed)
    assert {t.name for t in narrowed} < {n for n, e in CATALOG.items() if e.toolset == "sim_cards"} | {"wait_for_action"}
