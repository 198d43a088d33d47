"""The nginx reverse proxy put in front of gunicorn: finding nginx and rendering the repo's config for it."""

import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

NGINX_DIR = Path(__file__).resolve().parents[2] / "docker" / "nginx"
TEMPLATE = NGINX_DIR / "payflow.conf.template"  # the server block, shared with docker-compose.yml
MAIN = NGINX_DIR / "nginx.conf"  # the main configuration when payflow starts nginx itself
_PLACEHOLDER = re.compile(r"\$\{(PROXY_[A-Z_]+)\}")
_TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass(frozen=True)
class ProxyLimits:
    """How much one client may ask: requests per second per API key (else per address), the burst
    answered at once above that rate, and requests in progress at once per address. `address_rate`
    holds every address whatever keys it sends: one inventing a new key per request gets no fresh bucket.
    And how long it may take to send a request: its whole header, and each pause within its body."""

    rate: str = "100r/s"
    burst: int = 200
    connections: int = 64
    address_rate: str = "400r/s"
    header_timeout: str = "10s"
    body_timeout: str = "10s"


def find_nginx() -> str | None:
    """The nginx executable: on PATH, else where Debian installs it (/usr/sbin is not on every PATH)."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def render(listen: str, upstream: str, limits: ProxyLimits) -> str:
    """The server block with its placeholders filled in (a limit's is PROXY_ and its name in capitals, as
    docker-compose.yml sets them); a placeholder nobody fills is an error."""
    values = {f"PROXY_{name.upper()}": str(value) for name, value in asdict(limits).items()}
    values |= {"PROXY_LISTEN": listen, "PROXY_UPSTREAM": upstream}
    return _PLACEHOLDER.sub(lambda match: values[match[1]], TEMPLATE.read_text(encoding="utf-8"))


def nginx_command(
    nginx: str, prefix: Path, listen: str, upstream: str, limits: ProxyLimits | None = None
) -> list[str]:
    """Write the configuration into `prefix` and return the command that runs nginx on it in the
    foreground (SIGTERM stops it). `upstream` is gunicorn's address: host:port or unix:/path."""
    (prefix / "payflow.conf").write_text(render(listen, upstream, limits or ProxyLimits()), encoding="utf-8")
    shutil.copyfile(MAIN, prefix / "nginx.conf")
    for name in _TEMP_DIRS:
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    # Run as root, nginx's workers switch to an unprivileged user, who must be able to enter the directory.
    prefix.chmod(0o755)
    return [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
