"""OpenAI, or any OpenAI-compatible server (Ollama, vLLM, LM Studio) via a base URL.

Structured output uses the JSON-schema response format generated from the pydantic model
(strict mode); the SDK's own retries are off because `resilience` retries with backoff.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError

from assistant.llm.base import ChatMessage, LLMProvider, LLMRequest, MalformedOutput, Output
from assistant.llm.errors import translate


class OpenAIProvider(LLMProvider):
    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float) -> None:
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._model = model

    @staticmethod
    def _message(message: ChatMessage) -> ChatCompletionMessageParam:
        if message.role == "user":
            return {"role": "user", "content": message.content}
        return {"role": "assistant", "content": message.content}

    @staticmethod
    def _messages(request: LLMRequest) -> list[ChatCompletionMessageParam]:
        system: ChatCompletionMessageParam = {"role": "system", "content": request.system}
        return [system] + [OpenAIProvider._message(m) for m in request.messages]

    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Output:
        try:
            completion = await self._client.chat.completions.parse(
                model=self._model,
                messages=self._messages(request),
                response_format=output_type,
                max_completion_tokens=request.max_tokens,
            )
        except (ValidationError, json.JSONDecodeError, openai.LengthFinishReasonError) as exc:
            raise MalformedOutput(self.name, f"answer does not fit {output_type.__name__}: {exc}") from exc
        except openai.OpenAIError as exc:
            raise translate(exc, openai, self.name) from exc
        if not completion.choices:
            raise MalformedOutput(self.name, "no choices in the answer")
        message = completion.choices[0].message
        if message.refusal:
            raise MalformedOutput(self.name, f"the model refused: {message.refusal}")
        if message.parsed is None:
            raise MalformedOutput(self.name, "no structured output in the answer")
        return message.parsed

    async def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        try:
            chunks = await self._client.chat.completions.create(
                model=self._model,
                messages=self._messages(request),
                max_completion_tokens=request.max_tokens,
                stream=True,
            )
            async for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise translate(exc, openai, self.name) from exc
