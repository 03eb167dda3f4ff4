"""The repository the tests run in: its root, and the files the docs tests read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: The repository's root (where README.md, manifest.yml and pyproject.toml are).
ROOT = Path(__file__).resolve().parent.parent.parent


def load_manifest() -> dict[str, Any]:
    """The Slack app manifest, `manifest.yml`, as loaded YAML."""
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded
