"""Plans as DAGs, and the orchestrator's concurrency, failure capture and skipping.

The agents here are small stand-ins implementing the agent interface: these tests are
about orchestration. The real agents are tested against the sandbox elsewhere.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.agents.base import ActionOutcome, BaseAgent, StepFailed
from assistant.core.settings import get_settings
from assistant.orchestrator import Orchestrator, StepEvent, StepResult
from assistant.plan import Binding, ExecutionPlan, PlanError, PlanStep
from assistant.planner import plan_for
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext
from assistant.understanding.frame import (
    Condition,
    EventSpec,
    Frame,
    Message,
    PersonRef,
    Refinement,
    Selection,
    Share,
)
from assistant.understanding.local import local_understanding
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.reader import FrameReader
from assistant.understanding.schema import Contact, ItemRef, ResolvedPerson, TimeRange
from assistant.writes import ProposedAction


def step(id: str, service: str = "gmail", operation: str = "search", **inputs: tuple[str, str]) -> PlanStep:
    return PlanStep(
        id=id,
        service=service,
        operation=operation,
        description=f"{operation} {service} ({id})",
        inputs={name: Binding(step=s, output=o) for name, (s, o) in inputs.items()},
    )


def meaning_for(
    frame: Frame,
    *,
    text: str = "",
    people: list[ResolvedPerson] | None = None,
    target_window: TimeRange | None = None,
    also_windows: list[TimeRange | None] | None = None,
    new_time: TimeRange | None = None,
    items: list[ItemRef] | None = None,
) -> Meaning:
    """A request's meaning to plan from, as the resolver would make it (the text is only
    for the record: the planner never reads it)."""
    return Meaning(
        text=text,
        frame=frame,
        provider="local",
        people=people or [],
        target_window=target_window,
        also_windows=also_windows or [],
        new_time=new_time,
        items=items or [],
        previous_items=items or [],
    )


def known(name: str, email: str) -> ResolvedPerson:
    """A name matched to one contact."""
    return ResolvedPerson(mention=name, contact=Contact(name=name, email=email), score=100.0)


def ambiguous(name: str) -> ResolvedPerson:
    """A name that may be one of several contacts."""
    candidates = [Contact(name=f"{name} Chen", email="chen@acme.com"), Contact(name=f"{name} Li", email="li@acme.com")]
    return ResolvedPerson(mention=name, contact=None, score=90.0, candidates=candidates)


def lookup(services: list[str], **selection: Any) -> Frame:
    """A confidently understood lookup in `services`."""
    return Frame(act="find", services=services, target=Selection(**selection), confidence=0.9)


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


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SARAH = known("Sarah", "sarah.chen@acme.com")
TOM = known("Tom", "tom.baker@acme.com")


def searches(meaning: Meaning) -> dict[str, dict[str, Any]]:
    """The params of each search step of the plan, by service."""
    return {s.service: s.params for s in plan_for(meaning, NOW).steps if s.operation == "search"}


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
    start = NOW + timedelta(days=days_ahead)
    window = TimeRange(text="the week", start=start, end=start + timedelta(days=7))
    meaning = meaning_for(lookup(services, topic="the offsite", time="the week"), target_window=window)
    filters = {s.service: s.params.get("filters", {}) for s in plan_for(meaning, NOW).steps}
    assert {service: "after" in found for service, found in filters.items()} == dated
    if dated[services[0]]:
        assert filters[services[0]] == {"after": window.start.isoformat(), "before": window.end.isoformat()}


@pytest.mark.parametrize(
    ("request_text", "selection", "people", "order", "text", "filters"),
    [
        (  # by the person alone
            "the latest email from Sarah",
            Selection(people=[PersonRef(name="Sarah", role="from")], order="latest", count=1),
            [SARAH],
            "latest",
            "",
            {"senders": ["sarah.chen@acme.com"]},
        ),
        (
            "my most recent invoice",
            Selection(kinds=["invoice"], topic="invoice", order="latest", count=1),
            [],
            "latest",
            "invoice",
            {},
        ),
        (  # one the user sent, to Tom: filters alone
            "my last email to Tom",
            Selection(people=[PersonRef(name="Tom", role="to")], order="latest", count=1, sent_by_me=True),
            [TOM],
            "latest",
            "",
            {"recipients": ["tom.baker@acme.com"], "labels": ["SENT"]},
        ),
        (
            "emails from last week about the budget",
            Selection(topic="the budget", time="last week"),
            [],
            None,
            "the budget",
            {},
        ),
        ("emails from Sarah", Selection(people=[PersonRef(name="Sarah", role="from")]), [SARAH], None, "", None),
    ],
)
def test_a_request_for_the_newest_lists_mail_newest_first(
    request_text: str,
    selection: Selection,
    people: list[ResolvedPerson],
    order: str | None,
    text: str,
    filters: dict[str, Any] | None,
) -> None:
    frame = Frame(services=["gmail", "calendar"], target=selection, confidence=0.9)
    steps = searches(meaning_for(frame, text=request_text, people=people))
    assert steps["gmail"].get("order") == order
    assert steps["gmail"].get("count") == selection.count
    assert steps["gmail"]["text"] == text
    if filters is not None:
        assert steps["gmail"]["filters"] == filters
    # The calendar is asked in the same order: its agent reads "latest" as the last
    # meeting that started, "next" as the first one to come.
    assert steps["calendar"].get("order") == order


def test_the_last_one_of_the_previous_answer_is_read_not_searched_for() -> None:
    # "reply to the last one": a position in the previous answer, not the newest mail.
    shown = [ItemRef(service="gmail", id=f"m{n}", title=f"Mail {n}", position=n) for n in (1, 2, 3)]
    frame = Frame(
        act="reply", services=["gmail"], target=Selection(service="gmail", picks=[-1]), message=Message(body="ok")
    )
    plan = plan_for(meaning_for(frame, text="reply to the last one", items=shown[-1:]), NOW)
    assert [(s.id, s.operation, s.params.get("id")) for s in plan.steps] == [
        ("read_gmail", "read", "m3"),
        ("reply_gmail", "reply", None),
    ]
    assert plan.steps[1].inputs["message"] == Binding(step="read_gmail", output="item")
    assert not any("order" in s.params for s in plan.steps)


def test_a_kind_of_mail_with_no_topic_is_still_searched_for() -> None:
    # "my most recent invoice email": the kind is all that says which mail. Mail has no
    # type filter for invoices, so the kind must reach the search some other way; else
    # the search is "the latest email", of any kind.
    frame = lookup(["gmail"], service="gmail", kinds=["invoice"], order="latest", count=1)
    (search,) = plan_for(meaning_for(frame, text="my most recent invoice email"), NOW).steps
    assert search.params["order"] == "latest"
    assert "invoice" in search.params["text"].lower() or search.params["filters"], search.params


@pytest.mark.parametrize(
    ("request_text", "frame", "gmail", "drive"),
    [
        (
            "emails from Sarah about the budget",
            lookup(["gmail", "drive"], topic="budget", people=[PersonRef(name="Sarah", role="from")]),
            {"senders": ["Sarah"]},
            {"senders": ["Sarah"]},
        ),
        (  # The user's own mail to Sarah; files have no recipients.
            "my emails to Sarah",
            lookup(["gmail", "drive"], sent_by_me=True, people=[PersonRef(name="Sarah", role="to")]),
            {"recipients": ["Sarah"], "labels": ["SENT"]},
            {"people": ["Sarah"]},
        ),
        (
            "files shared by Sarah",
            lookup(["gmail", "drive"], people=[PersonRef(name="Sarah", role="from")]),
            {"senders": ["Sarah"]},
            {"senders": ["Sarah"]},
        ),
        (
            "meetings with Sarah",
            lookup(["gmail", "drive"], people=[PersonRef(name="Sarah", role="with")]),
            {"people": ["Sarah"]},
            {"people": ["Sarah"]},
        ),
        (  # A write's recipients are its own: the mail to forward is not searched by them.
            "forward the budget email to Sarah",
            Frame(
                act="forward",
                services=["gmail"],
                target=Selection(service="gmail", topic="budget"),
                message=Message(to=["Sarah"]),
            ),
            {},
            None,
        ),
        (  # Read as the mail the user sent Sarah: the target's people filter it as in a lookup.
            "forward my email to Sarah",
            Frame(
                act="forward",
                services=["gmail"],
                target=Selection(service="gmail", sent_by_me=True, people=[PersonRef(name="Sarah", role="to")]),
                message=Message(),
            ),
            {"recipients": ["Sarah"], "labels": ["SENT"]},
            None,
        ),
    ],
)
def test_from_and_to_become_sender_and_recipient_filters(
    request_text: str, frame: Frame, gmail: dict[str, list[str]], drive: dict[str, list[str]] | None
) -> None:
    # An ambiguous "Sarah" goes to search as the name: it matches every Sarah, and
    # ranking sorts them out.
    found = searches(meaning_for(frame, text=request_text, people=[ambiguous("Sarah")]))
    assert found["gmail"]["filters"] == gmail
    if drive is not None:
        assert found["drive"]["filters"] == drive
    # One Sarah: her address.
    one = searches(meaning_for(frame, text=request_text, people=[SARAH]))
    assert one["gmail"]["filters"] == {
        role: ["sarah.chen@acme.com"] if names == ["Sarah"] else names for role, names in gmail.items()
    }


def test_a_name_that_is_no_one_is_searched_as_words() -> None:
    # "emails from Northwind": no contact by that name, nor close to it.
    nobody = ResolvedPerson(mention="Northwind", contact=None, score=0.0)
    frame = lookup(["gmail"], topic="renewal", people=[PersonRef(name="Northwind", role="from")])
    (search,) = plan_for(meaning_for(frame, people=[nobody]), NOW).steps
    assert search.params["text"] == "renewal Northwind" and search.params["filters"] == {}


SHEETS = "application/vnd.google-apps.spreadsheet"
SLIDES = "application/vnd.google-apps.presentation"


@pytest.mark.parametrize(
    ("request_text", "selection", "gmail", "drive"),
    [
        ("PDFs about pricing", Selection(kinds=["pdf"], topic="pricing"), {}, {"mime_types": ["application/pdf"]}),
        ("pricing spreadsheet", Selection(kinds=["spreadsheet"], title="pricing"), {}, {"mime_types": [SHEETS]}),
        (
            "slides and spreadsheets about the launch",
            Selection(kinds=["presentation", "spreadsheet"], topic="launch"),
            {},
            {"mime_types": [SHEETS, SLIDES]},
        ),
        (
            "unread emails with attachments",
            Selection(kinds=["email"], unread=True, has_attachment=True),
            {"unread": True, "has_attachment": True},
            {},
        ),
        (
            "my starred emails I sent about the launch",
            Selection(kinds=["email"], topic="launch", starred=True, sent_by_me=True),
            {"labels": ["STARRED", "SENT"]},
            {},
        ),
        ("my Finance emails", Selection(kinds=["email"], labels=["Finance"]), {"labels": ["Finance"]}, {}),
        ("the Beacon requirements document", Selection(title="Beacon requirements"), {}, {}),  # any kind of file
        ("the spreadsheet Tom sent", Selection(kinds=["spreadsheet"]), {}, {"mime_types": [SHEETS]}),  # no SENT label
    ],
)
def test_kinds_of_item_become_the_filters_of_the_service_that_has_them(
    request_text: str, selection: Selection, gmail: dict[str, Any], drive: dict[str, Any]
) -> None:
    frame = Frame(services=["gmail", "drive", "calendar"], target=selection, confidence=0.9)
    filters = {s: params["filters"] for s, params in searches(meaning_for(frame, text=request_text)).items()}
    assert filters["gmail"] == gmail
    found_types = filters["drive"].get("mime_types", [])
    assert set(drive.get("mime_types", [])) <= set(found_types)  # each kind named, with its Office and CSV cousins
    assert bool(found_types) == bool(drive)
    assert "application/pdf" not in found_types or "pdf" in selection.kinds
    assert filters["calendar"] == {}  # an event has no type, flags or labels: the calendar stays searchable


@pytest.mark.parametrize(
    ("request_text", "selection", "service", "people", "text"),
    [
        ("my unread emails", Selection(unread=True), "gmail", [], ""),  # mail that is unread, not saying "unread"
        (
            "the spreadsheet Tom sent",
            Selection(kinds=["spreadsheet"], people=[PersonRef(name="Tom", role="from")]),
            "drive",
            [TOM],
            "",
        ),
        ("PDFs about pricing", Selection(kinds=["pdf"], topic="pricing"), "drive", [], "pricing"),
        (
            "the Q4 forecast spreadsheet",
            Selection(kinds=["spreadsheet"], title="Q4 forecast"),
            "drive",
            [],
            "Q4 forecast",
        ),
    ],
)
def test_the_words_that_became_filters_are_not_searched(
    request_text: str, selection: Selection, service: str, people: list[ResolvedPerson], text: str
) -> None:
    meaning = meaning_for(lookup([service], **selection.model_dump()), text=request_text, people=people)
    (search,) = plan_for(meaning, NOW).steps
    assert search.params["text"] == text


@pytest.mark.parametrize(
    ("request_text", "kinds", "description", "nouns"),
    [
        ("PDFs about pricing", ["pdf"], "Search your PDFs", ["PDF", "PDFs"]),
        ("the pricing spreadsheet", ["spreadsheet"], "Search your spreadsheets", ["spreadsheet", "spreadsheets"]),
        ("slides and spreadsheets about the launch", ["presentation", "spreadsheet"], "Search your files", None),
        ("files about the launch", [], "Search your files", ["file", "files"]),
    ],
)
def test_a_search_for_one_kind_of_file_is_named_by_it(
    request_text: str, kinds: list[str], description: str, nouns: list[str] | None
) -> None:
    meaning = meaning_for(lookup(["drive"], kinds=kinds, topic="launch"), text=request_text)
    (search,) = plan_for(meaning, NOW).steps
    assert (search.description, search.params["nouns"]) == (description, nouns or ["file", "files"])


@pytest.fixture(scope="module")
def reader(data_dir: Path) -> FrameReader:
    return FrameReader(local_understanding(get_settings()))


@pytest.mark.parametrize(
    ("request_text", "service", "expected"),
    [
        ("PDFs about pricing", "drive", {"text": "pricing", "mime_types": ["application/pdf"]}),
        ("pricing spreadsheet", "drive", {"mime_types": [SHEETS]}),
        ("slides and spreadsheets about the launch", "drive", {"text": "launch", "mime_types": [SHEETS, SLIDES]}),
        ("unread emails with attachments", "gmail", {"text": "", "unread": True, "has_attachment": True}),
        ("my unread emails", "gmail", {"text": "", "unread": True}),
        ("my starred emails I sent about the launch", "gmail", {"text": "launch", "labels": ["STARRED", "SENT"]}),
        ("the spreadsheet Tom sent", "drive", {"text": "", "mime_types": [SHEETS], "senders": [TOM.contact.email]}),
        ("the latest email from Sarah", "gmail", {"text": "", "order": "latest", "senders": [SARAH.contact.email]}),
        (
            "my last email to Tom",
            "gmail",
            {"text": "", "order": "latest", "recipients": [TOM.contact.email], "labels": ["SENT"]},
        ),
        ("emails from last week about the budget", "gmail", {"text": "budget", "order": None, "after": True}),
        ("my most recent invoice", "gmail", {"order": "latest", "text": "invoice"}),
    ],
)
def test_from_the_words_to_the_search(reader: FrameReader, request_text: str, service: str, expected: dict) -> None:
    # The reader and the planner together: what the words say becomes the search's text,
    # filters and order (the reader's own tests hold the many phrasings).
    frame, _ = reader.read(request_text)
    contacts = ContactBook([SARAH.contact, TOM.contact])
    meaning = resolve_frame(
        frame, text=request_text, provider="local", now=NOW, contacts=contacts, context=ConversationContext()
    )
    found = searches(meaning)
    assert service in found, (frame, list(found))
    params = found[service]
    filters = params["filters"]
    for key, value in expected.items():
        if key == "text":
            assert params["text"].lower() == value, (key, params)
        elif key == "order":
            assert params.get("order") == value, (key, params)
        elif key == "after":
            assert ("after" in filters) is value, (key, params)
        elif key == "mime_types":
            assert set(value) <= set(filters.get(key, [])), (key, params)
        else:
            assert filters.get(key) == value, (key, params)


WEEK = TimeRange(text="next week", start=NOW + timedelta(days=5), end=NOW + timedelta(days=12))
LAST_WEEK = TimeRange(text="last week", start=NOW - timedelta(days=9), end=NOW - timedelta(days=2))
THREE_PM = TimeRange(
    text="Thursday at 3pm", start=NOW + timedelta(days=1, hours=3), end=NOW + timedelta(days=1, hours=4)
)
EVENT = ItemRef(service="calendar", id="e1", title="Weekly sync", position=1)
PRIYA = known("Priya", "priya@acme.com")

#: Requests of every kind of plan, with their meanings: (the request, what it means).
MEANINGS: list[tuple[str, Meaning]] = [
    (
        "emails from Sarah about the budget last week and my meetings with her next week",
        meaning_for(
            Frame(
                services=["gmail", "calendar"],
                target=Selection(
                    service="gmail", topic="budget", time="last week", people=[PersonRef(name="Sarah", role="from")]
                ),
                also=[Selection(service="calendar", time="next week", people=[PersonRef(name="Sarah", role="with")])],
            ),
            people=[SARAH],
            target_window=LAST_WEEK,
            also_windows=[WEEK],
        ),
    ),
    (
        "the 5 newest unread PDFs Tom sent",
        meaning_for(
            lookup(["drive"], kinds=["pdf"], people=[PersonRef(name="Tom", role="from")], order="latest", count=5),
            people=[TOM],
        ),
    ),
    (
        "how many emails did Tom send me last week",
        meaning_for(
            Frame(
                ask="count",
                services=["gmail"],
                target=Selection(service="gmail", people=[PersonRef(name="Tom", role="from")], time="last week"),
            ),
            people=[TOM],
            target_window=LAST_WEEK,
        ),
    ),
    (
        "email Daniel with the subject 'Staging' saying 'the deploy is green'",
        meaning_for(
            Frame(
                act="send",
                services=["gmail"],
                message=Message(to=["Daniel"], subject="Staging", body="the deploy is green", quoted=True),
            ),
            people=[known("Daniel", "daniel@acme.com")],
        ),
    ),
    (
        "book 45 minutes with Sarah next week",
        meaning_for(
            Frame(
                act="create",
                services=["calendar"],
                target=Selection(service="calendar", time="next week"),
                event=EventSpec(title="Sync", duration_minutes=45, attendees=["Sarah"]),
            ),
            people=[SARAH],
            target_window=WEEK,
        ),
    ),
    (
        "book a Design Crit on Thursday at 3pm with Priya",
        meaning_for(
            Frame(
                act="create",
                services=["calendar"],
                event=EventSpec(title="Design Crit", start="Thursday at 3pm", attendees=["Priya"]),
                condition=Condition(kind="no_meeting_with", people=["Priya"], time="Thursday"),
            ),
            people=[PRIYA],
            new_time=THREE_PM,
        ),
    ),
    (
        "make the standup 15 minutes earlier tomorrow",
        meaning_for(
            Frame(
                act="change",
                services=["calendar"],
                target=Selection(service="calendar", title="standup", time="tomorrow"),
                event=EventSpec(shift_minutes=-15),
            ),
            target_window=TimeRange(text="tomorrow", start=NOW + timedelta(hours=12), end=NOW + timedelta(hours=36)),
        ),
    ),
    (
        "move it to Thursday at 3pm",
        meaning_for(
            Frame(
                act="change",
                services=["calendar"],
                target=Selection(previous=True),
                event=EventSpec(start="Thursday at 3pm"),
            ),
            new_time=THREE_PM,
            items=[EVENT],
        ),
    ),
    (
        "cancel all occurrences of my next 1:1 with Priya",
        meaning_for(
            Frame(
                act="delete",
                services=["calendar"],
                target=Selection(
                    service="calendar",
                    title="1:1",
                    people=[PersonRef(name="Priya", role="with")],
                    order="next",
                    count=1,
                    series="all",
                ),
            ),
            people=[PRIYA],
        ),
    ),
    (
        "delete all the emails from Tom",
        meaning_for(
            Frame(
                act="delete",
                services=["gmail"],
                target=Selection(service="gmail", people=[PersonRef(name="Tom", role="from")], every=True),
            ),
            people=[TOM],
        ),
    ),
    (
        "cancel my Lisbon flight and tell them I can't make it",
        meaning_for(
            Frame(
                act="delete",
                services=["gmail", "calendar"],
                target=Selection(kinds=["booking"], title="Lisbon flight"),
                message=Message(body="I can't make it"),
            )
        ),
    ),
    (
        "reply to the first one saying I'll be 5 minutes late",
        meaning_for(
            Frame(
                act="reply",
                services=["calendar"],
                target=Selection(picks=[1]),
                message=Message(body="I'll be 5 minutes late"),
            ),
            items=[EVENT],
        ),
    ),
    (
        "share the roadmap with Tom so he can edit it",
        meaning_for(
            Frame(
                act="share",
                services=["drive"],
                target=Selection(service="drive", title="roadmap"),
                share=Share(people=["Tom"], role="writer"),
            ),
            people=[TOM],
        ),
    ),
    (
        "when are Sarah and I both free next week for an hour",
        meaning_for(
            Frame(
                act="free_time",
                ask="when",
                services=["calendar"],
                target=Selection(service="calendar", people=[PersonRef(name="Sarah", role="with")], time="next week"),
                event=EventSpec(duration_minutes=60),
            ),
            people=[SARAH],
            target_window=WEEK,
        ),
    ),
    (
        "prepare me for my next 1:1 with Priya",
        meaning_for(
            Frame(
                act="prepare",
                services=["calendar"],
                target=Selection(service="calendar", title="1:1", people=[PersonRef(name="Priya", role="with")]),
            ),
            people=[PRIYA],
        ),
    ),
    (
        "only the ones from Tom",
        meaning_for(
            Frame(
                services=["gmail"],
                target=Selection(service="gmail", people=[PersonRef(name="Tom", role="from")], previous=True),
                refine=Refinement(kind="narrow"),
            ),
            people=[TOM],
        ),
    ),
]


@pytest.mark.parametrize(("request_text", "meaning"), MEANINGS, ids=[text for text, _ in MEANINGS])
def test_the_planner_plans_from_the_meaning_never_from_the_text(request_text: str, meaning: Meaning) -> None:
    # The same meaning plans the same with the request's text, with none, and with words
    # that would mean something else.
    assert meaning.text == ""
    planned = plan_for(meaning, NOW)
    assert planned.steps
    for text in (request_text, "cancel my flight booking: the latest unread PDFs from Tom, all of them"):
        again = plan_for(meaning.model_copy(update={"text": text}), NOW)
        assert again.model_dump(mode="json") == planned.model_dump(mode="json"), text
