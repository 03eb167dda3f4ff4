"""Keep the docs honest: the README's settings and commands, the manifest, the Procfile."""

from __future__ import annotations

import re
import shlex
from typing import Any

from bot.cli import COMMANDS, build_parser
from bot.settings import Settings
from bot.slack.listeners.record import COMMAND
from tests.support.repo import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows(heading: str) -> list[list[str]]:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        for row in rows[1:]
    ]


def test_settings_table_matches_settings() -> None:
    rows = {row[0].strip("`"): row for row in table_rows("Settings")}
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        row = rows[name.upper()]
        assert field.description is not None
        assert row[2].startswith(field.description.rstrip(".")), name
        default = field.default
        if default is not None and not callable(field.default_factory):
            shown = row[1].strip("`")
            assert shown == str(default).removesuffix(".0"), name


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    documented = {row[0].strip("`").split()[0] for row in table_rows("Commands")}
    assert documented == set(COMMANDS)


def test_readme_commands_parse() -> None:
    parser = build_parser()
    lines = re.findall(r"^\$ python -m bot (.+)$", README, flags=re.M)
    assert lines
    for line in lines:
        parser.parse_args(shlex.split(line))


def test_manifest_commands_are_the_registered_ones(manifest: dict[str, Any]) -> None:
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {COMMAND}


def test_procfile_runs_serve_on_port() -> None:
    line = (ROOT / "Procfile").read_text(encoding="utf-8").strip()
    kind, command = line.split(": ", 1)
    assert kind == "web"
    args = shlex.split(command.replace("$PORT", "5000"))
    assert args[:3] == ["python", "-m", "bot"]
    parsed = build_parser().parse_args(args[3:])
    assert parsed.command == "serve"
    assert parsed.port == 5000
