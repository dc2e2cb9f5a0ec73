"""Health, readiness and Prometheus metrics of the running app."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import ApiUser, ask, done_of


def test_health_and_readiness(api_url: str) -> None:
    assert httpx.get(f"{api_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{api_url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["database"]["ok"] and body["redis"]["ok"]
    assert set(body["queues"]) == {"high", "default", "low"}


def test_metrics_cover_stages_calls_caches_queues_and_sync_lag(api_url: str, alex: ApiUser) -> None:
    question = "emails about the budget from Sarah"
    ask(api_url, alex, question)
    ask(api_url, alex, question)  # the second understanding and query vector come from the caches
    events, _ = ask(api_url, alex, "send an email to Daniel saying the metrics are in")
    action = done_of(events)["actions"][0]
    assert httpx.post(f"{api_url}/actions/{action['id']}/confirm", headers=alex.headers, timeout=60).status_code == 200
    response = httpx.get(f"{api_url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    for stage in ("understand", "plan", "step_gmail", "answer", "total"):
        assert value("concierge_pipeline_stage_seconds_count", stage=stage) >= 2, stage
    assert value("concierge_http_request_seconds_count", route="/query", method="POST", status="200") >= 2
    assert value("concierge_llm_calls_total", provider="local", outcome="ok") >= 2
    intent_lookups = {
        result: value("concierge_cache_lookups_total", cache="intent", result=result) for result in ("hit", "miss")
    }
    assert intent_lookups["hit"] >= 1, intent_lookups
    assert value("concierge_cache_lookups_total", cache="query_embedding", result="hit") >= 1
    assert value("concierge_google_calls_total", outcome="ok") >= 1  # the send
    for queue in ("high", "default", "low"):
        assert ("concierge_queue_depth", (("queue", queue),)) in samples
    for service in ("gmail", "gcal", "gdrive"):
        assert ("concierge_sync_lag_seconds", (("service", service),)) in samples
    assert value("concierge_sync_lag_seconds", service="gmail") > 0
