"""The documentation: every page under docs/ is in the site's nav, no relative link (README, docs pages,
bench/README.md) points at a file or heading that does not exist, every setting the server reads is on the
settings page with its variable, and the README stays short. `mkdocs build --strict` (CI) checks the site
itself; these checks need no MkDocs."""

from __future__ import annotations

import json
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest

from telnyx_iot_mcp.server.cli import SETTINGS_PAGE, build_parser, env_name, page_with_settings
from telnyx_iot_mcp.server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav names (entries `- Title: page.md` or `- page.md`)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:"):]
    return re.findall(r"^\s*-\s+(?:[^:\n]+:\s+)?([\w./-]+\.md)\s*$", nav, re.M)


def test_every_page_is_in_the_nav_once():
    listed = nav_pages()
    assert sorted(listed) == PAGES, (set(PAGES) - set(listed), set(listed) - set(PAGES))


def anchors(path: Path) -> set[str]:
    """Heading ids as MkDocs and GitHub make them, and explicit ids."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    found = set(re.findall(r'id="([^"]+)"', text))
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\s-]", "", heading.lower().replace("`", "")).strip()
        found.add(re.sub(r"\s+", "-", slug))
    return found


def links(path: Path):
    text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S))
    for match in LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if not re.match(r"[a-z]+:", target):
            yield target


FILES = ["README.md", "bench/README.md", "CHANGELOG.md", *(f"docs/{p}" for p in PAGES)]


@pytest.mark.parametrize("name", FILES)
def test_no_relative_link_is_dead(name):
    source = ROOT / name
    dead = []
    for target in links(source):
        file, _, anchor = target.partition("#")
        resolved = (source.parent / file).resolve() if file else source
        if not resolved.exists():
            dead.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            dead.append(target)
    assert dead == []


def test_the_link_check_finds_dead_links(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\n## Here it is\n\n[ok](#here-it-is) [gone](b.md) [bad](a.md#nowhere)\n")
    page = tmp_path / "a.md"
    assert list(links(page)) == ["#here-it-is", "b.md", "a.md#nowhere"]
    assert "here-it-is" in anchors(page) and "nowhere" not in anchors(page)


def test_the_settings_table_is_current():
    page = SETTINGS_PAGE.read_text(encoding="utf-8")
    assert page_with_settings(page) == page, "run `python scripts/update_generated.py` and review the diff"


def test_every_setting_and_flag_is_on_the_settings_page():
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [env_name(field) for field in Settings.model_fields if env_name(field) not in page]
    flags = {name for action in build_parser()._actions for name in action.option_strings if name.startswith("--")}
    missing += sorted(flag for flag in flags - {"--help", "--version"} if f"`{flag}" not in page)
    assert missing == []


def test_the_readme_fits_on_a_few_screens():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 220
    # What hosts and registries read from it.
    assert "## Privacy policy" in readme and "<!-- mcp-name: io.github.telnyx-iot-mcp/telnyx-iot-mcp -->" in readme


def test_the_sdk_example_runs_against_the_sandbox():
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "mcp_sdk.py")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    first, rest = done.stdout.split("\n", 1)
    assert re.fullmatch(r"\d+ tools, e\.g\. \w+.*", first)
    sims = json.loads(rest)
    assert len(sims) == 3 and {s["status"]["value"] for s in sims} == {"enabled"}


@pytest.mark.parametrize("example", sorted((ROOT / "examples").rglob("*.py")), ids=lambda p: p.name)
def test_every_example_compiles(example, tmp_path):
    py_compile.compile(str(example), cfile=str(tmp_path / "out.pyc"), doraise=True)


def test_the_readme_counts_are_the_catalogs():
    from collections import Counter

    from telnyx_iot_mcp.server.selection import CATALOG, TOOLSETS
    from telnyx_iot_mcp.tools.registry import OPERATIONS

    for name in ("README.md", "docs/index.md"):
        text = " ".join((ROOT / name).read_text(encoding="utf-8").split())
        assert f"operation ({len(OPERATIONS)})" in text and f"{len(CATALOG)} tools in {len(TOOLSETS)} toolsets" in text
    table = dict(re.findall(r"\| `(\w+)` \| (\d+) \|", (ROOT / "README.md").read_text(encoding="utf-8")))
    counts = Counter(entry.toolset for entry in CATALOG.values())
    assert {name: int(n) for name, n in table.items()} == dict(counts)
