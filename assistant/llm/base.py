"""The provider interface: structured output (a pydantic model) and token streaming.

A request carries the prompt for language models and, in `task`, the task's own input,
from which the offline `local` provider answers without any model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import BaseModel

Output = TypeVar("Output", bound=BaseModel)


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class LLMRequest:
    system: str
    messages: list[ChatMessage]
    task: object = None
    max_tokens: int = 1024
    #: A short name for the structured output (the OpenAI schema name, the Anthropic tool).
    output_name: str = "result"


class LLMError(Exception):
    """A provider could not answer; `provider` says which."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class TransientLLMError(LLMError):
    """Worth retrying: rate limited (429), overloaded (5xx), connection dropped."""


class LLMTimeout(LLMError):
    """No answer within the time budget; not retried (the budget is spent)."""


class MalformedOutput(LLMError):
    """The model answered, but not with JSON that fits the schema."""


class ProviderUnavailable(LLMError):
    """Not tried: circuit open, or the provider cannot do this task."""


class LLMProvider(ABC):
    name: str

    @abstractmethod
    async def generate(self, request: LLMRequest, output_type: type[Output]) -> Output:
        """An instance of `output_type`, filled by the model under its JSON schema."""

    @abstractmethod
    def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        """The answer as text pieces, as the model produces them."""
