"""Plans as DAGs, and the orchestrator's concurrency, failure capture and skipping.

The agents here are small stand-ins implementing the agent interface: these tests are
about orchestration. The real agents are tested against the sandbox elsewhere.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant.agents.base import ActionOutcome, BaseAgent, StepFailed
from assistant.orchestrator import Orchestrator, StepEvent, StepResult
from assistant.plan import Binding, ExecutionPlan, PlanError, PlanStep
from assistant.planner import plan_for
from assistant.understanding.schema import (
    Entities,
    ParsedIntent,
    ResolvedPerson,
    TimeRange,
)
from assistant.writes import ProposedAction


def step(id: str, service: str = "gmail", operation: str = "search", **inputs: tuple[str, str]) -> PlanStep:
    return PlanStep(
        id=id,
        service=service,
        operation=operation,
        description=f"{operation} {service} ({id})",
        inputs={name: Binding(step=s, output=o) for name, (s, o) in inputs.items()},
    )


def intent_for(
    text: str, services: list[str], entities: Entities | None = None, operation: str = "search"
) -> ParsedIntent:
    """A confidently understood request to plan: `operation` on each of `services`."""
    return ParsedIntent(
        text=text,
        services=services,
        operations=[operation] * len(services),  # type: ignore[arg-type]
        entities=entities or Entities(),
        steps=[],
        confidence=0.9,
        provider="local",
    )


def cancel_flight_plan() -> ExecutionPlan:
    return ExecutionPlan(
        steps=[
            step("find_booking", "gmail"),
            step("find_flight", "calendar"),
            step("delete_flight", "calendar", "delete", event=("find_flight", "top")),
            step("draft_cancellation", "gmail", "draft", booking=("find_booking", "top")),
        ]
    )


def test_levels_group_independent_steps() -> None:
    levels = cancel_flight_plan().levels()
    assert [[s.id for s in level] for level in levels] == [
        ["find_booking", "find_flight"],
        ["delete_flight", "draft_cancellation"],
    ]


def test_a_cycle_is_a_planning_error_naming_the_steps() -> None:
    with pytest.raises(PlanError, match="a, b can never run: their inputs form a cycle"):
        ExecutionPlan(steps=[step("a", x=("b", "items")), step("b", x=("a", "items"))])


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"x": ("nowhere", "items")}, "bound to a step that does not exist: 'nowhere'"),
        ({"x": ("first", "slots")}, "a search step only produces items, top"),
    ],
)
def test_a_dangling_binding_is_a_planning_error(inputs: dict, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        ExecutionPlan(steps=[step("first"), step("second", **inputs)])


class ScriptedAgent(BaseAgent):
    """Sleeps, then returns or raises what it was told to for each step id."""

    def __init__(self, service: str, script: dict[str, Any], delay: float = 0.0) -> None:
        self.service = service
        self.script = script
        self.delay = delay
        self.seen_inputs: dict[str, dict[str, Any]] = {}

    async def run(self, step: PlanStep, inputs: dict[str, Any], context: Any) -> dict[str, Any]:
        self.seen_inputs[step.id] = inputs
        await asyncio.sleep(self.delay)
        outcome = self.script[step.id]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: Any) -> ProposedAction:
        self.seen_inputs[step.id] = inputs
        return ProposedAction(
            service=self.service, operation=step.operation, account_id="a", fields=inputs, preview=step.description
        )

    async def execute(self, action: Any, context: Any, remember: Any) -> ActionOutcome:
        raise AssertionError("the orchestrator never executes")

    def describe(self, operation: str, fields: dict[str, Any]) -> str:
        return operation


async def run(
    plan: ExecutionPlan, agents: dict[str, BaseAgent], timeout: float = 5
) -> tuple[list[StepEvent], dict[str, StepResult]]:
    recorded: list[ProposedAction] = []

    async def record(step: PlanStep, proposed: ProposedAction) -> dict:
        recorded.append(proposed)
        return {"id": f"action-{len(recorded)}", "preview": proposed.preview}

    results: dict[str, StepResult] = {}
    events = [event async for event in Orchestrator(agents, record, step_timeout=timeout).run(plan, None, results)]
    return events, results


async def test_bindings_carry_outputs_and_writes_wait_for_confirmation() -> None:
    gmail = ScriptedAgent("gmail", {"find_booking": {"items": ["booking"], "top": "booking"}})
    calendar = ScriptedAgent("calendar", {"find_flight": {"items": ["flight"], "top": "flight"}})
    events, results = await run(cancel_flight_plan(), {"gmail": gmail, "calendar": calendar})
    assert calendar.seen_inputs["delete_flight"] == {"event": "flight"}
    assert gmail.seen_inputs["draft_cancellation"] == {"booking": "booking"}
    assert results["delete_flight"].status == "awaiting_confirmation"
    assert results["delete_flight"].outputs["action"]["id"].startswith("action-")
    assert [e.kind for e in events].count("action_required") == 2
    # Every step announces its start before its end.
    for step_id in results:
        kinds = [e.kind for e in events if e.step.id == step_id]
        assert kinds[0] == "step_started" and len(kinds) == 2


async def test_independent_steps_run_concurrently() -> None:
    plan = ExecutionPlan(steps=[step("g", "gmail"), step("c", "calendar"), step("d", "drive")])
    agents = {
        service: ScriptedAgent(service, {key: {"items": [], "top": None}}, delay=0.5)
        for service, key in (("gmail", "g"), ("calendar", "c"), ("drive", "d"))
    }
    started = time.perf_counter()
    await run(plan, agents)
    assert time.perf_counter() - started < 1.0  # three 0.5 s steps: the slowest, not the sum


async def test_a_failure_is_captured_and_its_dependents_are_skipped() -> None:
    gmail = ScriptedAgent("gmail", {"find_booking": StepFailed("Gmail is unavailable (HTTP 500)")})
    calendar = ScriptedAgent("calendar", {"find_flight": {"items": ["flight"], "top": "flight"}})
    events, results = await run(cancel_flight_plan(), {"gmail": gmail, "calendar": calendar})
    assert results["find_booking"].status == "failed"
    assert results["find_booking"].error == "Gmail is unavailable (HTTP 500)"
    assert results["find_flight"].status == "ok"
    assert results["delete_flight"].status == "awaiting_confirmation"
    assert results["draft_cancellation"].status == "skipped"
    assert "search gmail (find_booking), which failed" in results["draft_cancellation"].error


async def test_nothing_found_skips_the_write_that_needed_it() -> None:
    gmail = ScriptedAgent("gmail", {"find_booking": {"items": [], "top": None}})
    calendar = ScriptedAgent("calendar", {"find_flight": {"items": ["flight"], "top": "flight"}})
    _, results = await run(cancel_flight_plan(), {"gmail": gmail, "calendar": calendar})
    assert results["draft_cancellation"].status == "skipped"
    assert "found nothing to act on" in results["draft_cancellation"].error


async def test_a_slow_step_times_out_without_holding_the_others() -> None:
    plan = ExecutionPlan(steps=[step("slow", "gmail"), step("quick", "drive")])
    agents = {
        "gmail": ScriptedAgent("gmail", {"slow": {"items": []}}, delay=5),
        "drive": ScriptedAgent("drive", {"quick": {"items": ["f"], "top": "f"}}),
    }
    started = time.perf_counter()
    _, results = await run(plan, agents, timeout=0.3)
    assert time.perf_counter() - started < 2
    assert results["slow"].status == "failed" and "no answer within" in results["slow"].error
    assert results["quick"].status == "ok"


async def test_an_unexpected_exception_is_a_failed_step_not_a_crash() -> None:
    plan = ExecutionPlan(steps=[step("broken", "gmail"), step("fine", "drive")])
    agents = {
        "gmail": ScriptedAgent("gmail", {"broken": KeyError("payload")}),
        "drive": ScriptedAgent("drive", {"fine": {"items": ["f"], "top": "f"}}),
    }
    _, results = await run(plan, agents)
    assert (
        results["broken"].status == "failed"
        and "something went wrong on our side (KeyError)" in results["broken"].error
    )
    assert results["fine"].status == "ok"


@pytest.mark.parametrize(
    ("services", "days_ahead", "dated"),
    [
        (["gmail"], -7, {"gmail": True}),  # "emails from last week": a date filter
        (["gmail"], 7, {"gmail": False}),  # "emails about next week's offsite": words, not a date
        (["drive"], 7, {"drive": False}),
        (["calendar", "gmail"], 7, {"calendar": True, "gmail": False}),  # "my meetings next week and ..."
    ],
)
def test_a_time_range_filters_only_what_can_be_dated_then(
    services: list[str], days_ahead: int, dated: dict[str, bool]
) -> None:
    # Date filters exclude whatever is outside them, and mail and files are dated in the
    # past: a future range dates only events.
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    start = now + timedelta(days=days_ahead)
    window = TimeRange(text="the week", start=start, end=start + timedelta(days=7))
    intent = intent_for("the offsite", services, Entities(time_range=window, topic="the offsite"))
    filters = {s.service: s.params.get("filters", {}) for s in plan_for(intent, now).steps}
    assert {service: "after" in found for service, found in filters.items()} == dated


@pytest.mark.parametrize(
    ("request_text", "topic", "newest_first", "text"),
    [
        ("the latest email from Sarah Chen", None, True, "the latest email from"),  # by the person alone
        ("my most recent invoice", "invoice", True, "invoice"),
        ("my most recent invoice email", None, True, "my most recent invoice email"),  # no topic read: the words stay
        ("my last email to Tom", None, True, ""),  # one the user sent, to Tom: filters alone
        ("emails from last week about the budget", "the budget", False, "the budget"),
        ("reply to the last one", None, False, "reply to the last one"),
        ("emails from Sarah", None, False, "emails from Sarah"),
    ],
)
def test_a_request_for_the_newest_lists_mail_newest_first(
    request_text: str, topic: str | None, newest_first: bool, text: str
) -> None:
    people = [
        ResolvedPerson(mention=name, contact=None, score=100.0)
        for name in ("Sarah Chen", "Tom", "Sarah")
        if name.lower() in request_text.lower()
    ][:1]
    intent = intent_for(request_text, ["gmail", "calendar"], Entities(topic=topic, people=people))
    steps = {s.service: s.params for s in plan_for(intent, datetime(2026, 11, 25, 12, tzinfo=UTC)).steps}
    assert steps["gmail"].get("newest_first", False) is newest_first
    assert steps["gmail"]["text"] == text
    assert "newest_first" not in steps["calendar"]  # "my last meeting" is a past one: the calendar keeps its order


@pytest.mark.parametrize(
    ("request_text", "operation", "gmail", "drive"),
    [
        ("emails from Sarah about the budget", "search", {"senders": ["Sarah"]}, {"senders": ["Sarah"]}),
        # The user's own mail to Sarah; files have no recipients.
        ("my emails to Sarah", "search", {"recipients": ["Sarah"], "labels": ["SENT"]}, {"people": ["Sarah"]}),
        ("files shared by Sarah", "search", {"senders": ["Sarah"]}, {"senders": ["Sarah"]}),
        ("meetings with Sarah", "search", {"people": ["Sarah"]}, {"people": ["Sarah"]}),
        # A write's people are its own: the target search takes them as anyone on the item.
        ("forward the budget email to Sarah", "forward", {"people": ["Sarah"]}, None),
        ("forward my email to Sarah", "forward", {"people": ["Sarah"]}, None),  # maybe one the user received
    ],
)
def test_from_and_to_become_sender_and_recipient_filters_in_lookups(
    request_text: str, operation: str, gmail: dict[str, list[str]], drive: dict[str, list[str]] | None
) -> None:
    services = ["gmail", "drive"] if drive is not None else ["gmail"]
    sarah = ResolvedPerson(mention="Sarah", contact=None, score=90.0)
    intent = intent_for(request_text, services, Entities(people=[sarah]), operation)
    searches = {
        s.service: s.params["filters"]
        for s in plan_for(intent, datetime(2026, 11, 25, tzinfo=UTC)).steps
        if s.operation == "search"
    }
    assert searches["gmail"] == gmail
    if drive is not None:
        assert searches["drive"] == drive


SHEETS = "application/vnd.google-apps.spreadsheet"


@pytest.mark.parametrize(
    ("request_text", "gmail", "drive"),
    [
        ("PDFs about pricing", {}, {"mime_types": ["application/pdf"]}),
        ("pricing spreadsheet", {}, {"mime_types": [SHEETS]}),
        (
            "slides and spreadsheets about the launch",
            {},
            {"mime_types": [SHEETS, "application/vnd.google-apps.presentation"]},
        ),
        ("unread emails with attachments", {"unread": True, "has_attachment": True}, {}),
        ("my starred emails I sent about the launch", {"labels": ["STARRED", "SENT"]}, {}),
        ("the Beacon requirements document", {}, {}),  # any kind of file
        ("the spreadsheet Tom sent", {}, {"mime_types": [SHEETS]}),  # "Tom sent": not the SENT label
    ],
)
def test_kinds_of_item_become_the_filters_of_the_service_that_has_them(
    request_text: str, gmail: dict[str, Any], drive: dict[str, Any]
) -> None:
    intent = intent_for(request_text, ["gmail", "drive", "calendar"])
    filters = {s.service: s.params["filters"] for s in plan_for(intent, datetime(2026, 11, 25, tzinfo=UTC)).steps}
    assert filters["gmail"] == gmail
    found_types = filters["drive"].get("mime_types", [])
    assert set(drive.get("mime_types", [])) <= set(found_types)  # each kind named, with its Office and CSV cousins
    assert bool(found_types) == bool(drive)
    assert "application/pdf" not in found_types or "pdf" in request_text.lower()
    assert filters["calendar"] == {}  # an event has no type, flags or labels: the calendar stays searchable


@pytest.mark.parametrize(
    ("request_text", "topic", "service", "text"),
    [
        ("my unread emails", None, "gmail", "my emails"),  # mail that is unread, not mail saying "unread"
        ("the spreadsheet Tom sent", None, "drive", "the Tom sent"),
        ("PDFs about pricing", "pricing", "drive", "pricing"),
    ],
)
def test_the_words_that_became_filters_are_not_searched(
    request_text: str, topic: str | None, service: str, text: str
) -> None:
    intent = intent_for(request_text, [service], Entities(topic=topic))
    (search,) = plan_for(intent, datetime(2026, 11, 25, tzinfo=UTC)).steps
    assert search.params["text"] == text


@pytest.mark.parametrize(
    ("request_text", "description", "nouns"),
    [
        ("PDFs about pricing", "Search your PDFs", ["PDF", "PDFs"]),
        ("the pricing spreadsheet", "Search your spreadsheets", ["spreadsheet", "spreadsheets"]),
        ("slides and spreadsheets about the launch", "Search your files", ["file", "files"]),  # two kinds
        ("files about the launch", "Search your files", ["file", "files"]),
    ],
)
def test_a_search_for_one_kind_of_file_is_named_by_it(request_text: str, description: str, nouns: list[str]) -> None:
    intent = intent_for(request_text, ["drive"])
    (search,) = plan_for(intent, datetime(2026, 11, 25, tzinfo=UTC)).steps
    assert (search.description, search.params["nouns"]) == (description, nouns)
