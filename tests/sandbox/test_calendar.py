"""Calendar v3 through google-api-python-client."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from tests.sandbox.conftest import ALEX, OMAR, SARAH, Services

WEEK = {"timeMin": "2026-03-09T00:00:00Z", "timeMax": "2026-03-23T00:00:00Z"}


def event_id() -> str:
    return "".join(secrets.choice("0123456789abcdefghijklmnopqrstuv") for _ in range(20))


def all_pages(calendar: Any, **params: Any) -> tuple[list[dict], str, int]:
    """Every item over all pages, the final sync token, and the number of pages."""
    items, token, pages = [], None, 0
    while True:
        answer = calendar.events().list(calendarId="primary", pageToken=token, **params).execute()
        pages += 1
        items += answer["items"]
        token = answer.get("nextPageToken")
        if token is None:
            return items, answer["nextSyncToken"], pages
        assert "nextSyncToken" not in answer  # only the last page carries it


def test_calendar_list(alex: Services) -> None:
    items = alex.calendar.calendarList().list().execute()["items"]
    primary = next(c for c in items if c.get("primary"))
    assert primary["id"] == ALEX and primary["timeZone"] == "Europe/London"


def test_recurring_events_expand_with_single_events(alex: Services) -> None:
    expanded = (
        alex.calendar.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", **WEEK)
        .execute()["items"]
    )
    one_on_ones = [e for e in expanded if e["summary"] == "1:1 Alex / Sarah"]
    assert [e["start"]["dateTime"][:16] for e in one_on_ones] == ["2026-03-10T10:00", "2026-03-17T10:00"]
    assert all(e["recurringEventId"] and "recurrence" not in e for e in one_on_ones)
    assert one_on_ones[0]["hangoutLink"].startswith("https://meet.google.com/")
    starts = [e["start"].get("dateTime", e["start"].get("date")) for e in expanded]
    assert starts == sorted(starts)
    masters = alex.calendar.events().list(calendarId="primary", **WEEK).execute()["items"]
    (master,) = [e for e in masters if e["summary"] == "1:1 Alex / Sarah"]
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU"]


def test_recurring_meeting_keeps_local_time_across_dst(alex: Services) -> None:
    # The UK moves to summer time on 29 March 2026: 10:00 stays 10:00 local.
    after = (
        alex.calendar.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            q="1:1",
            timeMin="2026-03-30T00:00:00Z",
            timeMax="2026-04-01T00:00:00Z",
        )
        .execute()["items"]
    )
    assert after[0]["start"]["dateTime"] == "2026-03-31T10:00:00+01:00"


def test_all_day_and_time_zones(alex: Services) -> None:
    items = alex.calendar.events().list(calendarId="primary", singleEvents=True, **WEEK).execute()["items"]
    offsite = next(e for e in items if e["summary"] == "Company offsite")
    assert offsite["start"] == {"date": "2026-03-16"} and offsite["end"] == {"date": "2026-03-18"}
    flight = next(e for e in items if e["summary"].startswith("Flight TK1980"))
    assert flight["start"]["dateTime"] == "2026-03-12T13:40:00+00:00"
    assert flight["end"]["dateTime"] == "2026-03-12T19:55:00+03:00"
    # an all-day event on the 17th only overlaps a window on that day
    day = (
        alex.calendar.events()
        .list(calendarId="primary", timeMin="2026-03-18T00:00:00Z", timeMax="2026-03-19T00:00:00Z")
        .execute()["items"]
    )
    assert "Company offsite" not in [e["summary"] for e in day]


def test_paging_and_sync_token_deltas(alex: Services, control: httpx.Client) -> None:
    items, sync_token, pages = all_pages(alex.calendar, maxResults=1)
    assert pages == len(items) >= 3
    created = (
        alex.calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Vendor call: Acme",
                "start": {"dateTime": "2026-03-13T15:00:00Z"},
                "end": {"dateTime": "2026-03-13T15:30:00Z"},
            },
        )
        .execute()
    )
    patched = (
        alex.calendar.events().patch(calendarId="primary", eventId=created["id"], body={"location": "Room 4"}).execute()
    )
    assert patched["sequence"] == created["sequence"] + 1 and patched["location"] == "Room 4"
    # another client deletes an event
    doomed = next(e for e in items if e["summary"] == "Company offsite")
    assert control.request("DELETE", f"/accounts/{ALEX}/events/{doomed['id']}").status_code == 204
    delta = alex.calendar.events().list(calendarId="primary", syncToken=sync_token).execute()
    changed = {e["id"]: e for e in delta["items"]}
    assert changed[created["id"]]["location"] == "Room 4"
    assert changed[doomed["id"]]["status"] == "cancelled"
    assert len(changed) == 2
    empty = alex.calendar.events().list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert empty["items"] == []
    # deleted events disappear from plain listings but show with showDeleted
    plain = [e["id"] for e in alex.calendar.events().list(calendarId="primary").execute()["items"]]
    assert doomed["id"] not in plain
    shown = [e["id"] for e in alex.calendar.events().list(calendarId="primary", showDeleted=True).execute()["items"]]
    assert doomed["id"] in shown


@pytest.mark.parametrize(
    "extra", [{"q": "flight"}, {"timeMin": "2026-03-01T00:00:00Z"}, {"updatedMin": "2026-03-01T00:00:00Z"}]
)
def test_sync_token_with_restricted_parameters_is_400(alex: Services, extra: dict[str, str]) -> None:
    _, sync_token, _ = all_pages(alex.calendar)
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().list(calendarId="primary", syncToken=sync_token, **extra).execute()
    assert raised.value.status_code == 400


def test_expired_sync_token_is_410(sarah: Services, control: httpx.Client) -> None:
    _, sync_token, _ = all_pages(sarah.calendar)
    assert control.post("/expire", json={"service": "calendar", "account": SARAH}).status_code == 200
    with pytest.raises(HttpError) as raised:
        sarah.calendar.events().list(calendarId="primary", syncToken=sync_token).execute()
    assert raised.value.status_code == 410
    assert raised.value.error_details[0]["reason"] == "fullSyncRequired"
    _, fresh, _ = all_pages(sarah.calendar)
    assert sarah.calendar.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


def test_client_supplied_id_is_idempotent_409(alex: Services) -> None:
    chosen = event_id()
    body = {
        "id": chosen,
        "summary": "Hiring panel",
        "start": {"dateTime": "2026-03-19T14:00:00+00:00"},
        "end": {"dateTime": "2026-03-19T15:00:00+00:00"},
    }
    assert alex.calendar.events().insert(calendarId="primary", body=body).execute()["id"] == chosen
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().insert(calendarId="primary", body=body).execute()
    assert raised.value.status_code == 409 and raised.value.error_details[0]["reason"] == "duplicate"
    assert alex.calendar.events().delete(calendarId="primary", eventId=chosen).execute() == ""
    with pytest.raises(HttpError) as raised:  # even after deletion the id stays taken
        alex.calendar.events().insert(calendarId="primary", body=body).execute()
    assert raised.value.status_code == 409
    assert alex.calendar.events().get(calendarId="primary", eventId=chosen).execute()["status"] == "cancelled"
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().insert(calendarId="primary", body={**body, "id": "UPPER_case"}).execute()
    assert raised.value.status_code == 400


def test_invitations_reach_attendee_calendars(alex: Services, sarah: Services) -> None:
    chosen = event_id()
    alex.calendar.events().insert(
        calendarId="primary",
        conferenceDataVersion=1,
        body={
            "id": chosen,
            "summary": "Launch retro",
            "start": {"dateTime": "2026-03-20T11:00:00Z"},
            "end": {"dateTime": "2026-03-20T12:00:00Z"},
            "attendees": [{"email": SARAH}],
            "conferenceData": {"createRequest": {"requestId": "x"}},
        },
    ).execute()
    copy = sarah.calendar.events().get(calendarId="primary", eventId=chosen).execute()
    assert copy["organizer"]["email"] == ALEX and not copy["organizer"]["self"]
    assert copy["hangoutLink"].startswith("https://meet.google.com/")
    alex.calendar.events().delete(calendarId="primary", eventId=chosen).execute()
    assert sarah.calendar.events().get(calendarId="primary", eventId=chosen).execute()["status"] == "cancelled"


def test_freebusy(alex: Services) -> None:
    answer = (
        alex.calendar.freebusy()
        .query(
            body={
                "timeMin": "2026-03-10T00:00:00Z",
                "timeMax": "2026-03-11T23:59:00Z",
                "items": [{"id": "primary"}, {"id": OMAR}, {"id": "nobody@elsewhere.test"}],
            }
        )
        .execute()
    )
    assert {"start": "2026-03-10T10:00:00.000Z", "end": "2026-03-10T10:30:00.000Z"} in answer["calendars"]["primary"][
        "busy"
    ]
    # Omar's calendar is in New York (already on summer time, UTC-4): 09:00 local is 13:00Z
    assert answer["calendars"][OMAR]["busy"] == [
        {"start": "2026-03-11T13:00:00.000Z", "end": "2026-03-11T14:00:00.000Z"}
    ]
    assert answer["calendars"]["nobody@elsewhere.test"]["errors"][0]["reason"] == "notFound"


def test_order_by_start_time_needs_single_events(alex: Services) -> None:
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().list(calendarId="primary", orderBy="startTime").execute()
    assert raised.value.status_code == 400


def test_calendars_are_isolated(connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    summaries = {e["summary"] for e in omar.calendar.events().list(calendarId="primary").execute()["items"]}
    assert summaries == {"Omar dentist"}
    with pytest.raises(HttpError) as raised:
        omar.calendar.events().list(calendarId=ALEX).execute()
    assert raised.value.status_code == 404


def test_one_instance_of_a_recurring_event_can_move_or_be_cancelled(alex: Services, sarah: Services) -> None:
    master = next(
        e
        for e in alex.calendar.events().list(calendarId="primary", q="1:1 Alex").execute()["items"]
        if e.get("recurrence")
    )
    instances = (
        alex.calendar.events()
        .instances(
            calendarId="primary", eventId=master["id"], timeMin="2026-03-23T00:00:00Z", timeMax="2026-04-08T00:00:00Z"
        )
        .execute()["items"]
    )
    assert [i["start"]["dateTime"][:10] for i in instances] == ["2026-03-24", "2026-03-31", "2026-04-07"]
    moved, cancelled = instances[0], instances[1]
    alex.calendar.events().patch(
        calendarId="primary",
        eventId=moved["id"],
        body={
            "start": {"dateTime": "2026-03-25T16:00:00Z"},
            "end": {"dateTime": "2026-03-25T16:30:00Z"},
        },
    ).execute()
    alex.calendar.events().delete(calendarId="primary", eventId=cancelled["id"]).execute()
    window = {
        "timeMin": "2026-03-23T00:00:00Z",
        "timeMax": "2026-04-08T00:00:00Z",
        "singleEvents": True,
        "q": "1:1 Alex",
    }
    starts = [
        e["start"]["dateTime"][:16]
        for e in alex.calendar.events().list(calendarId="primary", **window).execute()["items"]
    ]
    assert starts == ["2026-03-25T16:00", "2026-04-07T10:00"]
    # the invitee's copy follows the organizer
    theirs = [
        e["start"]["dateTime"][:16]
        for e in sarah.calendar.events().list(calendarId="primary", **window).execute()["items"]
    ]
    assert theirs == starts
    got = alex.calendar.events().get(calendarId="primary", eventId=moved["id"]).execute()
    assert got["recurringEventId"] == master["id"] and got["originalStartTime"]["dateTime"].startswith(
        "2026-03-24T10:00"
    )


def test_update_replaces_the_event(alex: Services) -> None:
    chosen = event_id()
    alex.calendar.events().insert(
        calendarId="primary",
        body={
            "id": chosen,
            "summary": "Roadmap dry run",
            "location": "Room 2",
            "description": "bring the deck",
            "start": {"dateTime": "2026-03-18T09:00:00Z"},
            "end": {"dateTime": "2026-03-18T10:00:00Z"},
        },
    ).execute()
    updated = (
        alex.calendar.events()
        .update(
            calendarId="primary",
            eventId=chosen,
            body={
                "summary": "Roadmap dry run (moved)",
                "start": {"dateTime": "2026-03-18T11:00:00Z"},
                "end": {"dateTime": "2026-03-18T12:00:00Z"},
            },
        )
        .execute()
    )
    assert (
        updated["summary"] == "Roadmap dry run (moved)" and "location" not in updated and "description" not in updated
    )
    assert updated["organizer"]["email"] == ALEX and updated["sequence"] == 1
    assert alex.calendar.calendars().get(calendarId="primary").execute()["timeZone"] == "Europe/London"
    assert alex.calendar.calendarList().get(calendarId="primary").execute()["primary"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"summary": "x", "start": {"dateTime": "next tuesday"}, "end": {"dateTime": "2026-03-18T10:00:00Z"}},
        {"summary": "x", "start": {"date": "2026-03-18"}, "end": {"dateTime": "2026-03-18T10:00:00Z"}},
        {"summary": "x", "start": {"dateTime": "2026-03-18T10:00:00Z"}, "end": {"dateTime": "2026-03-18T09:00:00Z"}},
        {"summary": "x", "start": "2026-03-18", "end": "2026-03-19"},
        {
            "summary": "x",
            "start": {"dateTime": "2026-03-18T10:00:00", "timeZone": "Mars/Olympus"},
            "end": {"dateTime": "2026-03-18T11:00:00Z"},
        },
        {"summary": "no end", "start": {"dateTime": "2026-03-18T10:00:00Z"}},
    ],
)
def test_invalid_event_times_are_400(alex: Services, body: dict) -> None:
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().insert(calendarId="primary", body=body).execute()
    assert raised.value.status_code == 400


def test_patch_cannot_make_an_event_end_before_it_starts(alex: Services) -> None:
    created = (
        alex.calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Pairing",
                "start": {"dateTime": "2026-03-18T13:00:00Z"},
                "end": {"dateTime": "2026-03-18T14:00:00Z"},
            },
        )
        .execute()
    )
    with pytest.raises(HttpError) as raised:
        alex.calendar.events().patch(
            calendarId="primary", eventId=created["id"], body={"end": {"dateTime": "2026-03-18T12:00:00Z"}}
        ).execute()
    assert raised.value.status_code == 400
    assert alex.calendar.events().get(calendarId="primary", eventId=created["id"]).execute()["end"] == created["end"]
