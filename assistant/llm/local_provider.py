"""The `local` provider: answers without any language model, from offline handlers.

Each task registers how it is answered offline: a structured handler per output type
(intent understanding registers `IntentDraft`), a streaming handler per task type. A task
with no offline handler raises `ProviderUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel

from assistant.llm.base import LLMProvider, LLMRequest, Output, ProviderUnavailable


class LocalProvider(LLMProvider):
    name = "local"

    def __init__(
        self,
        structured: dict[type[BaseModel], Callable[[Any], BaseModel]] | None = None,
        streaming: dict[type, Callable[[Any], AsyncIterator[str]]] | None = None,
    ) -> None:
        self._structured = dict(structured or {})
        self._streaming = dict(streaming or {})

    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Output:
        handler = self._structured.get(output_type)
        if handler is None:
            raise ProviderUnavailable(self.name, f"no offline handler for {output_type.__name__}")
        # Offline handlers are CPU work (tens of ms): off the event loop, which keeps serving.
        result = await asyncio.to_thread(handler, request.task)
        assert isinstance(result, output_type)
        return result

    async def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        handler = self._streaming.get(type(request.task))
        if handler is None:
            raise ProviderUnavailable(self.name, f"no offline stream for {type(request.task).__name__}")
        async for piece in handler(request.task):
            yield piece
