"""Pending actions: record, edit, confirm, cancel and undo the writes plans propose.

States: `pending` (waiting for the user) -> `executing` -> `done` | `failed`; or
`cancelled`; a done, undoable action may become `undone` within its window. Every
transition takes the row lock first, which is what makes a double confirmation (two
clicks, a retried request) execute once: the second sees `executing` or `done`.
A `failed` action may be confirmed again; agents' writes are idempotent, so a retry after
an unclear failure cannot write twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistant.agents.base import BaseAgent, StepFailed
from assistant.agents.context import AgentContext
from assistant.core.logs import redact
from assistant.core.models import PendingActionRow
from assistant.plan import Operation, Service
from assistant.writes import PendingAction, ProposedAction

PENDING_TTL = timedelta(minutes=30)
UNDO_WINDOW = timedelta(minutes=10)
#: An `executing` row older than this belongs to a process that died mid-way.
STALE_EXECUTION = timedelta(minutes=2)


class ActionError(Exception):
    """The action cannot go where the user asked (gone, expired, already cancelled...)."""


class ActionDesk:
    """Where proposed writes wait, and where the user's decisions about them are carried out."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        agents: Mapping[Service, BaseAgent],
        context: AgentContext,
        *,
        pending_ttl: timedelta = PENDING_TTL,
        undo_window: timedelta = UNDO_WINDOW,
    ) -> None:
        self.sessions = sessions
        self.agents = agents
        self.context = context
        self.pending_ttl = pending_ttl
        self.undo_window = undo_window

    async def record(
        self, user_id: uuid.UUID, proposed: ProposedAction, conversation_id: uuid.UUID | None = None
    ) -> PendingAction:
        async with self.sessions() as session:
            row = PendingActionRow(
                user_id=user_id,
                account_id=uuid.UUID(proposed.account_id),
                conversation_id=conversation_id,
                service=proposed.service,
                operation=proposed.operation,
                target_id=proposed.target_id,
                fields=proposed.fields,
                preview=proposed.preview,
                undoable=proposed.undoable,
                expires_at=func.now() + self.pending_ttl,
            )
            session.add(row)
            await session.flush()
            await session.refresh(row)  # the server's defaults, in the same transaction
            await session.commit()
            return PendingAction.of(row)

    async def get(self, user_id: uuid.UUID, action_id: uuid.UUID) -> PendingAction:
        async with self.sessions() as session:
            return PendingAction.of(await self._row(session, user_id, action_id, lock=False))

    async def confirm(
        self, user_id: uuid.UUID, action_id: uuid.UUID, edits: dict[str, Any] | None = None
    ) -> PendingAction:
        """Execute the action (with the user's edits); a second confirmation changes nothing."""
        async with self.sessions() as session, session.begin():
            row = await self._row(session, user_id, action_id)
            now = await _now(session)
            if row.status == "done":
                return PendingAction.of(row)
            if row.status in ("cancelled", "undone"):
                raise ActionError(f"this action was {row.status}")
            if row.status == "executing" and now - row.updated_at < STALE_EXECUTION:
                raise ActionError("this action is being carried out already")
            if row.status == "pending" and row.expires_at <= now:
                raise ActionError("this action expired; ask again")
            # The column holds the proposed action's service (a Service), stored as text.
            agent = self.agents[cast(Service, row.service)]
            if edits:
                row.fields = agent.apply_edits(Operation(row.operation), row.fields, edits)
                row.preview = agent.describe(Operation(row.operation), row.fields)
            row.status = "executing"
            row.error = None
            row.updated_at = now
            action = PendingAction.of(row)

        async def remember(fields: dict[str, Any]) -> None:
            action.fields = action.fields | fields
            await self._update(action.id, fields=action.fields)

        try:
            outcome = await agent.execute(action, self.context, remember)
        except Exception as error:
            message = str(error) if isinstance(error, StepFailed) else f"{type(error).__name__}: {error}"
            await self._update(action.id, status="failed", error=redact(message)[:500])
            raise ActionError(f"could not {action.operation}: {redact(message)}") from error
        return await self._update(
            action.id,
            status="done",
            result={"summary": outcome.summary, "item": outcome.item.model_dump(mode="json") if outcome.item else None},
            undo_data=outcome.undo,
            executed_at=func.now(),
            undo_until=func.now() + self.undo_window if action.undoable and outcome.undo is not None else None,
        )

    async def cancel(self, user_id: uuid.UUID, action_id: uuid.UUID) -> PendingAction:
        """Drop a pending action; nothing was sent anywhere, so nothing is left behind."""
        async with self.sessions() as session, session.begin():
            row = await self._row(session, user_id, action_id)
            if row.status in ("pending", "failed"):
                row.status = "cancelled"
            elif row.status != "cancelled":
                raise ActionError(f"this action is {row.status}: it can no longer be cancelled")
            return PendingAction.of(row)

    async def undo(self, user_id: uuid.UUID, action_id: uuid.UUID) -> PendingAction:
        async with self.sessions() as session, session.begin():
            row = await self._row(session, user_id, action_id)
            now = await _now(session)
            if row.status == "undone":
                return PendingAction.of(row)
            if row.status != "done" or not row.undoable or row.undo_data is None:
                raise ActionError("this action cannot be undone")
            if row.undo_until is None or row.undo_until <= now:
                raise ActionError("the undo window has passed")
            action = PendingAction.of(row)
        summary = await self.agents[action.service].undo(action, self.context)
        return await self._update(action.id, status="undone", result=(action.result or {}) | {"undone": summary})

    async def _row(
        self, session: AsyncSession, user_id: uuid.UUID, action_id: uuid.UUID, lock: bool = True
    ) -> PendingActionRow:
        statement = select(PendingActionRow).where(
            PendingActionRow.id == action_id, PendingActionRow.user_id == user_id
        )
        row = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
        if row is None:
            raise ActionError("no such action")  # another user's action looks the same as none
        return row

    async def _update(self, action_id: uuid.UUID, **values: Any) -> PendingAction:
        async with self.sessions() as session, session.begin():
            row = await session.get(PendingActionRow, action_id, with_for_update=True)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = func.now()
            await session.flush()
            await session.refresh(row)
            return PendingAction.of(row)


async def _now(session: AsyncSession) -> datetime:
    return (await session.execute(select(func.now()))).scalar_one()
