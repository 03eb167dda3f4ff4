"""The deployment files: the lock in step with pyproject.toml, the Dockerfile, compose.yaml.

None of this needs docker: the Dockerfile's instructions are read and checked as text.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
#: The one command that regenerates the lock (also in the lock's header and the README).
REGENERATE = (
    "pip-compile --allow-unsafe --no-emit-find-links --no-emit-index-url "
    "--output-file=requirements.txt --strip-extras pyproject.toml"
)


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for raw in LOCK.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1, f"not an exact pin: {raw}"
        assert specs[0].operator == "==", f"not an exact pin: {raw}"
        found[canonicalize_name(requirement.name)] = Version(specs[0].version)
    return found


def runtime_dependencies() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(dep) for dep in pyproject["project"]["dependencies"]]


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    pinned = pins()
    stale = []
    for requirement in runtime_dependencies():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (lock: {version or 'absent'})")
    assert stale == [], f"requirements.txt is out of step; regenerate it with: {REGENERATE}"


def test_the_lock_says_how_to_regenerate_it() -> None:
    text = LOCK.read_text(encoding="utf-8")
    assert f"#    {REGENERATE}\n" in text
    assert REGENERATE in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--extra-index-url" not in text  # no paths of the machine that compiled it
    assert "--find-links" not in text


def test_the_lock_is_ready_for_holidays() -> None:
    # Another branch adds `holidays` to the runtime dependencies; the lock already holds it.
    assert pins()[canonicalize_name("holidays")] >= Version("0.60")


# --- the Dockerfile ----------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        found.append((keyword.upper(), " ".join(rest.split())))
    return found


def one(keyword: str) -> str:
    values = [rest for key, rest in instructions() if key == keyword]
    assert len(values) == 1, (keyword, values)
    return values[0]


def test_a_slim_python_base() -> None:
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", one("FROM"))


def test_runs_as_a_user_of_its_own() -> None:
    user = one("USER")
    assert user not in ("root", "0", "0:0")
    keys = [key for key, _ in instructions()]
    # the user is set before the command, and nothing runs as root after it
    assert keys.index("USER") < keys.index("CMD")
    assert "RUN" not in keys[keys.index("USER") :]


def test_the_log_is_on_the_data_volume() -> None:
    volume = one("VOLUME")
    assert volume in ("/data", '["/data"]')
    env = " ".join(rest for key, rest in instructions() if key == "ENV")
    assert "DATABASE_PATH=/data/record-course.db" in env.split()


def test_healthcheck_asks_healthz_on_port_with_python() -> None:
    check = one("HEALTHCHECK")
    command = json.loads(check[check.index("CMD ") + 4 :])
    assert command[0] == "python"
    assert "/healthz" in command[-1]
    assert "os.environ.get('PORT'" in command[-1]
    assert "curl" not in check


def test_the_command_is_the_procfiles_serve() -> None:
    cmd = json.loads(one("CMD"))  # exec form: the bot is PID 1 and gets SIGTERM
    assert cmd[:3] == ["python", "-m", "bot"]
    docker = build_parser().parse_args(cmd[3:])
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8").strip().split(": ", 1)[1]
    args = shlex.split(procfile.replace("$PORT", "5000"))
    assert args[:3] == ["python", "-m", "bot"]
    heroku = build_parser().parse_args(args[3:])
    assert docker.command == heroku.command == "serve"
    # serve without --port listens on PORT, which the image sets: the same as --port $PORT
    assert docker.port is None
    assert heroku.port == 5000
    assert vars(docker) | {"port": None} == vars(heroku) | {"port": None}
    assert "PORT=3000" in " ".join(rest for key, rest in instructions() if key == "ENV").split()


def test_installs_exactly_the_lock() -> None:
    runs = [rest for key, rest in instructions() if key == "RUN" and "pip install" in rest]
    assert runs == ["pip install -r requirements.txt"]
    copies = [rest for key, rest in instructions() if key == "COPY"]
    assert copies[0] == "requirements.txt ./"


def test_dockerignore_keeps_secrets_and_data_out() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert lines[lines.index("*") :].count("*") == 1  # everything is left out ...
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"requirements.txt", "bot/"}  # ... but these: no .env, no *.db


# --- compose.yaml ------------------------------------------------------------------------


def test_compose_keeps_the_log_on_a_named_volume() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["env_file"] == ".env"
    assert service["environment"]["DATABASE_PATH"] == "/data/record-course.db"
    mounts = [v.split(":") for v in service["volumes"]]
    assert [m[1] for m in mounts] == ["/data"]
    assert mounts[0][0] in compose["volumes"]  # a named volume, not a folder of the host
    assert service["restart"] == "unless-stopped"
