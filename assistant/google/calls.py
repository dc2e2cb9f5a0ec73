"""How every call to Google is made: metered by the account's bucket, retried when Google
says "later", and never retried when it says "never".

`GoogleCaller.execute(request, cost=...)` is the one way sync jobs and agents run a
google-api-python-client request. The library's own `num_retries` is not used: it
ignores `Retry-After` and cannot tell a per-minute rate limit from a daily quota.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httplib2
import redis.exceptions
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from assistant.core.metrics import GOOGLE_CALLS
from assistant.google.rate_limit import TokenBucket

log = logging.getLogger(__name__)

T = TypeVar("T")

# Quota units per method (Gmail's published costs; Calendar and Drive count requests).
GMAIL_UNITS: dict[str, int] = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.history.list": 2,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.threads.get": 10,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.send": 100,
    "gmail.users.messages.send": 100,
}
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_NEVER_RETRY_REASONS = {"dailyLimitExceeded", "quotaExceeded"}


class AccountNeedsReconsent(Exception):
    """Google answered `invalid_grant`: the refresh token was revoked or has expired, so
    no retry can help and the user must sign in again."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_seconds: float = 1.0
    max_seconds: float = 60.0


def units_for(method_id: str) -> int:
    """The quota units one call of `method_id` (e.g. "gmail.users.messages.get") costs."""
    return GMAIL_UNITS.get(method_id, 1)


def error_reason(error: HttpError) -> str | None:
    """The `reason` of Google's error body (`rateLimitExceeded`, `dailyLimitExceeded`, ...)."""
    try:
        body = json.loads(error.content.decode("utf-8"))
        reason: str = body["error"]["errors"][0]["reason"]
        return reason
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        return None


def is_transient(error: BaseException) -> bool:
    """Will the same call plausibly succeed later?"""
    if isinstance(error, HttpError):
        status = error.resp.status
        reason = error_reason(error)
        if reason in _NEVER_RETRY_REASONS:
            return False
        if status == 429 or status >= 500:
            return True
        return status == 403 and reason in _RATE_LIMIT_REASONS
    if isinstance(error, RefreshError):
        retryable: bool = error.retryable  # google-auth marks token-endpoint 5xx/429 as retryable
        return retryable
    # The account's quota bucket lives in Redis: a Redis restart is waited out like a
    # dropped connection to Google, not a reason to fail the whole sync.
    return isinstance(
        error,
        (
            TransportError,
            ConnectionError,
            TimeoutError,
            socket.timeout,
            ssl.SSLError,
            httplib2.HttpLib2Error,
            redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError,
        ),
    )


def retry_after_seconds(error: BaseException) -> float | None:
    """The server's `Retry-After` in seconds, when it sent one as a number."""
    if not isinstance(error, HttpError):
        return None
    value = error.resp.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _BackoffHonouringRetryAfter:
    """Full-jitter exponential backoff, or the server's Retry-After when it gave one."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        told = retry_after_seconds(error) if error else None
        if told is not None:
            return min(told, self.policy.max_seconds)
        ceiling = min(self.policy.max_seconds, self.policy.base_seconds * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "google call failed, retrying",
        extra={
            "attempt": state.attempt_number,
            "error": type(error).__name__,
            "status": getattr(getattr(error, "resp", None), "status", None),
            "sleep_s": round(state.upcoming_sleep, 2),
        },
    )


class GoogleCaller:
    """Runs requests for one linked account, under its bucket and the retry policy."""

    def __init__(
        self,
        bucket: TokenBucket | None,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.bucket = bucket
        self.policy = policy
        self._retrying_kwargs: dict[str, Any] = {
            "retry": retry_if_exception(is_transient),
            "stop": stop_after_attempt(policy.attempts),
            "wait": _BackoffHonouringRetryAfter(policy),
            "before_sleep": _log_retry,
            "reraise": True,
        }
        if sleep is not None:
            self._retrying_kwargs["sleep"] = sleep

    def call(self, function: Callable[[], T], *, cost: int) -> T:
        """Run `function` (one Google call costing `cost` units) with metering and retries.

        Each attempt is metered: a retried call spends quota again at Google too.
        """
        try:
            for attempt in Retrying(**self._retrying_kwargs):
                with attempt:
                    if self.bucket is not None:
                        self.bucket.take(cost)
                    try:
                        result = function()
                    except Exception:
                        GOOGLE_CALLS.labels("error").inc()
                        raise
                    GOOGLE_CALLS.labels("ok").inc()
                    return result
        except RefreshError as error:
            if "invalid_grant" in str(error):
                raise AccountNeedsReconsent(str(error)) from error
            raise
        raise AssertionError("unreachable: Retrying either returns or raises")

    def execute(self, request: Any, *, cost: int | None = None) -> Any:
        """Execute a googleapiclient `HttpRequest`, costed by its method id."""
        units = cost if cost is not None else units_for(getattr(request, "methodId", "") or "")
        return self.call(request.execute, cost=units)
