"""Offline understanding of requests typed the way people type them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.understanding.classifier import IntentClassifier
from assistant.understanding.local import LocalUnderstanding, adjust_group, local_understanding


@pytest.fixture(scope="module")
def local(data_dir: Path) -> LocalUnderstanding:
    return local_understanding(get_settings())


@pytest.mark.parametrize(
    ("text", "service", "operation"),
    [
        ("hey can u show me emails from sarah about the budget", "gmail", "search"),
        ("Any EMAILS from Sarah??", "gmail", "search"),
        ("whats on my calendar tomorrow", "calendar", "search"),
        ("set up a meeting with tom next tuesday afternoon", "calendar", "create"),
        ("move my standup to 10am", "calendar", "update"),
        ("cancel my meeting with tom tomorrow", "calendar", "delete"),
        ("reply to john saying ill be late", "gmail", "reply"),
        ("forward the invoice to my accountant", "gmail", "forward"),
        ("draft an email to the team about the offsite", "gmail", "draft"),
        ("where is the vendor contract in my drive", "drive", "search"),
        ("share the budget spreadsheet with sarah", "drive", "share"),
        ("delete the old roadmap doc", "drive", "delete"),
        ("um remind me to call mom at six p m", "calendar", "create"),
        # The user's own mail is looked up, without asking whether to write.
        ("my last email to Tom Becker", "gmail", "search"),
        ("my emails to Sarah", "gmail", "search"),
        ("send my email to Tom again", "gmail", "send"),
        ("email Tom about my messages", "gmail", "send"),
    ],
)
def test_service_and_operation(local: LocalUnderstanding, text: str, service: str, operation: str) -> None:
    draft = local.understand(text)
    assert (draft.services[0], draft.operations[0]) == (service, operation)
    assert draft.clarification is None


def test_slots_from_lower_case_speech(local: LocalUnderstanding) -> None:
    draft = local.understand("schedule lunch with priya on friday at noon")
    assert draft.people == ["priya"]
    assert draft.new_time is not None and "friday" in draft.new_time and "noon" in draft.new_time
    assert draft.when is None
    assert draft.slot_values()["person"] == ["priya"]


def test_search_topic_people_and_time(local: LocalUnderstanding) -> None:
    draft = local.understand("emails from sarah about the budget last week")
    assert draft.people == ["sarah"]
    assert draft.topic == "budget"
    assert draft.when == "last week"


def test_a_moved_event_keeps_old_and_new_times_apart(local: LocalUnderstanding) -> None:
    draft = local.understand("move tomorrow's standup to friday at 10am")
    assert draft.operations[0] == "update"
    assert draft.new_time is not None and "friday" in draft.new_time
    assert draft.when is not None and "tomorrow" in draft.when


def test_body_of_a_message_to_write(local: LocalUnderstanding) -> None:
    draft = local.understand("email martha saying the report is ready")
    assert draft.people == ["martha"]
    assert draft.body == "the report is ready"


def test_sending_a_file_finds_it_first(local: LocalUnderstanding) -> None:
    draft = local.understand("email sarah the q3 report doc")
    assert draft.services == ["gmail", "drive"]
    assert [(s.service, s.operation, s.depends_on) for s in draft.steps] == [
        ("drive", "search", []),
        ("gmail", "send", [0]),
    ]


def test_sharing_finds_the_file_then_shares_it(local: LocalUnderstanding) -> None:
    draft = local.understand("share the q3 report with tom@example.com")
    assert [(s.operation, s.depends_on) for s in draft.steps] == [("search", []), ("share", [0])]
    assert "tom@example.com" in draft.slot_values().get("email_address", [])


def test_cross_service_request_lists_both_services(local: LocalUnderstanding) -> None:
    draft = local.understand("my meetings with sarah next week and her emails about the budget")
    assert draft.services == ["calendar", "gmail"]
    assert {s.service for s in draft.steps} == {"calendar", "gmail"}


@pytest.mark.parametrize("text", ["sarah", "budget", "the q3 stuff"])
def test_vague_requests_ask_where_to_look(local: LocalUnderstanding, text: str) -> None:
    draft = local.understand(text)
    assert draft.clarification is not None
    assert set(draft.clarification.options) >= {"email", "calendar"}


def test_a_reference_with_nothing_to_refer_to_asks(local: LocalUnderstanding) -> None:
    draft = local.understand("delete the second one")
    assert draft.clarification is not None
    assert draft.refers_to_previous is False


def test_clear_requests_do_not_ask(local: LocalUnderstanding) -> None:
    assert local.understand("show my unread emails from this week").clarification is None


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("send email to enalen saying i will send the files", "enalen"),  # a name never seen
        ("email my friend rohit that i am busy", "rohit"),
        ("schedule a call with anna on friday", "anna"),  # not folded into the event
        ("lunch with chris kimberly and aaronson", "aaronson"),
        ("forward the invoice from Harvest & Co to Tom", "harvest & co"),  # not "harvest &"
    ],
)
def test_names_the_tagger_never_saw(local: LocalUnderstanding, text: str, person: str) -> None:
    assert person in local.understand(text).people


def test_common_words_are_not_taken_for_names(local: LocalUnderstanding) -> None:
    assert local.understand("send an email about the launch").people == []
    assert local.understand("email me the weekly report").people == []
    assert local.understand("remind me to call tomorrow").people == []


@pytest.mark.parametrize(
    ("group", "text", "expected"),
    [
        ("write", "did you add the dentist to my calendar", "query"),
        ("write", "has the review been scheduled", "query"),
        ("write", "add the dentist to my calendar", "write"),
        ("compose", "find the email from tom", "query"),
        ("compose", "email tom the findings", "compose"),
        ("delete", "cancel the sync and reschedule it for monday", "write"),
        ("delete", "cancel the sync", "delete"),
    ],
)
def test_structural_corrections(group: str, text: str, expected: str) -> None:
    assert adjust_group(group, text) == expected


def test_classifier_refuses_weights_trained_on_other_embeddings(local: LocalUnderstanding) -> None:
    import numpy as np

    class OtherEmbeddings:
        def embed_query(self, text: str) -> np.ndarray:
            vector = np.random.default_rng(len(text)).normal(size=384).astype(np.float32)
            return vector / np.linalg.norm(vector)

    with pytest.raises(RuntimeError, match="retrain"):
        IntentClassifier(OtherEmbeddings())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["display latest emails", "what's on tomorrow", "is this week a payday week", "show the last email i got"]
)
def test_filters_are_not_references_and_clear_requests_do_not_ask(local: LocalUnderstanding, text: str) -> None:
    draft = local.understand(text)
    assert draft.clarification is None
    assert draft.item_ordinals == [] and not draft.refers_to_previous


def test_unsure_where_to_look_searches_both(local: LocalUnderstanding) -> None:
    draft = local.understand("what did sarah say about the marketing spend")
    assert draft.services[0] == "gmail" and len(draft.services) >= 2
    assert draft.operations == ["search"] and draft.clarification is None


def test_a_question_is_a_lookup_even_when_it_names_a_change(local: LocalUnderstanding) -> None:
    draft = local.understand("what's the cancellation fee for my turkish airlines flight")
    assert draft.operations[0] in {"search", "read"} and draft.clarification is None


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("client that might churn", "search"),  # no verb, no time, no calendar: nothing to add
        ("lunch with Sarah tomorrow at 1", "create"),  # a time: an event to add
        ("put a repeating event on the calendar", "create"),
    ],
)
def test_a_write_needs_a_verb_a_time_or_a_calendar(local: LocalUnderstanding, text: str, operation: str) -> None:
    assert local.understand(text).operations[0] == operation
