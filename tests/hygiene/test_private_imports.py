"""No import of another distribution's private modules or names (a `_`-prefixed part, e.g.
`mcp.shared._context_streams`): they change in any release without notice, and the pin on `mcp` allows
releases this tree was never tested with."""

from __future__ import annotations

import ast
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"telnyx_iot_mcp"}
SKIP = {".venv", ".git", ".compat", ".ci", "build", "dist", "node_modules", "site"}


def imported_names(tree: ast.AST):
    """(line, dotted name) of every absolute import, the imported names included (`from a import _b`: a._b)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def is_private(name: str) -> bool:
    return any(part.startswith("_") and not (part.startswith("__") and part.endswith("__")) for part in name.split("."))


def private_imports(root: Path) -> list[str]:
    installed = packages_distributions()  # top-level module -> distributions
    found = []
    for path in sorted(root.rglob("*.py")):
        if SKIP & set(path.relative_to(root).parts):
            continue
        for line, name in imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            top = name.split(".")[0]
            if top in installed and top not in OWN and is_private(name):
                found.append(f"{path.relative_to(root)}:{line}: {name} ({', '.join(installed[top])})")
    return found


def test_no_private_module_of_another_distribution_is_imported():
    assert private_imports(ROOT) == []


def test_the_scan_finds_a_private_import(tmp_path):
    (tmp_path / "bad.py").write_text("from mcp.shared._context_streams import create_context_streams\n"
                                     "from mcp.server import _otel\nimport importlib\n"
                                     "importlib.import_module('httpx._main')\nfrom telnyx_iot_mcp.tools import _x\n")
    assert [entry.split(": ")[1].split(" ")[0] for entry in private_imports(tmp_path)] == [
        "mcp.shared._context_streams", "mcp.shared._context_streams.create_context_streams", "mcp.server._otel",
        "httpx._main"]
