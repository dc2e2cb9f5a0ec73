"""What every agent (Gmail, Calendar, Drive) offers the orchestrator, and what it returns.

Reads (`search`, `read`, `free_slots`) run at once and return named outputs. Writes never
run from a plan: `propose` turns the step into a `ProposedAction` (what would happen, in
words a person can check) and only `execute`, called after the user confirms, changes
anything at Google. `execute` must be idempotent: a confirmation retried after a dropped
connection must not send, create or share twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from googleapiclient.errors import HttpError
from pydantic import BaseModel, Field

from assistant.agents.context import AgentContext, NoLinkedAccount
from assistant.core.services import spec
from assistant.google.calls import AccountNeedsReconsent, error_reason
from assistant.plan import Operation, PlanStep, Service
from assistant.understanding.schema import Clarification
from assistant.writes import PendingAction, ProposedAction


class SourceItem(BaseModel):
    """An email, event or file an agent found: shown as a source and cited in the answer."""

    service: Service
    id: str
    account_id: str
    title: str
    url: str | None = None
    when: datetime | None = None
    snippet: str = ""
    #: Service-specific fields for the source panel (from/to, start/end/attendees, owner...).
    details: dict[str, Any] = Field(default_factory=dict)
    #: Why search returned it (methods, ranks, scores), when it came from search.
    why: dict[str, Any] | None = None


class StepFailed(Exception):
    """A step could not do its job; the message is shown to the user as is."""


class Ambiguous(StepFailed):
    """Several items fit where one is needed: the user is asked which (`clarification`),
    and `items` are shown so that "the second one" can answer."""

    def __init__(self, clarification: Clarification, items: list[SourceItem]) -> None:
        super().__init__(clarification.question)
        self.clarification = clarification
        self.items = items


class Unchanged(Exception):
    """A write would change nothing: what it asks for already holds ("Daniel can already
    edit it"). Not a failure: the message is the answer, shown as is."""


@dataclass(frozen=True)
class ActionOutcome:
    """What an executed action did: a short sentence, the changed item, undo data."""

    summary: str
    item: SourceItem | None = None
    undo: dict[str, Any] | None = None


Remember = Callable[[dict[str, Any]], Awaitable[None]]


class BaseAgent(ABC):
    service: Service
    #: Per write operation, the fields a user may change before confirming.
    editable: dict[Operation, frozenset[str]] = {}

    @abstractmethod
    async def run(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> dict[str, Any]:
        """Run a read step; return its outputs by name (see `assistant.plan.OUTPUTS`)."""

    @abstractmethod
    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        """Describe the write a step would make, without making it."""

    @abstractmethod
    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        """Make the confirmed write at Google and in the cache; safe to call twice.

        `remember(fields)` saves progress into the action (a created draft's id) so that
        a retry after a crash continues instead of starting over.
        """

    @abstractmethod
    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        """The action in plain words, as the confirmation card shows it."""

    def apply_edits(self, operation: Operation, fields: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
        """`fields` with the user's edits; a field that may not be edited is refused."""
        refused = set(edits) - self.editable.get(operation, frozenset())
        if refused:
            raise StepFailed(f"{', '.join(sorted(refused))} cannot be changed on a {operation}")
        return fields | edits

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        """Reverse an executed action within its undo window; returns what was done."""
        raise StepFailed(f"{action.operation} on {self.service} cannot be undone")


def explain_failure(service: str, error: Exception) -> str:
    """A failure in words a user can act on, without internals."""
    name = spec(service).product_name
    if isinstance(error, StepFailed | NoLinkedAccount):
        return str(error)
    if isinstance(error, AccountNeedsReconsent):
        return f"your Google sign-in has expired or was revoked; sign in again to use {name}"
    if isinstance(error, HttpError):
        status = error.resp.status
        if status == 429 or error_reason(error) in ("rateLimitExceeded", "userRateLimitExceeded"):
            return f"{name} is limiting how fast we may ask; try again in a minute"
        if status >= 500:
            return f"{name} is not responding right now (HTTP {status})"
        if status in (401, 403):
            return f"{name} refused the request (HTTP {status}); you may need to sign in again"
        if status == 404:
            return f"{name} no longer has that item"
        return f"{name} rejected the request (HTTP {status})"
    if isinstance(error, TimeoutError | ConnectionError):
        return f"{name} could not be reached"
    return f"something went wrong on our side ({type(error).__name__})"
