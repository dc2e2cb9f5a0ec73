"""The Edit form: what it shows for each kind of action, and what it accepts back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.agents.calendar import CalendarAgent
from assistant.agents.drive import DriveAgent
from assistant.agents.gmail import GmailAgent
from assistant.chat.editing import EditError, form_fields, parse_edits
from assistant.writes import PendingAction

LONDON = ZoneInfo("Europe/London")


def action(service: str, operation: str, fields: dict) -> PendingAction:
    now = datetime.now(UTC)
    return PendingAction(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        conversation_id=None,
        service=service,
        operation=operation,
        target_id=None,
        fields=fields,
        preview="",
        undoable=False,
        status="pending",
        result=None,
        undo_data=None,
        error=None,
        expires_at=now + timedelta(minutes=30),
        undo_until=None,
    )


SEND = action("gmail", "send", {"to": ["daniel@northwind.test"], "cc": [], "subject": "Notes", "body": "Hi Daniel"})
MOVE = action(
    "calendar",
    "update",
    {
        "event_id": "e1",
        "summary": "1:1",
        "start": "2026-12-01T10:00:00+00:00",
        "end": "2026-12-01T10:30:00+00:00",
        "location": "",
    },
)
SHARE = action(
    "drive", "share", {"file_id": "f", "file_name": "Deck", "emails": ["sarah@x.test"], "role": "reader", "message": ""}
)


def fields_of(pending: PendingAction, editable: frozenset[str]) -> dict[str, dict]:
    return {field["name"]: field for field in form_fields(pending, editable, LONDON)}


def test_a_message_form_shows_recipients_subject_and_body_as_typed_text() -> None:
    fields = fields_of(SEND, GmailAgent.editable["send"])
    assert list(fields) == ["to", "cc", "subject", "body"]
    assert fields["to"]["value"] == "daniel@northwind.test"
    assert fields["body"]["kind"] == "text"


def test_event_times_are_shown_and_read_in_the_users_zone() -> None:
    fields = fields_of(MOVE, CalendarAgent.editable["update"])
    assert fields["start"]["value"] == "2026-12-01T10:00"  # London is on UTC in December
    edits = parse_edits(
        MOVE, {"start": "2026-12-01T15:00", "end": "2026-12-01T16:00"}, CalendarAgent.editable["update"], LONDON
    )
    assert datetime.fromisoformat(edits["start"]) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert datetime.fromisoformat(edits["end"]) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def test_unchanged_fields_are_not_edits() -> None:
    submitted = {"to": "Daniel@Northwind.test", "cc": "", "subject": "Notes", "body": "Hi Daniel"}
    assert parse_edits(SEND, submitted, GmailAgent.editable["send"], LONDON) == {}
    same_time = {"start": "2026-12-01T10:00", "end": "2026-12-01T10:30"}
    assert parse_edits(MOVE, same_time, CalendarAgent.editable["update"], LONDON) == {}


def test_addresses_are_split_normalised_and_deduplicated() -> None:
    edits = parse_edits(
        SEND,
        {"to": "Daniel <daniel@northwind.test>; PRIYA@northwind.test, priya@northwind.test"},
        GmailAgent.editable["send"],
        LONDON,
    )
    assert edits == {"to": ["daniel@northwind.test", "priya@northwind.test"]}


@pytest.mark.parametrize(
    ("pending", "editable", "submitted", "reason"),
    [
        (SEND, GmailAgent.editable["send"], {"to": "not an address"}, "is not an email address"),
        (SEND, GmailAgent.editable["send"], {"to": ""}, "at least one recipient"),
        (SEND, GmailAgent.editable["send"], {"subject": "a\x00b"}, "control characters"),
        (SEND, GmailAgent.editable["send"], {"thread_id": "x"}, "cannot be changed"),
        (SEND, GmailAgent.editable["send"], {"subject": 5}, "must be text"),
        (SEND, GmailAgent.editable["send"], {"body": "x" * 60_000}, "too long"),
        (MOVE, CalendarAgent.editable["update"], {"start": "tomorrow at 3"}, "give a date and time"),
        (
            MOVE,
            CalendarAgent.editable["update"],
            {"start": "2026-12-01T11:00", "end": "2026-12-01T10:00"},
            "end must come after",
        ),
        (SHARE, DriveAgent.editable["share"], {"role": "owner"}, "must be one of"),
        (SHARE, DriveAgent.editable["share"], {"emails": " "}, "who to share it with"),
    ],
)
def test_malformed_edits_are_refused_with_a_reason(pending, editable, submitted, reason) -> None:
    with pytest.raises(EditError, match=reason):
        parse_edits(pending, submitted, editable, LONDON)


def test_the_share_form_offers_the_roles_in_words() -> None:
    role = fields_of(SHARE, DriveAgent.editable["share"])["role"]
    assert role["kind"] == "choice" and ("writer", "edit") in [tuple(choice) for choice in role["choices"]]
    assert parse_edits(SHARE, {"role": "writer"}, DriveAgent.editable["share"], LONDON) == {"role": "writer"}
