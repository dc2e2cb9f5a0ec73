"""When the pipeline stops to ask instead of running a plan (`assistant.pipeline.must_ask`)."""

from __future__ import annotations

import pytest

from assistant.pipeline import must_ask
from assistant.understanding.schema import (
    Clarification,
    ClarificationKind,
    Contact,
    Entities,
    Operation,
    ParsedIntent,
    ResolvedPerson,
)

SARAHS = [Contact(name="Sarah Chen", email="sarah.chen@acme.com"), Contact(name="Sarah Tomlinson", email="st@acme.com")]


def intent(
    kind: ClarificationKind, options: list[str], operation: Operation = "search", ambiguous_sarah: bool = False
) -> ParsedIntent:
    people = [ResolvedPerson(mention="sarah", contact=None, score=90.0, candidates=SARAHS)] if ambiguous_sarah else []
    return ParsedIntent(
        text="...",
        services=["gmail"],
        operations=[operation],
        entities=Entities(people=people),
        steps=[],
        confidence=0.5,
        clarification=Clarification(kind=kind, question="?", options=options),
        provider="local",
    )


@pytest.mark.parametrize(
    ("case", "asks"),
    [
        (intent("item", ["1. Q4 Financial Review", "2. Re: Q4 Financial Review"]), True),
        # A model may word the items its own way: the kind decides, not the options' text.
        (intent("item", ["Q4 Financial Review", "Re: Q4 Financial Review"]), True),
        (intent("item", []), False),  # nothing was shown: nothing to offer, the words are searched
        (intent("service", ["Gmail", "Drive"]), False),
        (intent("operation", ["send it", "save a draft"], operation="send"), False),
        (intent("person", ["Sarah Chen", "Sarah Tomlinson"], ambiguous_sarah=True), False),  # a lookup runs for both
        (intent("person", ["Sarah Chen", "Sarah Tomlinson"], operation="send", ambiguous_sarah=True), True),
    ],
)
def test_the_pipeline_asks_which_item_always_and_which_person_before_a_write(case: ParsedIntent, asks: bool) -> None:
    assert must_ask(case) is asks


def test_a_clarification_stored_before_kinds_existed_still_reads() -> None:
    # Conversation context reads stored intents; those from before `kind` must not be skipped.
    assert Clarification.model_validate({"question": "Which one?", "options": ["1. a"]}).kind == "other"
    with pytest.raises(ValueError):
        Clarification.model_validate({"kind": "maybe", "question": "Which one?", "options": []})
