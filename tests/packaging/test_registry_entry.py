"""server.json, the official MCP registry's entry, against the registry's published schema and the server."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from jsonschema import Draft7Validator

from telnyx_iot_mcp import __version__
from telnyx_iot_mcp.server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# A byte-for-byte copy of the schema the registry publishes at the URL in its "$id" (2025-12-11).
SCHEMA_FILE = ROOT / "packaging" / "server.schema.json"
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
ENTRY = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def settings_variables() -> set[str]:
    """Every environment variable the server reads: TELNYX_API_KEY-style aliases and TELNYX_IOT_MCP_<field>."""
    names = set()
    for name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None) or []
        names |= {a for a in aliases if a.isupper()} or {f"TELNYX_IOT_MCP_{name.upper()}"}
    return names


def test_the_vendored_schema_is_the_published_one():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert ENTRY["$schema"] == SCHEMA["$id"]


def test_server_json_is_valid_against_the_registry_schema():
    errors = sorted(Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER).iter_errors(ENTRY),
                    key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_schema_catches_what_the_registry_refuses():
    validator = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
    too_long = {**ENTRY, "description": "x" * 101}
    no_slash = {**ENTRY, "name": "telnyx-iot-mcp"}
    latest = {**ENTRY, "packages": [{**ENTRY["packages"][0], "version": "latest"}]}
    for bad in (too_long, no_slash, latest):
        assert list(validator.iter_errors(bad))


def test_server_json_agrees_with_the_package_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # The registry checks a PyPI package's ownership by this marker in its description (the README).
    assert f"<!-- mcp-name: {ENTRY['name']} -->" in readme
    assert ENTRY["version"] == __version__
    for package in ENTRY["packages"]:
        assert (package["identifier"], package["version"]) == ("telnyx-iot-mcp", __version__)
    assert {p["transport"]["type"] for p in ENTRY["packages"]} == {"stdio", "streamable-http"}


def test_every_variable_in_server_json_is_one_the_server_reads_and_the_secrets_are_marked():
    known = settings_variables()
    for package in ENTRY["packages"]:
        for variable in package["environmentVariables"]:
            assert variable["name"] in known, f"{variable['name']} is not a setting of the server"
            secret = variable["name"] in {"TELNYX_API_KEY", "TELNYX_IOT_MCP_HTTP_TOKEN"}
            assert variable.get("isSecret", False) is secret, variable["name"]
        url = package["transport"].get("url", "")
        for placeholder in re.findall(r"{(\w+)}", url):
            assert placeholder in {v["name"] for v in package["environmentVariables"]}


def test_the_remote_entry_is_a_signed_in_streamable_http_server_with_its_variables_declared():
    [remote] = ENTRY["remotes"]
    assert remote["type"] == "streamable-http" and remote["url"].startswith("https://")
    assert set(re.findall(r"{(\w+)}", remote["url"])) == set(remote["variables"])
    assert all(v["isRequired"] for v in remote["variables"].values())
