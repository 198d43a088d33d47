"""The cluster's other databases: which our roles could still reach; closed on a cluster of our own."""

import logging
from collections.abc import Sequence

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

# Databases other than ours that a role may connect to: `datallowconn` leaves template0 out.
_OTHERS = "SELECT datname FROM pg_database WHERE datallowconn AND datname <> current_database()"
_OPEN = text(f"{_OTHERS} AND has_database_privilege('public', oid, 'CONNECT') ORDER BY 1")
_REACHABLE = text(
    "SELECT r.rolname, d.datname FROM pg_roles r CROSS JOIN pg_database d"
    " WHERE r.rolname = ANY(:roles) AND d.datallowconn AND d.datname <> current_database()"
    " AND has_database_privilege(r.oid, d.oid, 'CONNECT') ORDER BY 1, 2"
)


def close_other_databases(conn: Connection) -> list[str]:
    """On a cluster of our own: take `CONNECT` from `PUBLIC` on every other database (their owners and
    superusers keep it). PostgreSQL only warns when setup's user may not change a database, so the
    databases still open to `PUBLIC` are returned."""
    quote = conn.dialect.identifier_preparer.quote_identifier  # names are anyone's with CREATEDB
    for (database,) in conn.execute(text(f"{_OTHERS} ORDER BY 1")).all():
        conn.execute(text(f"REVOKE CONNECT ON DATABASE {quote(database)} FROM PUBLIC"))
    return list(conn.execute(_OPEN).scalars())


def reachable_elsewhere(conn: Connection, roles: Sequence[str]) -> dict[str, list[str]]:
    """Role -> the other databases of the cluster it may connect to (none, once they are closed)."""
    reachable: dict[str, list[str]] = {}
    for role, database in conn.execute(_REACHABLE, {"roles": list(roles)}).all():
        reachable.setdefault(role, []).append(database)
    return reachable


def check_other_databases(conn: Connection, roles: Sequence[str], dedicated: bool) -> None:
    """Close the other databases when the cluster is `dedicated`; warn about any our roles can still reach."""
    refused = close_other_databases(conn) if dedicated else []
    if refused:
        log.warning("could not close databases %s: only their owner or a superuser may", ", ".join(refused))
    reachable = reachable_elsewhere(conn, roles)
    if reachable:
        log.warning(
            "roles can connect to other databases of this cluster (CONNECT granted to PUBLIC): %s. On a "
            "cluster of your own set PAYFLOW_DATABASE_CLUSTER=dedicated; on a shared one, pg_hba.conf must "
            "keep them out (README, 'Database roles')",
            "; ".join(f"{role}: {', '.join(databases)}" for role, databases in reachable.items()),
        )
