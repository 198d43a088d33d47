"""An unexpected failure in a subcommand is one line on stderr with exit code 1, never a traceback."""

from __future__ import annotations

import pytest

from app.cli import main

pytestmark = pytest.mark.integration


def test_an_unreachable_database_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAYFLOW_DATABASE_URL", "postgresql://owner:s3cret@127.0.0.1:1/payflow")
    monkeypatch.setenv("PAYFLOW_DB_CONNECT_TIMEOUT_S", "1")

    code = main(["migrate"])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("payflow migrate: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "s3cret" not in err
