"""The alerting rules in docker/alerts.yml, run by Prometheus's own `promtool test rules` on made-up series:
each fires on the trouble it names, after its `for`, with the labels and text an operator sees, and stays
quiet on a healthy system."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.system import ROOT

pytestmark = pytest.mark.integration
RULES = ROOT / "docker" / "alerts.yml"
WORKER = {"job": "payments-worker", "instance": "payments-worker:9102"}


def promtool() -> str:
    """Prometheus's rule checker: on PATH, where Debian's `prometheus` package puts it, or where .ci/run
    unpacks it."""
    found = shutil.which("promtool") or next(
        (str(p) for p in (Path("/usr/bin/promtool"), Path("/usr/local/bin/promtool")) if p.exists()), None
    )
    assert found, "promtool not found: `apt-get install prometheus`, or see .ci/run"
    return found


def description(alert: str) -> str:
    """The rule's description: a fixed text, so the expected annotations can take it from the rules."""
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"][0]["rules"]
    return str(next(rule for rule in rules if rule["alert"] == alert)["annotations"]["description"])


def series(name: str, values: str, **labels: str) -> dict[str, str]:
    rendered = ",".join(f'{key}="{value}"' for key, value in (WORKER | labels).items())
    return {"series": f"{name}{{{rendered}}}", "values": values}


def fires(alert: str, summary: str, **labels: str) -> list[dict[str, Any]]:
    annotations = {"summary": summary, "description": description(alert)}
    return [{"exp_labels": labels, "exp_annotations": annotations}]


def run_promtool(tmp_path: Path, inputs: list[dict[str, str]], checks: list[dict[str, Any]]) -> None:
    """`promtool test rules` with one test of `inputs` (one sample a minute) and `checks`."""
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": inputs, "alert_rule_test": checks}],
    }
    path = tmp_path / "alerts_test.yml"
    path.write_text(yaml.safe_dump(test), encoding="utf-8")
    done = subprocess.run(
        [promtool(), "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_accepts_the_rules_file() -> None:
    done = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 rules found" in done.stdout


def test_dead_letters_page_after_a_minute_and_messages_in_an_inbox_do_not(tmp_path: Path) -> None:
    dead, inbox = "orders.inbox.dead-letters", "orders.inbox"
    inputs = [
        series("payflow_queue_messages", "0 2 2 2", queue=dead),
        series("payflow_queue_messages", "50 50 50 50", queue=inbox),
    ]
    summary = f"{dead} holds 2 dead letters"
    checks = [
        {"eval_time": "1m", "alertname": "PayflowDeadLetters", "exp_alerts": []},
        {
            "eval_time": "2m",
            "alertname": "PayflowDeadLetters",
            "exp_alerts": fires("PayflowDeadLetters", summary, queue=dead, severity="page"),
        },
    ]
    run_promtool(tmp_path, inputs, checks)


def test_a_release_owed_for_over_15_minutes_pages(tmp_path: Path) -> None:
    inputs = [series("payflow_payment_releases_owed_oldest_age_seconds", "0 600 1000")]
    summary = "A failed payment's hold at the provider is not given back after 16m 40s"
    checks = [
        {"eval_time": "1m", "alertname": "PayflowReleaseOwed", "exp_alerts": []},
        {
            "eval_time": "2m",
            "alertname": "PayflowReleaseOwed",
            "exp_alerts": fires("PayflowReleaseOwed", summary, severity="page"),
        },
    ]
    run_promtool(tmp_path, inputs, checks)


def test_an_outbox_event_unpublished_for_over_a_minute_pages_and_a_brief_delay_does_not(
    tmp_path: Path,
) -> None:
    inputs = [
        series("payflow_outbox_oldest_unpublished_age_seconds", "0 30 90 150", schema="gateway"),
        series("payflow_outbox_oldest_unpublished_age_seconds", "0 70 0 0", schema="payments"),
    ]
    summary = "The gateway outbox has an event unpublished for 2m 30s"
    checks = [
        {"eval_time": "2m", "alertname": "PayflowOutboxStuck", "exp_alerts": []},
        {
            "eval_time": "3m",
            "alertname": "PayflowOutboxStuck",
            "exp_alerts": fires("PayflowOutboxStuck", summary, schema="gateway", severity="page"),
        },
    ]
    run_promtool(tmp_path, inputs, checks)


def test_an_inbox_with_messages_and_nothing_applied_for_5_minutes_pages_and_a_busy_or_quiet_one_does_not(
    tmp_path: Path,
) -> None:
    broker = {"job": "rabbitmq", "instance": "rabbitmq:15692", "vhost": "/"}
    held, processed = "rabbitmq_queue_messages", "payflow_messages_processed_total"
    inputs = [  # orders applies for 5 minutes, then stops with 40 held; payments keeps on applying
        series(held, "40x15", **broker, queue="orders.inbox"),
        series(processed, "0+50x5 250x10", queue="orders.inbox", event_type="order.created"),
        series(held, "40x15", **broker, queue="payments.inbox"),
        series(processed, "0+50x15", queue="payments.inbox", event_type="order.created"),
    ]
    summary = "orders.inbox holds 40 messages and none was applied for 5 minutes"
    checks = [
        {"eval_time": "10m", "alertname": "PayflowInboxNotConsumed", "exp_alerts": []},
        {
            "eval_time": "11m",
            "alertname": "PayflowInboxNotConsumed",
            "exp_alerts": fires("PayflowInboxNotConsumed", summary, queue="orders.inbox", severity="page"),
        },
    ]
    run_promtool(tmp_path, inputs, checks)
    quiet = [  # nothing for ten minutes, then one order, applied within the minute
        series(held, "0x9 1 0 0", **broker, queue="orders.inbox"),
        series(processed, "5x10 6 6", queue="orders.inbox", event_type="order.created"),
    ]
    run_promtool(
        tmp_path,
        quiet,
        [{"eval_time": f"{m}m", "alertname": "PayflowInboxNotConsumed"} for m in (10, 11, 12)],
    )


def test_a_process_or_the_broker_missing_its_scrapes_for_a_minute_pages(tmp_path: Path) -> None:
    target = {"job": "orders-worker", "instance": "orders-worker:9101"}
    broker = {"job": "rabbitmq", "instance": "rabbitmq:15692"}
    inputs = [series("up", "1 0 0 0", **target), series("up", "1 1 0 0", **broker), series("up", "1 1 1 1")]
    summaries = [
        f"{t['job']} ({t['instance']}) has not answered a scrape for a minute" for t in (target, broker)
    ]
    checks = [
        {"eval_time": "1m", "alertname": "PayflowProcessDown", "exp_alerts": []},
        {
            "eval_time": "3m",
            "alertname": "PayflowProcessDown",
            "exp_alerts": [
                *fires("PayflowProcessDown", summaries[0], **target, severity="page"),
                *fires("PayflowProcessDown", summaries[1], **broker, severity="page"),
            ],
        },
    ]
    run_promtool(tmp_path, inputs, checks)


def test_api_requests_answering_503_page_and_a_health_probe_answering_503_does_not(tmp_path: Path) -> None:
    requests = "payflow_http_requests_total"
    gateway = {"job": "gateway", "instance": "gateway:9100", "method": "POST", "route": "/api/orders"}
    probe = gateway | {"method": "GET", "route": "/api/health/ready", "status": "503"}
    healthy = [series(requests, "0+600x10", **gateway, status="202"), series(requests, "0+600x10", **probe)]
    unavailable = [*healthy, series(requests, "0+60x10", **gateway, status="503")]
    summary = "9.091% of API requests answer 503"
    expected = fires("PayflowRequestsUnavailable", summary, severity="page")
    run_promtool(tmp_path, healthy, [{"eval_time": "6m", "alertname": "PayflowRequestsUnavailable"}])
    run_promtool(tmp_path, unavailable, [{"eval_time": "1m", "alertname": "PayflowRequestsUnavailable"}])
    checks = [{"eval_time": "6m", "alertname": "PayflowRequestsUnavailable", "exp_alerts": expected}]
    run_promtool(tmp_path, unavailable, checks)


def test_transient_retries_for_10_minutes_open_a_ticket_and_retries_of_a_bug_do_not(tmp_path: Path) -> None:
    retried = "payflow_messages_retried_total"
    inputs = [
        series(retried, "0+5x20", queue="payments.inbox", event_type="order.created", failure="transient"),
        series(retried, "0+5x20", queue="orders.inbox", event_type="order.created", failure="bug"),
    ]
    summary = "payments.inbox keeps retrying messages for a dependency that is away or too busy"
    checks = [
        {"eval_time": "8m", "alertname": "PayflowTransientRetries", "exp_alerts": []},
        {
            "eval_time": "15m",
            "alertname": "PayflowTransientRetries",
            "exp_alerts": fires(
                "PayflowTransientRetries", summary, queue="payments.inbox", severity="ticket"
            ),
        },
    ]
    run_promtool(tmp_path, inputs, checks)


def test_a_fifth_of_payments_failing_for_15_minutes_opens_a_ticket_and_the_usual_share_does_not(
    tmp_path: Path,
) -> None:
    payments = "payflow_payments_total"
    usual = [series(payments, "0+95x40", outcome="approved"), series(payments, "0+5x40", outcome="failed")]
    failing = [  # refunds are second events of payments already counted: not in the share
        series(payments, "0+70x40", outcome="approved"),
        series(payments, "0+30x40", outcome="failed"),
        series(payments, "0+50x40", outcome="refunded"),
    ]
    expected = fires("PayflowProviderFailures", "30% of payments end FAILED", severity="ticket")
    run_promtool(tmp_path, usual, [{"eval_time": "35m", "alertname": "PayflowProviderFailures"}])
    checks = [{"eval_time": "35m", "alertname": "PayflowProviderFailures", "exp_alerts": expected}]
    run_promtool(tmp_path, failing, checks)


def test_an_unroutable_event_opens_a_ticket_at_once(tmp_path: Path) -> None:
    inputs = [series("payflow_queue_messages", "0 3", queue="payflow.unroutable")]
    checks = [
        {"eval_time": "0m", "alertname": "PayflowUnroutableEvents", "exp_alerts": []},
        {
            "eval_time": "1m",
            "alertname": "PayflowUnroutableEvents",
            "exp_alerts": fires("PayflowUnroutableEvents", "3 events reached no queue", severity="ticket"),
        },
    ]
    run_promtool(tmp_path, inputs, checks)
