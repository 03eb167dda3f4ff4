"""The shape of the code (style.md): what `serve` runs never imports what only the local
tools run, and no module of `bot/` imports itself back through others."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import ROOT

BOT = ROOT / "bot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in BOT.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """The `bot` modules that `path` imports, at the top or inside a function alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                )
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def cycles() -> list[list[str]]:
    """Every import circle, each once (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(GRAPH[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_bot_imports_itself_back() -> None:
    assert cycles() == []


def test_the_graph_sees_lazy_imports() -> None:
    # compose imports the Slack app inside functions: those edges count too.
    assert "bot.slack.app" in GRAPH["bot.compose"]
    assert "bot.local.console" in GRAPH["bot.compose"]


@pytest.mark.parametrize(
    "core", ["bot.recording", "bot.submission", "bot.store", "bot.fields", "bot.dates"]
)
def test_the_core_names_no_front_end(core: str) -> None:
    reachable, todo = set(), [core]
    while todo:
        for other in GRAPH[todo.pop()] - reachable:
            reachable.add(other)
            todo.append(other)
    assert not {m for m in reachable if m.startswith(("bot.slack", "bot.local", "bot.cli"))}


SERVE_PATH = """
import json, sys
from bot import cli, compose
from bot.slack import app, server
from bot.slack.listeners import home, record, session
from bot.settings import load_settings
settings = load_settings(_env_file=None)
core = compose.build_core(settings)
core.close()
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.slow
def test_serve_imports_nothing_from_bot_local(tmp_path: Path) -> None:
    """Everything `serve` runs, imported in a fresh interpreter: nothing of bot.local."""
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PATH],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_PATH": str(tmp_path / "log.db"),
            "CMS_API_ID": "12",
            "CMS_SECRET_KEY": "secret",
            "CMS_DIOCESE_ID": "7",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = json.loads(result.stdout)
    assert "bot.slack.app" in modules
    assert [m for m in modules if m.startswith("bot.local")] == []
    assert [m for m in modules if m.startswith("tests")] == []
