"""The composition root: builds the gateway and the workers from Settings; the entry points start them."""

import functools
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Engine

from app import bus, gateway, orders, payments
from app.config import Settings
from app.gateway import CommandStore, GatewayDeps, SqlCommandStore, create_app, warn_when_open
from app.jobs import Job
from app.metrics_server import serve_http
from app.persistence import ReadRouter, StatementDeadlines, build_engine, database_problem, purge_claims
from app.process_roles import WORKER_POOL_SIZE, gateway_read_url, process_broker_url, process_database_url
from app.readiness import gateway_readiness

HANDLED = {"orders": orders.HANDLED, "payments": payments.HANDLED}
OUTBOXES = {"gateway": gateway.OUTBOX, "payments": payments.OUTBOX}  # keyed by schema
ROLES = tuple(HANDLED)
SWEEP_INTERVAL_S = 5.0
PURGE_INTERVAL_S = 600.0
GAUGE_INTERVAL_S = 5.0
READ_CHECK_INTERVAL_S = 1.0  # how soon reads go back to a replica that is usable again
WORKER_POOL_TIMEOUT_S = 30.0
# Batches a payments worker keeps waiting on its provider at once (README, Benchmark: why 32 runners).
PAYMENT_BATCHES = 32
Wake = Callable[[], None]


class Gateway(NamedTuple):
    """The Flask app and the jobs each gateway process runs beside it."""

    app: gateway.GatewayFlask
    jobs: list[Job]


class Worker(NamedTuple):
    """One role's consumer (the main loop) and the jobs its process runs beside it."""

    consumer: bus.BatchConsumer
    jobs: list[Job]


def topology(settings: Settings, role: str | None = None) -> bus.Topology:
    """Every module's inbox bound to the events its handlers take (a `role` with its own user only checks)."""
    inboxes = {bus.inbox_name(module): handled for module, handled in HANDLED.items()}
    own_user = role is not None and process_broker_url(settings, role) != settings.broker_url
    return bus.Topology(inboxes, settings.retry_delays_ms, declares=not own_user)


def build_gateway(
    settings: Settings,
    *,
    queries: tuple[orders.OrderQueries, payments.PaymentQueries] | None = None,
    commands: CommandStore | None = None,
) -> Gateway:
    """The gateway app and its jobs (outbox relay, purges, gauges); tests pass fakes for the rest."""
    # A request runs one statement (a read, or a command's INSERT): autocommit, no BEGIN and COMMIT.
    engine = _engine(settings, "gateway", settings.http_threads, autocommit=True)
    relay_engine = _engine(settings, "gateway", 1)
    router, replica_jobs = _read_router(settings, engine)
    reads = router or engine
    order_queries, payment_queries = queries or (orders.OrderQueries(reads), payments.PaymentQueries(reads))
    readiness = functools.partial(gateway_readiness, engine, process_broker_url(settings, "gateway"), router)
    warn_when_open(settings.api_key_hashes)
    wake_relay, jobs = _outbox(settings, relay_engine, "gateway", settings.events_kept_h)
    store = commands or SqlCommandStore(engine, wake_relay)
    # A cancel's 404/409 check must see what the primary holds, not what a lagging replica replayed.
    primary = orders.OrderQueries(engine) if router and not queries else None
    keys, depth = settings.api_key_hashes, settings.max_page_offset
    deps = GatewayDeps(order_queries, payment_queries, store, readiness, keys, depth, primary)
    return Gateway(create_app(deps), jobs + replica_jobs)


def build_worker(
    settings: Settings, role: str, *, provider: payments.PaymentProvider | None = None
) -> Worker:
    """The consumer of one role's inbox and its jobs; `provider` defaults to the simulated one."""
    engine = _engine(settings, role, WORKER_POOL_SIZE)
    if role == "orders":
        handlers, parallel, jobs, in_flight = orders.build(engine).handlers, 1, list[Job](), None
    else:  # payments waits on the provider in batches side by side, `payments_concurrency` deliveries at most
        in_flight = settings.payments_concurrency
        provider = provider or payments.SimulatedProvider(  # swap for a real provider's adapter
            settings.payment_latency_ms, settings.payment_decline_rate, settings.payment_failure_rate
        )
        wake, jobs = _outbox(settings, engine, "payments", settings.outbox_retention_h)
        module = payments.build(engine, provider, deadline_s=settings.payment_deadline_s, written=wake)
        handlers, parallel = module.handlers, min(PAYMENT_BATCHES, in_flight)
        owed = functools.partial(bus.refresh_release_gauges, module.queries.releases_owed)
        consumer: bus.BatchConsumer  # built below; the sweeper judges nothing until it has consumed a while
        sweep = lambda: module.sweep(consumed_s=consumer.consuming_for())  # noqa: E731
        jobs += [Job.every("payments-sweeper", SWEEP_INTERVAL_S, sweep)]
        jobs += [Job.every("payments-release-gauges", GAUGE_INTERVAL_S, owed)]
    claims = functools.partial(purge_claims, engine, role, settings.events_kept_h)  # its own schema
    jobs.append(Job.every(f"{role}-inbox-purge", PURGE_INTERVAL_S, claims))
    routes, queue = topology(settings, role), bus.inbox_name(role)
    if missing := bus.unrouted(routes, queue, handlers):
        raise ValueError(f"{queue} is bound to no exchange that carries {', '.join(k.TYPE for k in missing)}")
    batching = bus.Batching(settings.batch_size, settings.batch_wait_ms / 1000, parallel, in_flight)
    policy = bus.RetryPolicy(queue, settings.max_attempts, settings.retry_delays_ms)
    consumer = bus.BatchConsumer(process_broker_url(settings, role), routes, handlers, batching, policy)
    if port := getattr(settings, f"{role}_metrics_port"):
        database = functools.partial(database_problem, engine)
        probes = bus.WorkerProbes(lambda: consumer.last_heartbeat, database)
        serve = functools.partial(serve_http, settings.worker_http_host, port, bus.worker_wsgi_app(probes))
        jobs.append(Job(f"{role}-http", serve))
    return Worker(consumer, jobs)


def _outbox(settings: Settings, engine: Engine, schema: str, kept_h: int) -> tuple[Wake, list[Job]]:
    """The jobs looking after a schema's outbox, and what its writers call after a commit: wakes the relay."""
    table, linger_s, routes = OUTBOXES[schema], settings.batch_wait_ms / 1000, topology(settings, schema)
    broker_url = process_broker_url(settings, schema)  # a schema is named after the role that relays it
    relay = bus.OutboxRelay(engine, table, broker_url, topology=routes, linger_s=linger_s)
    purge = functools.partial(bus.purge_published, engine, table, kept_h)
    gauges = functools.partial(bus.refresh_outbox_gauges, engine, table)
    queues = bus.QueueGauges(broker_url, routes, f"{schema}-queue-gauges")  # passive declares: need no right
    return relay.wake, [
        Job(f"{schema}-relay", relay.run, relay.wake),
        Job.every(f"{schema}-outbox-purge", PURGE_INTERVAL_S, purge),
        Job.every(f"{schema}-outbox-gauges", GAUGE_INTERVAL_S, gauges),
        Job(f"{schema}-queue-gauges", functools.partial(queues.run, interval_s=GAUGE_INTERVAL_S)),
    ]


def _read_router(settings: Settings, primary: Engine) -> tuple[ReadRouter | None, list[Job]]:
    """GET reads (the replica while usable, else `primary`; None without one), its check, its hang cut-off."""
    if not (url := gateway_read_url(settings)):
        return None, []
    deadlines = StatementDeadlines(settings.read_timeout_ms / 1000)
    replica = deadlines.watch(_engine(settings, "gateway", settings.http_threads, autocommit=True, url=url))
    router = ReadRouter(primary, replica, settings.read_max_lag_s)
    check = Job.every("read-replica-check", READ_CHECK_INTERVAL_S, router.check)
    return router, [check, Job.every("replica-deadlines", deadlines.CHECK_INTERVAL_S, deadlines.cut_overdue)]


def _engine(settings: Settings, role: str, pool_size: int, autocommit: bool = False, url: str = "") -> Engine:
    """A process role's engine (on `url`, else its own); gateway statements time out at the read timeout."""
    return build_engine(
        url or process_database_url(settings, role),
        application_name=f"payflow-{role}",
        connect_timeout_s=settings.db_connect_timeout_s,
        dead_after_s=settings.db_dead_after_s,
        statement_timeout_ms=settings.read_timeout_ms if role == "gateway" else None,
        pool_size=pool_size,
        pool_timeout_s=None if role == "gateway" else WORKER_POOL_TIMEOUT_S,
        autocommit=autocommit,
    )
