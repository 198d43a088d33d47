"""`payflow run`: nginx (when installed) before gunicorn, both workers and the watchdog, in the foreground."""

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from app.bootstrap import ROLES
from app.cli.proxy import find_nginx, nginx_command
from app.config import Settings

log = logging.getLogger("payflow.run")
ROOT = Path(__file__).resolve().parents[2]  # where gunicorn.conf.py, wsgi.py and worker.py are
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
WORKERS = {f"{role}-worker": [sys.executable, "worker.py", "--role", role] for role in ROLES}
WATCHDOG = [sys.executable, "-m", "app.cli", "watchdog"]  # holds the roles to their statement timeouts
STOP_TIMEOUT_S = 30.0
Child = tuple[list[str], dict[str, str] | None]  # a command and its environment (None: ours)


def run_processes(settings: Settings) -> int:
    """Start every process, stop them all when one dies or on SIGINT/SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="payflow-run-") as run_dir:
        commands = _front(settings, Path(run_dir)) | {name: (cmd, None) for name, cmd in WORKERS.items()}
        commands["watchdog"] = (WATCHDOG, None)
        # Sessions of their own: Ctrl-C reaches only us, and we stop the children gracefully with SIGTERM.
        children = {
            name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
            for name, (cmd, env) in commands.items()
        }
        log.info("running %s; Ctrl-C stops everything", ", ".join(children))
        exited = None
        while exited is None and not stop.wait(0.5):
            exited = next((name for name, child in children.items() if child.poll() is not None), None)
        if exited is not None:
            log.error("%s exited with code %s; stopping the others", exited, children[exited].returncode)
        _terminate(children)
    return 0 if exited is None else 1


def _front(settings: Settings, run_dir: Path) -> dict[str, Child]:
    """What answers on PAYFLOW_HTTP_BIND: nginx, with gunicorn on a unix socket only nginx uses; without
    nginx, gunicorn itself (and a warning: slow clients can then hold all of its threads)."""
    nginx = find_nginx()
    if nginx is None:
        log.warning(
            "nginx is not installed: %s is gunicorn itself, with no proxy to absorb slow or idle clients. "
            "Install nginx (apt-get install nginx-light) before exposing this port.",
            settings.http_bind,
        )
        return {"gateway": (GUNICORN, None)}
    upstream = f"unix:{run_dir / 'gateway.sock'}"
    proxy = nginx_command(nginx, run_dir, settings.http_bind, upstream)
    log.info("nginx answers on %s in front of gunicorn on %s", settings.http_bind, upstream)
    return {"gateway": (GUNICORN, os.environ | {"PAYFLOW_HTTP_BIND": upstream}), "proxy": (proxy, None)}


def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children.items():
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", name, STOP_TIMEOUT_S)
            child.kill()
    log.info("all processes stopped")
