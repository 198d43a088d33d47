"""Container files match the code: settings, CLI commands, entrypoint, scrape ports, dashboard metrics."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from app.bus import metrics as bus_metrics
from app.bus.batches import Failure
from app.cli import build_parser
from app.config import SETTINGS
from app.contracts import EVENT_TYPES
from app.gateway import metrics as gateway_metrics
from tests.support.compose import compose_text, interpolated

ROOT = Path(__file__).resolve().parents[2]
PAYFLOW_SERVICES = ("setup", "gateway", "orders-worker", "payments-worker", "watchdog")
# Queue depths come from RabbitMQ's own prometheus plugin, not from our code.
RABBITMQ_METRICS = {"rabbitmq_queue_messages_ready", "rabbitmq_queue_messages"}
METRIC_MODULES = (bus_metrics, gateway_metrics)  # imported so that their metrics are registered
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def load_yaml(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return interpolated(compose_text())


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def exposed_metric_series() -> dict[str, set[str]]:
    """Every metric our code defines, with the series names it can produce (labelled ones have no samples)."""
    return {
        metric.name: {metric.name + suffix for suffix in SUFFIXES.get(metric.type, ("",))}
        for metric in REGISTRY.collect()
        if metric.name.startswith("payflow_")
    }


def exposed_metric_names() -> set[str]:
    return set().union(*exposed_metric_series().values())


def dashboard_metric_names() -> set[str]:
    """Every payflow_ and rabbitmq_ series name a dashboard panel queries."""
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/payflow.json").read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return {name for expr in exprs for name in re.findall(r"\b(?:payflow|rabbitmq)_[a-z_]+\b", expr)}


def test_the_compose_file_runs_every_payflow_role_from_the_one_image(compose: dict[str, Any]) -> None:
    found = services(compose)

    assert set(PAYFLOW_SERVICES) <= set(found)
    assert {found[name]["image"] for name in PAYFLOW_SERVICES} == {"payflow:latest"}
    assert {found[name]["build"] for name in PAYFLOW_SERVICES} == {"."}


def test_every_payflow_variable_the_compose_file_sets_is_a_setting_with_a_valid_value(
    compose: dict[str, Any],
) -> None:
    by_env = {spec.env: spec for spec in SETTINGS.values()}

    variables = {
        key: str(value)
        for service in services(compose).values()
        for key, value in (service.get("environment") or {}).items()
        if key.startswith("PAYFLOW_")
    }

    assert variables, "the compose file configures payflow through PAYFLOW_* variables"
    assert set(variables) <= set(by_env), f"unknown settings: {set(variables) - set(by_env)}"
    for key, value in variables.items():
        by_env[key].parse(value)


@pytest.mark.parametrize("name", PAYFLOW_SERVICES)
def test_every_command_the_compose_file_runs_is_a_payflow_subcommand(
    compose: dict[str, Any], name: str
) -> None:
    command = services(compose)[name]["command"]

    args = build_parser().parse_args(command)

    assert args.command == command[0]


def test_every_payflow_service_waits_for_setup_and_each_server_has_a_health_check(
    compose: dict[str, Any],
) -> None:
    found = services(compose)

    assert found["setup"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert found["setup"]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    for name in ("gateway", "orders-worker", "payments-worker", "watchdog"):
        assert found[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    for name in ("gateway", "orders-worker", "payments-worker"):
        assert "healthcheck" in found[name]
    for name in ("postgres", "rabbitmq"):
        assert "healthcheck" in found[name]


def test_the_image_entrypoint_is_the_payflow_console_script_and_its_default_command_parses() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(ROOT / "setup.cfg")

    entrypoint = json.loads(re.findall(r"^ENTRYPOINT (.+)$", dockerfile, re.MULTILINE)[-1])
    default_command = json.loads(re.findall(r"^CMD (.+)$", dockerfile, re.MULTILINE)[-1])

    assert entrypoint == ["payflow"]
    assert "payflow = app.cli:main" in setup_cfg["options.entry_points"]["console_scripts"]
    assert build_parser().parse_args(default_command).command == default_command[0]
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "the image runs as a non-root user"


def test_prometheus_scrapes_every_process_on_its_documented_port(compose: dict[str, Any]) -> None:
    config = load_yaml("docker/prometheus.yml")
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    gateway_port = SETTINGS["metrics_bind"].default.rsplit(":", 1)[1]  # metrics have their own bind
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert targets["gateway"] == [f"gateway:{gateway_port}"]
    assert targets["orders-worker"] == [f"orders-worker:{SETTINGS['orders_metrics_port'].default}"]
    assert targets["payments-worker"] == [f"payments-worker:{SETTINGS['payments_metrics_port'].default}"]
    assert targets["rabbitmq"] == ["rabbitmq:15692"]
    for job, [target] in targets.items():
        assert target.split(":")[0] in services(compose), job
        assert target.split(":")[1] in readme, f"port of {job} is not documented in the README"


def test_the_dashboard_parses_and_charts_only_metrics_that_exist() -> None:
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/payflow.json").read_text(encoding="utf-8"))

    used = dashboard_metric_names()

    assert used - RABBITMQ_METRICS <= exposed_metric_names(), used - RABBITMQ_METRICS - exposed_metric_names()
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in ("throughput", "payment outcomes", "queue depths", "dead letters", "latency", "batch"):
        assert topic in titles


def test_every_metric_the_processes_expose_is_charted_on_the_dashboard() -> None:
    used = dashboard_metric_names()

    uncharted = {name for name, series in exposed_metric_series().items() if not series & used}

    assert "payflow_batch_size" in exposed_metric_series()
    assert uncharted == set()


def test_grafana_is_provisioned_with_the_prometheus_datasource_the_dashboard_uses() -> None:
    datasources = load_yaml("docker/grafana/provisioning/datasources/prometheus.yml")["datasources"]
    providers = load_yaml("docker/grafana/provisioning/dashboards/payflow.yml")["providers"]
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/payflow.json").read_text(encoding="utf-8"))

    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]}

    assert uids == {datasources[0]["uid"]}
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_the_alert_rules_use_only_metrics_that_exist_and_prometheus_loads_them(
    compose: dict[str, Any],
) -> None:
    rules = load_yaml("docker/alerts.yml")["groups"][0]["rules"]

    used = {name for rule in rules for name in re.findall(r"\bpayflow_[a-z_]+", rule["expr"])}

    assert len(used) >= 6
    assert used <= exposed_metric_names(), used - exposed_metric_names()
    assert all(rule["labels"]["severity"] in ("page", "ticket") for rule in rules)
    assert load_yaml("docker/prometheus.yml")["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert "./docker/alerts.yml:/etc/prometheus/alerts.yml:ro" in services(compose)["prometheus"]["volumes"]


def metric_labels() -> dict[str, set[str]]:
    """Each series name our metrics produce, with its label names (Prometheus adds job and instance)."""
    found: dict[str, set[str]] = {}
    for module in METRIC_MODULES:
        for metric in vars(module).values():
            if isinstance(metric, MetricWrapperBase):
                for series in exposed_metric_series()[metric._name]:
                    found[series] = {*metric._labelnames, "job", "instance"}
    return found


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(series name, [(label, value)]) of every `name{...}` in a PromQL expression."""
    matchers = re.compile(r'(\w+)\s*(?:=~|!~|!=|=)\s*"([^"]*)"')
    return [(name, matchers.findall(inside)) for name, inside in re.findall(r"([a-z_:]+)\{([^}]*)\}", expr)]


def test_the_alert_rules_select_only_labels_the_metrics_carry_with_values_they_take() -> None:
    rules = load_yaml("docker/alerts.yml")["groups"][0]["rules"]
    labels = metric_labels()
    jobs = {job["job_name"] for job in load_yaml("docker/prometheus.yml")["scrape_configs"]}
    payment_outcomes = {
        kind.TYPE.removeprefix("payment.") for kind in EVENT_TYPES.values() if kind.PRODUCER == "payments"
    }
    known = {"failure": {failure.value for failure in Failure}, "outcome": payment_outcomes}

    chosen = [(name, found) for rule in rules for name, found in selectors(rule["expr"])]

    assert len(chosen) >= 9
    for name, found in chosen:
        for label, value in found:
            if name == "up":
                assert label == "job"
                assert set(value.split("|")) <= jobs, value
            elif name.startswith("payflow_"):
                assert label in labels[name], f"{name} has no label {label}"
                assert set(value.split("|")) <= known.get(label, {value}), f"{name}{{{label}={value!r}}}"
