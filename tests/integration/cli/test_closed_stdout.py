"""An operator command whose reader left (`payflow ... | head -1`) ends quietly, as SIGPIPE would end it."""

import os
import subprocess
import sys


def test_a_command_whose_output_pipe_is_closed_exits_141_without_a_word() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: every write fails with EPIPE
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "app.cli", "hash-key"],
            input=b"an-api-key",
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
        )
    finally:
        os.close(write_end)

    assert (finished.returncode, finished.stderr.decode()) == (141, "")
