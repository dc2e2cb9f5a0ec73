"""Anthropic: structured output through a forced tool call whose input schema is the
pydantic model's JSON schema; streaming through the Messages streaming API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
from anthropic.types import MessageParam, ToolParam
from pydantic import ValidationError

from assistant.llm.base import ChatMessage, LLMProvider, LLMRequest, MalformedOutput, Output
from assistant.llm.errors import translate


class AnthropicProvider(LLMProvider):
    name = "anthropic"

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float) -> None:
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._model = model

    @staticmethod
    def _message(message: ChatMessage) -> MessageParam:
        if message.role == "user":
            return {"role": "user", "content": message.content}
        return {"role": "assistant", "content": message.content}

    @staticmethod
    def _messages(request: LLMRequest) -> list[MessageParam]:
        return [AnthropicProvider._message(m) for m in request.messages]

    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Output:
        tool: ToolParam = {
            "name": request.output_name,
            "description": output_type.__doc__ or f"Record the {request.output_name}.",
            "input_schema": output_type.model_json_schema(),
        }
        try:
            message = await self._client.messages.create(
                model=self._model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=self._messages(request),
                tools=[tool],
                tool_choice={"type": "tool", "name": request.output_name},
            )
        except anthropic.AnthropicError as exc:
            raise translate(exc, anthropic, self.name) from exc
        for block in message.content:
            if block.type == "tool_use" and block.name == request.output_name:
                try:
                    return output_type.model_validate(block.input)
                except ValidationError as exc:
                    raise MalformedOutput(self.name, f"tool input does not fit {output_type.__name__}: {exc}") from exc
        raise MalformedOutput(self.name, f"no {request.output_name} tool call in the answer")

    async def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        try:
            async with self._client.messages.stream(
                model=self._model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=self._messages(request),
            ) as events:
                async for text in events.text_stream:
                    yield text
        except anthropic.AnthropicError as exc:
            raise translate(exc, anthropic, self.name) from exc
