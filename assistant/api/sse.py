"""The pipeline's events as server-sent events: the `POST /query` wire format.

Stable, documented in docs/api.md; each event is

    id: <1, 2, ...>
    event: <name>
    data: <one line of JSON>

Names: intent, plan, clarification, step_started, step_finished, step_failed,
step_skipped, action_required, token, done, error. `done` and `error` are always last.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.agents.base import SourceItem
from assistant.orchestrator import StepEvent, StepResult
from assistant.pipeline import ClarificationEvent, DoneEvent, IntentEvent, PipelineEvent, PlanEvent, TokenEvent
from assistant.plan import PlanStep
from assistant.writes import PendingAction

MEDIA_TYPE = "text/event-stream"


def encode(number: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {number}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"


def payload(event: PipelineEvent) -> tuple[str, dict[str, Any]]:
    """The event's SSE name and data."""
    if isinstance(event, IntentEvent):
        return "intent", {"intent": event.meaning.model_dump(mode="json")}
    if isinstance(event, PlanEvent):
        return "plan", {
            "steps": [
                _step(step) | {"depends_on": sorted(step.depends_on), "params": step.params}
                for step in event.plan.steps
            ],
            "levels": [[step.id for step in level] for level in event.plan.levels()],
        }
    if isinstance(event, ClarificationEvent):
        return "clarification", event.clarification.model_dump(mode="json")
    if isinstance(event, StepEvent):
        return event.kind, {"step": _step(event.step)} | (_result(event.result) if event.result else {})
    if isinstance(event, TokenEvent):
        return "token", {"text": event.text}
    if isinstance(event, DoneEvent):
        return "done", {
            "conversation_id": str(event.conversation_id),
            "answer": event.answer,
            "sources": [source_json(number, s) for number, s in enumerate(event.sources, start=1)],
            "actions": [action_json(a) for a in event.actions],
            "provider": event.provider,
            "timezone": str(event.timezone),
            "failures": event.failures,
        }
    raise TypeError(f"not a pipeline event: {event!r}")


def error_payload(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": []}}


def source_json(number: int, source: SourceItem) -> dict[str, Any]:
    return {"number": number} | source.model_dump(mode="json", exclude={"why"})


def action_json(action: PendingAction) -> dict[str, Any]:
    """What a client may see of a pending action (not the undo data kept for undoing)."""
    return action.model_dump(mode="json", exclude={"user_id", "undo_data"})


def _step(step: PlanStep) -> dict[str, Any]:
    return {"id": step.id, "service": step.service, "operation": step.operation, "description": step.description}


def _result(result: StepResult) -> dict[str, Any]:
    outputs = result.outputs
    items = outputs.get("items") or ([outputs["item"]] if outputs.get("item") else [])
    data: dict[str, Any] = {
        "status": result.status,
        "duration_ms": round(result.duration_ms, 1),
        "error": result.error,
        "items": [{"service": i.service, "id": i.id, "title": i.title} for i in items if isinstance(i, SourceItem)],
    }
    if "slots" in outputs:
        data["slots"] = outputs["slots"]  # [{"start": iso, "end": iso}]
    if "action" in outputs:
        data["action"] = action_json(outputs["action"])
    if "note" in outputs:
        data["note"] = outputs["note"]  # a write with nothing to change: why
    return data
