"""The process's Prometheus metrics, defined once and counted where things happen.

Served by the HTTP API's `GET /metrics` (assistant/api/monitoring.py), which adds what is
read at scrape time (queue depths, sync lag). Each process counts its own calls: the app's
numbers are the app's, a worker's stay in the worker.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Buckets from 5 ms to 1 min: a cache hit to a slow LLM answer.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)

HTTP_REQUEST_SECONDS = Histogram(
    "concierge_http_request_seconds",
    "HTTP API requests, from arrival until the response starts (a /query stream: its first event).",
    ["route", "method", "status"],
    buckets=_SECONDS,
)
STAGE_SECONDS = Histogram(
    "concierge_pipeline_stage_seconds",
    "Pipeline stages of a query: understand, plan, one step per service, answer, total.",
    ["stage"],
    buckets=_SECONDS,
)
LLM_CALLS = Counter("concierge_llm_calls_total", "Calls to language-model providers.", ["provider", "outcome"])
GOOGLE_CALLS = Counter("concierge_google_calls_total", "Google API call attempts (retries count again).", ["outcome"])
CACHE_LOOKUPS = Counter(
    "concierge_cache_lookups_total", "Cache lookups by cache and result (hit or miss).", ["cache", "result"]
)
RATE_LIMITED = Counter(
    "concierge_rate_limited_total", "Requests answered 429, by the limit that refused them.", ["limit"]
)

# Read when /metrics is scraped.
QUEUE_DEPTH = Gauge("concierge_queue_depth", "Sync jobs waiting, per RQ queue.", ["queue"])
SYNC_LAG = Gauge(
    "concierge_sync_lag_seconds",
    "Per service: seconds since the least recently synced active account last synced successfully.",
    ["service"],
)
ACCOUNTS_NEVER_SYNCED = Gauge(
    "concierge_accounts_never_synced", "Active accounts with a service never synced.", ["service"]
)


def count_cache(cache: str, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache, "hit" if hit else "miss").inc()
