"""`concierge ask "QUERY" --user EMAIL`: the whole pipeline from a terminal.

Prints the answer as it streams and the actions that wait for confirmation; `--yes`
confirms them, `--json` prints the trace instead (intent, plan, step results, actions,
answer) for scripts and evaluations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from assistant.core.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="what to ask, in plain language")
    parser.add_argument("--user", required=True, help="the signed-in user's email address")
    parser.add_argument("--now", help="the moment of asking, ISO 8601 (default: now)")
    parser.add_argument("--tz", help="the user's time zone (default: the user's own)")
    parser.add_argument("--yes", action="store_true", help="confirm the actions it proposes")
    parser.add_argument("--json", action="store_true", help="print the trace as JSON")
    parser.add_argument("--conversation", help="continue this conversation id")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_ask(args))


async def _ask(args: argparse.Namespace) -> int:
    # deferred: these add 417 ms to every `concierge` call, `--help` included, which imports
    # this module to build its help (timed after build_parser(), median of 7).
    from sqlalchemy import select

    from assistant import composition
    from assistant.core.models import User
    from assistant.orchestrator import StepEvent
    from assistant.pipeline import DoneEvent, IntentEvent, PlanEvent, TokenEvent

    if args.tz:  # the default zone of this process, for users who have none of their own
        os.environ["CONCIERGE_TIMEZONE"] = args.tz
        get_settings.cache_clear()
    concierge = composition.concierge()
    try:
        async with concierge.sessions() as session:
            user = (await session.execute(select(User).where(User.email == args.user.lower()))).scalar_one_or_none()
        if user is None:
            print(f"no user {args.user!r}: sign in to Concierge with that Google account first", file=sys.stderr)
            return 1
        now = _moment(args.now, args.tz or user.timezone)
        trace: dict[str, Any] = {"query": args.query, "steps": []}
        done: DoneEvent | None = None
        conversation = uuid.UUID(args.conversation) if args.conversation else None
        async for event in concierge.ask(user.id, args.query, conversation_id=conversation, now=now):
            if isinstance(event, IntentEvent):
                trace["intent"] = event.meaning.model_dump(mode="json")
            elif isinstance(event, PlanEvent):
                trace["plan"] = event.plan.model_dump(mode="json")
            elif isinstance(event, StepEvent) and event.result is not None:
                trace["steps"].append(_step(event))
            elif isinstance(event, TokenEvent) and not args.json:
                print(event.text, end="", flush=True)
            elif isinstance(event, DoneEvent):
                done = event
        assert done is not None
        actions = [_action(a) for a in done.actions]
        if args.yes and done.actions:
            desk = await concierge.actions(user.id)
            actions = [_action(await desk.confirm(user.id, a.id)) for a in done.actions]
        if args.json:
            trace |= {
                "conversation_id": str(done.conversation_id),
                "answer": done.answer,
                "provider": done.provider,
                "sources": [s.model_dump(mode="json") for s in done.sources],
                "actions": actions,
                "failures": done.failures,
            }
            print(json.dumps(trace, indent=2, default=str))
        else:
            print()
            for action in actions:
                state = "done" if action["status"] == "done" else "not executed (run again with --yes to confirm)"
                print(f"\n[{action['service']} {action['operation']}] {state}: {action['result'] or action['preview']}")
        return 0
    finally:
        await concierge.close()


def _moment(value: str | None, zone: str | None) -> datetime:
    tz = ZoneInfo(zone or "UTC")
    if value is None:
        return datetime.now(tz)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _step(event: Any) -> dict[str, Any]:
    result = event.result
    outputs: dict[str, Any] = {}
    for name, value in result.outputs.items():
        if isinstance(value, list):
            outputs[name] = [getattr(v, "id", v) for v in value]
        elif hasattr(value, "id"):
            outputs[name] = str(value.id)
        else:
            outputs[name] = value
    return {
        "id": result.step.id,
        "service": result.step.service,
        "operation": result.step.operation,
        "status": result.status,
        "error": result.error,
        "duration_ms": round(result.duration_ms, 1),
        "outputs": outputs,
    }


def _action(action: Any) -> dict[str, Any]:
    return {
        "id": str(action.id),
        "service": action.service,
        "operation": action.operation,
        "target_id": action.target_id,
        "fields": action.fields,
        "preview": action.preview,
        "status": action.status,
        "result": (action.result or {}).get("summary"),
    }
