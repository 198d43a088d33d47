"""The composition root: the one place that builds engines, adapters and processes from Settings."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import Engine

from app import orders, payments
from app.bus import (
    ROLE_QUEUES,
    OutboxRelay,
    QueueWorker,
    WorkerProbes,
    broker_problem,
    open_worker_http,
    purge_published,
    refresh_outbox_gauges,
    run_periodically,
    serve_until,
    worker_wsgi_app,
)
from app.config import Settings
from app.contracts import EventHandler
from app.gateway import (
    GatewayDeps,
    OrderReads,
    PaymentReads,
    create_app,
    purge_idempotency_keys,
    warn_when_open,
)
from app.persistence import build_engine
from app.persistence.health import database_problem
from app.persistence.migrations import pending_migrations
from app.persistence.roles import role_url

ROLES = ("orders", "payments")
SWEEP_INTERVAL_S = 5.0
WORKER_POOL_TIMEOUT_S = 30.0
PURGE_INTERVAL_S = 600.0
GAUGE_INTERVAL_S = 5.0
METRICS_HOST = "0.0.0.0"  # the worker's /metrics and /health port must be reachable from other containers

log = logging.getLogger(__name__)


@dataclass
class Background:
    """Daemon threads a process runs beside its main job; `stop` ends them all."""

    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stop,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout_s / max(len(self.threads), 1))


def module_engine(settings: Settings, role: str, *, pool_size: int = 5) -> Engine:
    """The engine one process role uses; reads get the gateway's statement timeout.

    Worker handler threads outnumber pooled connections (payments wait on the provider with no
    connection held), so workers queue for a connection instead of failing after a few seconds.
    """
    return build_engine(
        process_database_url(settings, role),
        application_name=f"payflow-{role}",
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_ms=settings.read_timeout_ms if role == "gateway" else None,
        pool_size=pool_size,
        pool_timeout_s=None if role == "gateway" else WORKER_POOL_TIMEOUT_S,
        # No pre-ping round trip per checkout: a connection that died in the pool fails one read
        # (retried once), one write (503 + Retry-After) or one message (retried), never silently.
        pre_ping=False,
    )


def process_urls(settings: Settings) -> dict[str, str]:
    """The database URL configured for each process role ("" when derived from PAYFLOW_DATABASE_URL)."""
    return {
        "gateway": settings.gateway_database_url,
        "orders": settings.orders_database_url,
        "payments": settings.payments_database_url,
    }


def process_database_url(settings: Settings, role: str) -> str:
    """The URL a process role connects with: its own setting, else the owner's URL as its database role."""
    own = process_urls(settings)
    if role not in own:  # operator tools run as the owner
        return settings.database_url
    return own[role] or role_url(settings.database_url, role)


def readiness(engine: Engine, settings: Settings) -> dict[str, str]:
    """What each dependency says: "ok" or the reason it is not usable."""
    database = database_problem(engine)
    migrations = "unknown" if database else _migration_state(engine)
    return {
        "database": database or "ok",
        "broker": broker_problem(settings.broker_url) or "ok",
        "migrations": migrations,
    }


def _migration_state(engine: Engine) -> str:
    behind = pending_migrations(engine)
    return "ok" if not behind else f"pending for schemas: {', '.join(behind)}"


def build_gateway(settings: Settings, *, background: Background | None = None) -> Flask:
    """The Flask app; with `background`, also relays the gateway outbox and purges old idempotency keys."""
    engine = module_engine(settings, "gateway", pool_size=settings.http_threads)
    deps = GatewayDeps(
        engine=engine,
        orders=OrderReads(
            get=orders.get_order, list=orders.list_orders, is_cancellable=orders.is_cancellable
        ),
        payments=PaymentReads(
            get=payments.get_payment,
            for_order=payments.get_payment_for_order,
            list=payments.list_payments,
            stats=payments.payment_stats,
        ),
        readiness=functools.partial(readiness, engine, settings),
        api_key_hashes=settings.api_key_hashes,
    )
    warn_when_open(settings.api_key_hashes)
    if background is not None:
        background.spawn("gateway-relay", _relay(engine, "gateway", settings).run)
        purge_keys = functools.partial(purge_idempotency_keys, engine, settings.idempotency_ttl_h)
        background.spawn("gateway-key-purge", _every(PURGE_INTERVAL_S, purge_keys, "purge idempotency keys"))
        purge_events = functools.partial(purge_published, engine, "gateway", settings.outbox_retention_h)
        background.spawn(
            "gateway-outbox-purge", _every(PURGE_INTERVAL_S, purge_events, "purge published events")
        )
        gauges = functools.partial(refresh_outbox_gauges, engine, "gateway")
        background.spawn("gateway-outbox-gauges", _every(GAUGE_INTERVAL_S, gauges, "outbox gauges"))
    return create_app(deps)


def build_worker(settings: Settings, role: str, background: Background) -> QueueWorker:
    """The queue consumer of one role, with that role's relay and periodic jobs started in `background`."""
    concurrency = settings.orders_concurrency if role == "orders" else settings.payments_concurrency
    engine = module_engine(settings, role, pool_size=min(concurrency, 10))
    handlers = _handlers(settings, role, engine, background)
    worker = QueueWorker(
        settings.broker_url,
        ROLE_QUEUES[role],
        handlers,
        concurrency=concurrency,
        max_attempts=settings.max_attempts,
        retry_delays_ms=settings.retry_delays_ms,
    )
    port = settings.orders_metrics_port if role == "orders" else settings.payments_metrics_port
    if port:
        probes = WorkerProbes(lambda: worker.last_heartbeat, functools.partial(database_problem, engine))
        _serve_worker_http(port, probes, role, background)
    return worker


def _serve_worker_http(port: int, probes: WorkerProbes, role: str, background: Background) -> None:
    """/metrics and /health on `port`; a taken port (a second worker of the role) is logged, not fatal."""
    try:
        server = open_worker_http(METRICS_HOST, port, worker_wsgi_app(probes))
    except OSError as exc:
        log.error("%s worker: no /metrics or /health endpoint, port %d unusable: %s", role, port, exc)
        return
    background.spawn(f"{role}-http", functools.partial(serve_until, server))
    log.info("%s worker serving /metrics, /health/live and /health/ready on port %d", role, port)


def _handlers(
    settings: Settings, role: str, engine: Engine, background: Background
) -> dict[str, EventHandler]:
    if role == "orders":
        return orders.order_handlers(lambda: orders.SqlOrdersUnitOfWork(engine))
    uow_factory = functools.partial(payments.SqlPaymentsUnitOfWork, engine)
    gateway = simulated_gateway(settings)
    background.spawn("payments-relay", _relay(engine, "payments", settings).run)
    sweep = functools.partial(payments.fail_stuck_payments, uow_factory, gateway, settings.payment_deadline_s)
    background.spawn("payments-sweeper", _every(SWEEP_INTERVAL_S, sweep, "fail stuck payments"))
    purge = functools.partial(purge_published, engine, "payments", settings.outbox_retention_h)
    background.spawn("payments-outbox-purge", _every(PURGE_INTERVAL_S, purge, "purge published events"))
    gauges = functools.partial(refresh_outbox_gauges, engine, "payments")
    background.spawn("payments-outbox-gauges", _every(GAUGE_INTERVAL_S, gauges, "outbox gauges"))
    return payments.payment_handlers(uow_factory, gateway)


def _relay(engine: Engine, schema: str, settings: Settings) -> OutboxRelay:
    """A relay that declares the topology on every new broker connection before it publishes."""
    return OutboxRelay(engine, schema, settings.broker_url, declare_with_delays=settings.retry_delays_ms)


def simulated_gateway(settings: Settings) -> payments.SimulatedPaymentGateway:
    """The payment provider adapter; swap this line for a real provider's adapter."""
    return payments.SimulatedPaymentGateway(
        latency_ms=settings.payment_latency_ms,
        decline_rate=settings.payment_decline_rate,
        failure_rate=settings.payment_failure_rate,
    )


def _every(interval_s: float, job: Callable[[], object], name: str) -> Callable[[threading.Event], None]:
    return functools.partial(run_periodically, interval_s=interval_s, fn=job, name=name)
