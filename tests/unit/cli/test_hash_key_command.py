"""`payflow hash-key` turns a key read from stdin into the digest the gateway is configured with."""

from __future__ import annotations

import io

import pytest

from app.cli import main
from app.config import Settings
from app.gateway import hash_key


def test_hash_key_prints_the_digest_of_the_key_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("my-api-key\n"))

    code = main(["hash-key"])

    printed = capsys.readouterr().out.strip()
    assert code == 0
    assert printed == hash_key("my-api-key")
    assert Settings.from_env({"PAYFLOW_API_KEY_HASHES": printed}).api_key_hashes == (printed,)


def test_hash_key_refuses_an_empty_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))

    code = main(["hash-key"])

    assert code == 1
    assert "no key" in capsys.readouterr().err
