"""The gateway's request metrics: counted by route template, method and status, and timed; never served on
the public port (the gunicorn master serves them on their own bind)."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_is_counted_under_its_route_template_method_and_status(client: FlaskClient) -> None:
    labels = {"route": "/api/orders", "method": "GET", "status": "200"}
    before = sample("payflow_http_requests_total", **labels)

    client.get("/api/orders?page=1&limit=10")

    assert sample("payflow_http_requests_total", **labels) == before + 1


def test_ids_in_the_path_are_counted_under_the_template_not_the_id(client: FlaskClient) -> None:
    route = "/api/orders/<id:order_id>"
    before = sample("payflow_http_requests_total", route=route, method="GET", status="404")

    client.get("/api/orders/476f5730-aa83-4ff0-ab9f-d6e19836e195")

    assert sample("payflow_http_requests_total", route=route, method="GET", status="404") == before + 1
    assert sample("payflow_http_request_duration_seconds_count", route=route, method="GET") >= 1


def test_unknown_paths_share_one_label_value(client: FlaskClient) -> None:
    before = sample("payflow_http_requests_total", route="unmatched", method="GET", status="404")

    client.get("/no/such/path/1")
    client.get("/no/such/path/2")

    assert sample("payflow_http_requests_total", route="unmatched", method="GET", status="404") == before + 2


def test_the_metrics_route_stays_out_of_the_api_document(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()

    assert "/metrics" not in spec["paths"]


def test_the_public_app_answers_metrics_like_any_unknown_path(client: FlaskClient) -> None:
    scrape = client.get("/metrics")

    assert scrape.status_code == 404
    assert "payflow_http_requests_total" not in scrape.text
