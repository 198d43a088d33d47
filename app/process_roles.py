"""What each process's database role is called, connects with and is held to, and its broker URL."""

from sqlalchemy.engine import make_url

from app.config import Settings
from app.persistence.roles import PROCESSES, ProcessRoles, role_prefix, role_url
from app.persistence.watchdog import WATCHDOG, WATCHDOG_CONNECTION_LIMIT, Grace

WORKER_POOL_SIZE = 2  # connections a worker's engine keeps (it overflows to twice as many)
WORKERS = tuple(process for process in PROCESSES if process != "gateway")  # one per module


def process_urls(settings: Settings) -> dict[str, str]:
    """The database URL configured for each process role and the watchdog ("" when derived from
    PAYFLOW_DATABASE_URL)."""
    return {role: getattr(settings, f"{role}_database_url") for role in (*PROCESSES, WATCHDOG)}


def process_database_url(settings: Settings, role: str) -> str:
    """The URL a process role connects with: its own setting, else the owner's URL as its database role."""
    return process_urls(settings)[role] or role_url(settings.database_url, process_roles(settings).name(role))


def process_broker_url(settings: Settings, role: str) -> str:
    """The URL a process role logs in to RabbitMQ with: its own user's, else PAYFLOW_BROKER_URL's."""
    return str(getattr(settings, f"{role}_broker_url")) or settings.broker_url


def gateway_read_url(settings: Settings) -> str:
    """The URL the gateway reads from ("" without a replica): its own setting, else the replica's URL with
    the gateway's role as the user (the roles exist on the replica: it copies the whole cluster)."""
    if settings.gateway_read_database_url or not settings.read_database_url:
        return settings.gateway_read_database_url
    return role_url(settings.read_database_url, process_roles(settings).name("gateway"))


def process_roles(settings: Settings) -> ProcessRoles:
    """Each role's limits: twice what its `processes_per_role` processes' pools may open (a pool overflows
    to twice its size; a gateway worker has two, its requests' and its relay's), so a restart's old and
    new ones fit."""
    most = {"gateway": settings.http_workers * (2 * settings.http_threads + 2)}
    most |= dict.fromkeys(WORKERS, 2 * WORKER_POOL_SIZE)
    limits = {role: 2 * settings.processes_per_role * connections for role, connections in most.items()}
    limits[WATCHDOG] = settings.processes_per_role * WATCHDOG_CONNECTION_LIMIT  # a watchdog per host too
    timeouts = {"gateway": settings.read_timeout_ms} | dict.fromkeys(
        WORKERS, settings.worker_statement_timeout_ms
    )
    prefix = role_prefix(settings.database_url, settings.database_role_prefix)
    return ProcessRoles(prefix, limits, timeouts, Grace(cancel_after_ms=settings.watchdog_interval_ms))


def watchdog_urls(settings: Settings) -> dict[str, str]:
    """Where the watchdog watches, as its role: the primary, and the replica the gateway reads from, if any
    (the same role and password, on the replica's host and options: a streaming replica copies the whole
    cluster, the sweep function included)."""
    primary = process_database_url(settings, WATCHDOG)
    if not (read_url := settings.gateway_read_database_url or settings.read_database_url):
        return {"primary": primary}
    replica = make_url(read_url)
    own = make_url(primary)
    on_replica = own.set(host=replica.host, port=replica.port, database=replica.database, query=replica.query)
    return {"primary": primary, "replica": on_replica.render_as_string(hide_password=False)}
