"""Calls to Google: metered in quota units, retried on "later", never on "never"."""

from __future__ import annotations

import json
import threading
import time

import httplib2
import pytest
import redis
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from assistant.google.calls import (
    AccountNeedsReconsent,
    GoogleCaller,
    RetryPolicy,
    is_transient,
    units_for,
)
from assistant.google.rate_limit import RateLimitTimeout, TokenBucket


def google_error(status: int, reason: str | None = None, retry_after: str | None = None) -> HttpError:
    headers = {"status": str(status)}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    body = {"error": {"code": status, "message": "m", "errors": [{"reason": reason, "domain": "usageLimits"}]}}
    return HttpError(httplib2.Response(headers), json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "reason", "transient"),
    [
        (429, "rateLimitExceeded", True),
        (403, "userRateLimitExceeded", True),
        (403, "rateLimitExceeded", True),
        (500, "backendError", True),
        (503, None, True),
        (403, "dailyLimitExceeded", False),
        (403, "quotaExceeded", False),
        (403, "insufficientPermissions", False),
        (404, "notFound", False),
        (410, "fullSyncRequired", False),
        (400, "invalid", False),
    ],
)
def test_which_google_errors_are_retried(status: int, reason: str | None, transient: bool) -> None:
    assert is_transient(google_error(status, reason)) is transient


def test_transient_failures_are_retried_honouring_retry_after() -> None:
    slept: list[float] = []
    outcomes: list[Exception | str] = [
        google_error(429, "rateLimitExceeded", retry_after="7"),
        google_error(503),
        ConnectionResetError("dropped"),
        "ok",
    ]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    caller = GoogleCaller(None, RetryPolicy(attempts=5, base_seconds=1, max_seconds=30), sleep=slept.append)
    assert caller.call(flaky, cost=1) == "ok"
    assert slept[0] == 7  # the server's Retry-After, not our backoff
    assert 0 <= slept[1] <= 2 and 0 <= slept[2] <= 4  # full jitter under a growing ceiling
    assert len(slept) == 3


def test_permanent_failures_are_not_retried() -> None:
    calls = 0

    def quota_gone() -> None:
        nonlocal calls
        calls += 1
        raise google_error(403, "dailyLimitExceeded")

    with pytest.raises(HttpError):
        GoogleCaller(None, sleep=lambda s: None).call(quota_gone, cost=1)
    assert calls == 1


def test_retries_stop_after_the_policys_attempts() -> None:
    calls = 0

    def always_busy() -> None:
        nonlocal calls
        calls += 1
        raise google_error(500)

    with pytest.raises(HttpError):
        GoogleCaller(None, RetryPolicy(attempts=3), sleep=lambda s: None).call(always_busy, cost=1)
    assert calls == 3


def test_a_revoked_grant_asks_for_reconsent_and_is_not_retried() -> None:
    calls = 0

    def revoked() -> None:
        nonlocal calls
        calls += 1
        raise RefreshError("invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"})

    with pytest.raises(AccountNeedsReconsent):
        GoogleCaller(None, sleep=lambda s: None).call(revoked, cost=1)
    assert calls == 1


def test_gmail_methods_cost_their_quota_units() -> None:
    assert units_for("gmail.users.messages.get") == 5
    assert units_for("gmail.users.messages.send") == 100
    assert units_for("gmail.users.history.list") == 2
    assert units_for("calendar.events.list") == 1


def test_the_bucket_holds_concurrent_callers_under_its_rate(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"test:bucket:{time.monotonic_ns()}"
    # 50 units of burst, then 100 units per second: 8 threads x 10 calls x 5 units = 400
    # units must take at least (400 - 50) / 100 = 3.5 s whatever the concurrency.
    taken: list[float] = []

    def worker() -> None:
        bucket = TokenBucket(redis.Redis.from_url(redis_url), key, capacity=50, per_second=100)
        for _ in range(10):
            bucket.take(5)
            taken.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert len(taken) == 80
    assert elapsed >= 3.4
    # In every one-second window after the burst no more than 100 units (20 calls) + slack.
    for start in taken:
        in_window = [t for t in taken if start <= t < start + 1.0]
        assert len(in_window) <= 10 + 20 + 1
    client.close()


def test_the_bucket_refuses_to_wait_past_a_deadline(redis_url: str) -> None:
    bucket = TokenBucket(
        redis.Redis.from_url(redis_url), f"test:deadline:{time.monotonic_ns()}", capacity=10, per_second=1
    )
    bucket.take(10)
    with pytest.raises(RateLimitTimeout):
        bucket.take(10, timeout=0.5)
    with pytest.raises(ValueError):
        bucket.try_take(11)
