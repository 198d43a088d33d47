"""Setting broker users and permissions: with rabbitmqctl on the broker's host, or the management API."""

import base64
import json
import logging
import shutil
import subprocess
import urllib.request
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit

from app.bus.permissions import Grant

log = logging.getLogger(__name__)
ADMIN_TIMEOUT_S = 60


class BrokerAdminError(Exception):
    """The broker refused, or the tool failed, to create a user or set its permissions."""


class Rabbitmqctl:
    """rabbitmqctl of the broker's host; needs the rights to reach the node (its Erlang cookie)."""

    def __init__(self, executable: str) -> None:
        self._executable = executable
        self._users: set[str] | None = None  # listed once: each call starts an Erlang VM (about a second)

    def ensure_user(self, name: str, password: str) -> None:
        if self._users is None:
            self._users = {
                user["user"] for user in json.loads(self._run("list_users", "--formatter", "json"))
            }
        # The password goes in on stdin, never on the command line where `ps` would show it.
        self._run("change_password" if name in self._users else "add_user", name, stdin=password)
        self._users.add(name)

    def grant(self, vhost: str, name: str, grant: Grant) -> None:
        # Replaces the user's permissions on the vhost. Topic permissions are set per exchange; one left
        # from before on another exchange could only narrow what the write permission allows there.
        self._run("set_permissions", "-p", vhost, name, *grant.permissions)
        for exchange, patterns in grant.topic_permissions.items():
            self._run("set_topic_permissions", "-p", vhost, name, exchange, *patterns)

    def _run(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [self._executable, "-q", *args],
            check=False,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=ADMIN_TIMEOUT_S,
        )
        if done.returncode != 0:
            reason = next(iter((done.stderr or done.stdout).strip().splitlines()), f"exit {done.returncode}")
            raise BrokerAdminError(f"rabbitmqctl {args[0]}: {reason}")
        return done.stdout


class ManagementApi:
    """The management plugin's HTTP API at `url` (http://user:password@host:15672), as an administrator."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}/api"
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = f"Basic {token}"

    def ensure_user(self, name: str, password: str) -> None:
        self._put(f"users/{quote(name, safe='')}", {"password": password, "tags": ""})

    def grant(self, vhost: str, name: str, grant: Grant) -> None:
        where = f"{quote(vhost, safe='')}/{quote(name, safe='')}"
        configure, write, read = grant.permissions
        self._put(f"permissions/{where}", {"configure": configure, "write": write, "read": read})
        for exchange, (write, read) in grant.topic_permissions.items():
            self._put(f"topic-permissions/{where}", {"exchange": exchange, "write": write, "read": read})

    def _put(self, path: str, document: Mapping[str, str]) -> None:
        request = urllib.request.Request(f"{self._base}/{path}", json.dumps(document).encode(), method="PUT")
        request.add_header("Authorization", self._auth)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=ADMIN_TIMEOUT_S):
                pass
        except OSError as exc:  # HTTPError (a refusal) is an OSError too
            raise BrokerAdminError(f"management API: {exc}") from None


def broker_admin(admin_url: str) -> ManagementApi | Rabbitmqctl | None:
    """The management API when `admin_url` is set, else rabbitmqctl when installed here, else None."""
    if admin_url:
        return ManagementApi(admin_url)
    executable = shutil.which("rabbitmqctl")
    return Rabbitmqctl(executable) if executable else None
