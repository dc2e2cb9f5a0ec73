"""Retries with backoff on transient errors, and a circuit breaker per provider.

The breaker opens after `failure_threshold` consecutive failed calls (each call already
retried): while open, calls fail at once with `ProviderUnavailable`, so a dead provider
costs nothing and the chain falls through to the next. After `reset_seconds` one trial
call is let through (half-open): success closes the breaker, failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from assistant.llm.base import LLMError, LLMProvider, LLMRequest, Output, ProviderUnavailable, TransientLLMError

T = TypeVar("T")


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._clock() - self._opened_at >= self.reset_seconds else "open"

    def allow(self) -> bool:
        """Whether a call may go ahead now (in half-open, only one trial at a time)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at < self.reset_seconds or self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()


class ResilientProvider(LLMProvider):
    """A provider with retries on transient errors behind its own circuit breaker."""

    def __init__(
        self,
        inner: LLMProvider,
        breaker: CircuitBreaker,
        *,
        attempts: int,
        backoff_seconds: float,
        max_backoff_seconds: float = 4.0,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.breaker = breaker
        self._attempts = attempts
        self._wait = wait_exponential_jitter(
            multiplier=backoff_seconds, max=max_backoff_seconds, jitter=backoff_seconds
        )

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientLLMError),
            reraise=True,
        )

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        if not self.breaker.allow():
            raise ProviderUnavailable(self.name, "circuit open after repeated failures")

        async def attempt() -> T:
            return await call()

        try:
            result: T = await self._retrying()(attempt)
        except LLMError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result

    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Output:
        return await self._guarded(lambda: self.inner.generate(request, output_type))

    async def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        """Retries only until the first piece arrives: after that the user has seen text."""

        async def open_stream() -> tuple[AsyncIterator[str], str | None]:
            pieces = aiter(self.inner.stream(request))
            return pieces, await anext(pieces, None)

        pieces, first = await self._guarded(open_stream)
        if first is None:
            return
        yield first
        try:
            async for piece in pieces:
                yield piece
        except LLMError:
            self.breaker.record_failure()
            raise
