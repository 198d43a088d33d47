"""The operator's text tables: one physical row per record, whatever its cells hold."""

import pytest

from app.cli.console import write_table


def test_a_cell_holding_a_literal_backslash_escape_cannot_pass_for_an_escaped_newline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_table(["id"], [["real\nnewline"], ["typed\\nby hand"]])

    rows = capsys.readouterr().out.splitlines()

    assert rows[1:] == ["real\\nnewline", "typed\\\\nby hand"]


def test_c1_control_characters_and_line_separators_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    write_table(["id"], [["a\x9bb\u2028c"]])

    rows = capsys.readouterr().out.splitlines()

    assert rows[1:] == ["a\\x9bb\\u2028c"]
