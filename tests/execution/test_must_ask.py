"""When the pipeline stops to ask instead of running a plan (`assistant.pipeline.must_ask`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.pipeline import must_ask
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext
from assistant.understanding.frame import Act, Condition, EventSpec, Frame, Message, PersonRef, Selection, Share
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.schema import Clarification, ClarificationKind, Contact, ResolvedPerson

SARAHS = [Contact(name="Sarah Chen", email="sarah.chen@acme.com"), Contact(name="Sarah Tomlinson", email="st@acme.com")]


def meaning(kind: ClarificationKind, options: list[str], act: Act = "find", ambiguous_sarah: bool = False) -> Meaning:
    people = [ResolvedPerson(mention="sarah", contact=None, score=90.0, candidates=SARAHS)] if ambiguous_sarah else []
    clarification = Clarification(kind=kind, question="?", options=options)
    return Meaning(
        text="...",
        frame=Frame(act=act, services=["gmail"], confidence=0.5, clarification=clarification),
        provider="local",
        people=people,
        clarification=clarification,
    )


@pytest.mark.parametrize(
    ("case", "asks"),
    [
        (meaning("item", ["1. Q4 Financial Review", "2. Re: Q4 Financial Review"]), True),
        # A model may word the items its own way: the kind decides, not the options' text.
        (meaning("item", ["Q4 Financial Review", "Re: Q4 Financial Review"]), True),
        (meaning("item", []), False),  # nothing was shown: nothing to offer, the words are searched
        (meaning("service", ["Gmail", "Drive"]), False),
        (meaning("operation", ["send it", "save a draft"], act="send"), False),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], ambiguous_sarah=True), False),  # a lookup runs for both
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="read", ambiguous_sarah=True), False),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="free_time", ambiguous_sarah=True), False),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="prepare", ambiguous_sarah=True), False),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="send", ambiguous_sarah=True), True),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="forward", ambiguous_sarah=True), True),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="create", ambiguous_sarah=True), True),
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="share", ambiguous_sarah=True), True),
        # A question about a person no name in the request is ambiguous for: nothing to ask.
        (meaning("person", ["Sarah Chen", "Sarah Tomlinson"], act="send"), False),
    ],
)
def test_the_pipeline_asks_which_item_always_and_which_person_before_a_write(case: Meaning, asks: bool) -> None:
    assert must_ask(case) is asks


def test_a_meaning_without_a_question_never_asks() -> None:
    frame = Frame(act="send", services=["gmail"], message=Message(to=["sarah"], body="hi"))
    assert not must_ask(Meaning(text="email sarah saying hi", frame=frame, provider="local"))


def resolved(frame: Frame) -> Meaning:
    return resolve_frame(
        frame,
        text="...",
        provider="local",
        now=datetime(2026, 11, 25, 12, tzinfo=UTC),
        contacts=ContactBook(SARAHS),
        context=ConversationContext(),
    )


@pytest.mark.parametrize(
    ("frame", "asks"),
    [
        (Frame(act="find", services=["gmail"], target=Selection(people=[PersonRef(name="Sarah", role="from")])), False),
        (Frame(act="send", services=["gmail"], message=Message(to=["Sarah"], body="hi")), True),
        (
            Frame(act="share", services=["drive"], target=Selection(title="Roadmap"), share=Share(people=["Sarah"])),
            True,
        ),
    ],
)
def test_a_resolved_ambiguous_name_asks_only_before_a_write(frame: Frame, asks: bool) -> None:
    # The resolver and the pipeline agree: both Sarahs are searched in a lookup; a write
    # waits for the user to say which one.
    meaning = resolved(frame)
    sarah = meaning.person("Sarah")
    assert sarah is not None and sarah.contact is None
    assert sorted(c.email for c in sarah.candidates) == ["sarah.chen@acme.com", "st@acme.com"]
    assert must_ask(meaning) is asks
    if asks:
        assert meaning.clarification is not None and meaning.clarification.kind == "person"
        assert sorted(meaning.clarification.options) == [
            "Sarah Chen <sarah.chen@acme.com>",
            "Sarah Tomlinson <st@acme.com>",
        ]


def test_a_clarification_stored_before_kinds_existed_still_reads() -> None:
    # Conversation context reads stored meanings; those from before `kind` must not be skipped.
    assert Clarification.model_validate({"question": "Which one?", "options": ["1. a"]}).kind == "other"
    with pytest.raises(ValueError):
        Clarification.model_validate({"kind": "maybe", "question": "Which one?", "options": []})


@pytest.mark.parametrize("condition", [None, Condition(kind="no_meeting_with", people=["Sarah"], time="on Monday")])
def test_a_new_events_guest_is_asked_about_only_when_a_condition_checks_them(condition: Condition | None) -> None:
    """ "lunch with Sarah on Monday": she is left uninvited (the card says so); "unless
    Sarah and I already meet that day": which Sarah's meetings to check must be known."""
    frame = Frame(
        act="create",
        services=["calendar"],
        event=EventSpec(title="Catch-up", start="on Monday", attendees=["Sarah"]),
        condition=condition,
    )
    assert must_ask(resolved(frame)) is (condition is not None)
