"""docker-compose.yml as compose would see it: `${VAR:?message}` references filled with sample values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
# Compose's interpolation syntax: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}.
REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<operator>:?[-?+])?(?P<argument>[^}]*)\}")
# What an operator would set: any password will do, API keys as digests (`payflow hash-key`).
SAMPLE_ENV = {"PAYFLOW_API_KEY_HASHES": "sha256:" + "ab" * 32}


def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def references(text: str) -> list[re.Match[str]]:
    return list(REFERENCE.finditer(text))


def interpolated(text: str) -> dict[str, Any]:
    """The compose document with each variable replaced by a sample value, as if all were set."""
    filled = REFERENCE.sub(
        lambda found: SAMPLE_ENV.get(found["name"], f"sample-{found['name'].lower()}"), text
    )
    loaded: dict[str, Any] = yaml.safe_load(filled)
    return loaded
