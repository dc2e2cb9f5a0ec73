"""The fallback chain: each provider in turn until one answers; who answered is kept."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Generic

from assistant.core.metrics import LLM_CALLS
from assistant.llm.base import LLMError, LLMProvider, LLMRequest, Output

log = logging.getLogger(__name__)


@dataclass
class Answer(Generic[Output]):
    value: Output
    provider: str
    #: (provider, error) for each provider that was tried first and failed.
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StreamAnswer:
    pieces: AsyncIterator[str]
    provider: str
    failures: list[tuple[str, str]] = field(default_factory=list)


class AllProvidersFailed(LLMError):
    def __init__(self, failures: list[tuple[str, str]]) -> None:
        super().__init__("chain", "; ".join(f"{name}: {error}" for name, error in failures) or "no providers")
        self.failures = failures


class FallbackChain:
    def __init__(self, providers: list[LLMProvider]) -> None:
        self.providers = providers

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.providers]

    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Answer[Output]:
        failures: list[tuple[str, str]] = []
        for provider in self.providers:
            try:
                value = await provider.generate(request, output_type)
            except LLMError as exc:
                LLM_CALLS.labels(provider.name, "error").inc()
                log.warning("provider %s failed, falling back: %s", provider.name, exc)
                failures.append((provider.name, str(exc)))
                continue
            LLM_CALLS.labels(provider.name, "ok").inc()
            return Answer(value, provider.name, failures)
        raise AllProvidersFailed(failures)

    async def stream(self, request: LLMRequest) -> StreamAnswer:
        """The first provider that produces a first piece; later errors reach the caller."""
        failures: list[tuple[str, str]] = []
        for provider in self.providers:
            pieces = aiter(provider.stream(request))
            try:
                first = await anext(pieces, None)
            except LLMError as exc:
                LLM_CALLS.labels(provider.name, "error").inc()
                log.warning("provider %s failed to stream, falling back: %s", provider.name, exc)
                failures.append((provider.name, str(exc)))
                continue
            LLM_CALLS.labels(provider.name, "ok").inc()
            return StreamAnswer(_prepend(first, pieces), provider.name, failures)
        raise AllProvidersFailed(failures)


async def _prepend(first: str | None, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    if first is None:
        return
    yield first
    async for piece in rest:
        yield piece
