"""`payflow openapi` writes the document the gateway serves, the one committed as docs/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import build_parser, main

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_openapi_writes_the_committed_document_to_the_given_file(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "openapi.json"

    code = main(["openapi", "--output", str(target)])

    assert code == 0
    assert target.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")


def test_openapi_without_output_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["openapi"])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["info"]["title"] == "payflow"


def test_openapi_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["openapi", "--help"])

    assert exited.value.code == 0
    assert "--output" in capsys.readouterr().out
