"""The configured providers, built once per process so that their circuit breakers and
HTTP connection pools outlive a single request."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from assistant.llm.base import LLMProvider
from assistant.llm.chain import FallbackChain
from assistant.llm.local_provider import LocalProvider
from assistant.llm.resilience import CircuitBreaker, ResilientProvider

if TYPE_CHECKING:
    from assistant.core.settings import Settings

_providers: dict[tuple[object, ...], ResilientProvider] = {}
_lock = threading.Lock()


def configured_providers(settings: Settings) -> list[str]:
    """Language-model providers that can be called: OpenAI needs a key or a base URL
    (a local OpenAI-compatible server may need no key), Anthropic a key."""
    names = []
    if settings.openai_api_key is not None or settings.openai_base_url:
        names.append("openai")
    if settings.anthropic_api_key is not None:
        names.append("anthropic")
    return names


def _build(settings: Settings, name: str) -> LLMProvider:
    if name == "openai":
        from assistant.llm.openai_provider import OpenAIProvider

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
        return OpenAIProvider(
            api_key=key,
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            timeout=settings.llm_timeout_seconds,
        )
    from assistant.llm.anthropic_provider import AnthropicProvider

    assert settings.anthropic_api_key is not None
    return AnthropicProvider(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        model=settings.anthropic_model,
        timeout=settings.llm_timeout_seconds,
    )


def language_model(settings: Settings, name: str) -> ResilientProvider:
    """The process's resilient provider `name` for these settings."""
    secret = settings.openai_api_key if name == "openai" else settings.anthropic_api_key
    key = (
        name,
        secret.get_secret_value() if secret else None,
        settings.openai_base_url if name == "openai" else settings.anthropic_base_url,
        settings.openai_model if name == "openai" else settings.anthropic_model,
        settings.llm_timeout_seconds,
        settings.llm_max_attempts,
        settings.llm_retry_backoff_seconds,
        settings.llm_circuit_failures,
        settings.llm_circuit_reset_seconds,
    )
    with _lock:
        provider = _providers.get(key)
        if provider is None:
            provider = ResilientProvider(
                _build(settings, name),
                CircuitBreaker(settings.llm_circuit_failures, settings.llm_circuit_reset_seconds),
                attempts=settings.llm_max_attempts,
                backoff_seconds=settings.llm_retry_backoff_seconds,
            )
            _providers[key] = provider
        return provider


def provider_order(settings: Settings) -> list[str]:
    """Primary, then the other configured language model, then `local`."""
    configured = configured_providers(settings)
    primary = settings.effective_llm_provider
    ordered: list[str] = [primary] if primary in configured else []
    ordered += [name for name in configured if name not in ordered]
    return [*ordered, "local"] if primary != "local" else ["local"]


def build_chain(settings: Settings, local: LocalProvider, *, only: str | None = None) -> FallbackChain:
    """The fallback chain for these settings; `only` restricts it to one provider."""
    names = [only] if only else provider_order(settings)
    return FallbackChain([local if name == "local" else language_model(settings, name) for name in names])
