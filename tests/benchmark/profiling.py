"""Optional py-spy sampling of every process during the POST phase, with a text summary of hot spots."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.benchmark.memory import children_by_parent

TOP = 25


def start_recording(
    directory: str, roots: dict[str, list[int]], seconds: int
) -> list[subprocess.Popen[bytes]]:
    """One `py-spy record --format raw` per process (gateway workers, not their idle master)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        sys.stderr.write("benchmark: py-spy not found, no profile taken\n")
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    # --gil: only samples of the thread holding the GIL, i.e. where Python spends CPU, not where it waits.
    record = [spy, "record", "--duration", str(seconds), "--format", "raw", "--nolineno", "--gil"]
    record.append("--nonblocking")
    return [
        subprocess.Popen(
            [*record, "--pid", str(pid), "--output", str(Path(directory) / f"profile-{label}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for label, pid in _targets(roots)
    ]


def finish_recording(directory: str, recorders: list[subprocess.Popen[bytes]]) -> None:
    """Wait for the recorders, then write profile-<label>.top.txt beside every raw profile."""
    for recorder in recorders:
        recorder.wait(timeout=120)
    for raw in sorted(Path(directory).glob("profile-*.txt")):
        if not raw.name.endswith(".top.txt"):
            raw.with_suffix(".top.txt").write_text(summarise(raw.read_text()))


def summarise(collapsed: str) -> str:
    """Functions by share of samples: self (on top of the stack) and total (anywhere in it)."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in filter(None, collapsed.splitlines()):
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            anywhere[frame] += int(count)
    lines = [f"samples {samples}", "", "self%  function"]
    lines += [f"{100 * n / samples:5.1f}  {f}" for f, n in own.most_common(TOP)] if samples else []
    lines += ["", "total%  function"]
    lines += [f"{100 * n / samples:5.1f}  {f}" for f, n in anywhere.most_common(TOP)] if samples else []
    return "\n".join(lines) + "\n"


def _targets(roots: dict[str, list[int]]) -> list[tuple[str, int]]:
    children = children_by_parent()
    found: list[tuple[str, int]] = []
    for role, pids in roots.items():
        for n, pid in enumerate(pids, start=1):
            kids = children.get(pid, []) if role == "gateway" else []
            found += [(f"{role}{n}-worker{k}", kid) for k, kid in enumerate(kids, start=1)] or [
                (f"{role}{n}", pid)
            ]
    return found
