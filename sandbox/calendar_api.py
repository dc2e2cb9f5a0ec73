"""Calendar v3 endpoints (`/calendar/v3/...`).

`events.list` pages with `nextPageToken` and gives `nextSyncToken` on the last page
only; with `syncToken` it answers only what changed since (cancelled events included),
400 when combined with `q`, `timeMin`, `timeMax`, `orderBy`, `updatedMin` or `iCalUID`,
and 410 once the token has expired. Events an organizer inserts, patches or deletes are
mirrored on the primary calendars of invited sandbox accounts, as invitations are.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from starlette.routing import Route

from sandbox.api import Call, endpoint, write_endpoint
from sandbox.calendars import (
    EXPANSION_HORIZON,
    Calendars,
    attendee_accounts,
    expand,
    parse_time,
    rfc3339,
    span,
)
from sandbox.errors import ApiError, bad_request
from sandbox.mime import b64url, b64url_decode
from sandbox.store import Store

SYNC_RESTRICTED = ("q", "timeMin", "timeMax", "orderBy", "updatedMin", "iCalUID")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


def new_event_id() -> str:
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


def encode_position(prefix: str, *numbers: int) -> str:
    return b64url(f"{prefix}:{':'.join(map(str, numbers))}".encode())


def decode_position(prefix: str, token: str, name: str) -> list[int]:
    try:
        found_prefix, *numbers = b64url_decode(token).decode().split(":")
        if found_prefix != prefix:
            raise ValueError(prefix)
        return [int(n) for n in numbers]
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"Invalid {name} value.") from exc


def sync_position(store: Store, account: str, token: str) -> int:
    (seq,) = decode_position("cal", token, "sync token")
    if seq < store.floor("calendar", account):
        raise ApiError(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired")
    return seq


def _matches_text(event: dict[str, Any], query: str) -> bool:
    haystack = " ".join(
        [event.get("summary", ""), event.get("description", ""), event.get("location", "")]
        + [f"{a.get('email', '')} {a.get('displayName', '')}" for a in event.get("attendees", [])]
        + [event.get("organizer", {}).get("email", "")]
    ).lower()
    return all(word in haystack for word in query.lower().split())


def _overlaps(event: dict[str, Any], zone_name: str, low: datetime | None, high: datetime | None) -> bool:
    window = span(event, zone_name)
    return (low is None or window.end > low) and (high is None or window.start < high)


async def list_calendars(call: Call) -> dict[str, Any]:
    items = [
        {"kind": "calendar#calendarListEntry", "selected": True, **calendar}
        for calendar in Calendars(call.store, call.account).calendars()
    ]
    return {"kind": "calendar#calendarList", "items": items, "nextSyncToken": encode_position("list", call.store.seq)}


async def list_events(call: Call) -> dict[str, Any]:
    calendars = Calendars(call.store, call.account)
    calendar = calendars.calendar(call.path("calendar_id"))
    zone_name = calendar["timeZone"]
    params = call.params
    single = call.flag("singleEvents")
    show_deleted = call.flag("showDeleted")
    sync_token = params.get("syncToken")
    since: int | None = None
    if sync_token:
        restricted = [name for name in SYNC_RESTRICTED if name in params]
        if restricted:
            raise bad_request(f"The parameters {', '.join(restricted)} cannot be used together with syncToken.")
        since = sync_position(call.store, call.account, sync_token)
    order = params.get("orderBy")
    if order not in (None, "startTime", "updated"):
        raise bad_request(f"Invalid value for orderBy: {order}")
    if order == "startTime" and not single:
        raise bad_request("The requested ordering is not available for the particular query.")
    low = parse_time(params["timeMin"]) if "timeMin" in params else None
    high = parse_time(params["timeMax"]) if "timeMax" in params else None
    if low and high and high <= low:
        raise bad_request("The specified time range is empty.", "timeRangeEmpty")
    updated_min = parse_time(params["updatedMin"]) if "updatedMin" in params else None
    query = params.get("q")
    ical_uid = params.get("iCalUID")

    page_token = params.get("pageToken")
    offset, snapshot = decode_position("page", page_token, "page token") if page_token else (0, call.store.seq)
    records = calendars.records(calendar["id"])
    overrides = calendars.overrides(calendar["id"])
    until = high or (call.store.now() + EXPANSION_HORIZON)
    found: list[dict[str, Any]] = []
    for record in records:
        event = record["event"]
        if record["seq"] > snapshot or (since is not None and record["seq"] <= since):
            continue
        if updated_min and parse_time(event["updated"]) < updated_min:
            continue
        if ical_uid and event.get("iCalUID") != ical_uid:
            continue
        cancelled = event["status"] == "cancelled"
        if cancelled and not (show_deleted or since is not None):
            continue
        if single and event.get("recurringEventId") and since is None:
            continue  # shown in place of its instance by the expansion
        if query and not _matches_text(event, query):
            continue
        if event.get("recurrence") and not cancelled:
            instances = expand(event, zone_name, until, overrides.get(event["id"], {}))
            visible = [
                i
                for i in instances
                if _overlaps(i, zone_name, low, high) and (i["status"] != "cancelled" or show_deleted)
            ]
            if single:
                found.extend(visible)
            elif visible or since is not None:
                found.append(event)
        elif cancelled or _overlaps(event, zone_name, low, high):
            found.append(event)

    if order == "updated":
        found.sort(key=lambda e: e["updated"])
    else:
        found.sort(key=lambda e: (span(e, zone_name).start if "start" in e else datetime.min, e["id"]))
    size = call.integer("maxResults", 250, 2500) or 250
    selected = found[offset : offset + size]
    result: dict[str, Any] = {
        "kind": "calendar#events",
        "summary": calendar["summary"],
        "timeZone": zone_name,
        "updated": rfc3339(call.store.now()),
        "accessRole": calendar.get("accessRole", "owner"),
        "defaultReminders": [],
        "items": selected,
    }
    if offset + size < len(found):
        result["nextPageToken"] = encode_position("page", offset + size, snapshot)
    else:
        result["nextSyncToken"] = encode_position("cal", snapshot)
    return result


def _event_path(call: Call) -> tuple[Calendars, str, str]:
    return Calendars(call.store, call.account), call.path("calendar_id"), call.path("event_id")


async def get_event(call: Call) -> dict[str, Any]:
    calendars, calendar_id, event_id = _event_path(call)
    return calendars.record(calendar_id, event_id)["event"]


def _mirror(store: Store, organizer: str, event: dict[str, Any], previous: list[str]) -> None:
    """Keep invited sandbox accounts' copies in step with the organizer's event."""
    invited = attendee_accounts(store, event, organizer)
    for email in set(previous) | set(invited):
        copies = Calendars(store, email)
        try:
            existing: dict[str, Any] | None = copies.record(email, event["id"])["event"]
        except ApiError:
            existing = None
        if existing is None:
            if email in invited and event["status"] != "cancelled":
                copies.insert(email, dict(event), event["id"])
        elif existing["status"] != "cancelled":
            if email in invited and event["status"] != "cancelled":
                copies.patch(email, event["id"], {k: v for k, v in event.items() if k not in ("organizer", "creator")})
            else:
                copies.delete(email, event["id"])


async def insert_event(call: Call) -> dict[str, Any]:
    calendars = Calendars(call.store, call.account)
    body = call.json()
    event_id = str(body.get("id") or new_event_id())
    if call.params.get("conferenceDataVersion") == "1" and "createRequest" in body.get("conferenceData", {}):
        body["hangoutLink"] = f"https://meet.google.com/{event_id[:3]}-{event_id[3:7]}-{event_id[7:10]}"
        body["conferenceData"] = {
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "entryPoints": [{"entryPointType": "video", "uri": body["hangoutLink"]}],
            "conferenceId": f"{event_id[:3]}-{event_id[3:7]}-{event_id[7:10]}",
        }
    event = calendars.insert(call.path("calendar_id"), body, event_id)
    if event["organizer"].get("self"):
        _mirror(call.store, call.account, event, [])
    return event


def _change(call: Call, replace: bool) -> dict[str, Any]:
    calendars, calendar_id, event_id = _event_path(call)
    before = attendee_accounts(call.store, calendars.record(calendar_id, event_id)["event"], call.account)
    event = calendars.patch(calendar_id, event_id, call.json(), replace=replace)
    if event["organizer"].get("self"):
        _mirror(call.store, call.account, event, before)
    return event


async def patch_event(call: Call) -> dict[str, Any]:
    return _change(call, replace=False)


async def update_event(call: Call) -> dict[str, Any]:
    return _change(call, replace=True)


async def list_instances(call: Call) -> dict[str, Any]:
    calendars, calendar_id, event_id = _event_path(call)
    calendar = calendars.calendar(calendar_id)
    low = parse_time(call.params["timeMin"]) if "timeMin" in call.params else None
    high = parse_time(call.params["timeMax"]) if "timeMax" in call.params else None
    instances = calendars.instances(calendar_id, event_id, high or call.store.now() + EXPANSION_HORIZON)
    show_deleted = call.flag("showDeleted")
    items = [
        i
        for i in instances
        if _overlaps(i, calendar["timeZone"], low, high) and (show_deleted or i["status"] != "cancelled")
    ]
    size = call.integer("maxResults", 250, 2500) or 250
    token = call.params.get("pageToken")
    (offset,) = decode_position("instances", token, "page token") if token else (0,)
    result: dict[str, Any] = {
        "kind": "calendar#events",
        "timeZone": calendar["timeZone"],
        "items": items[offset : offset + size],
    }
    if offset + size < len(items):
        result["nextPageToken"] = encode_position("instances", offset + size)
    return result


async def get_calendar(call: Call) -> dict[str, Any]:
    calendar = Calendars(call.store, call.account).calendar(call.path("calendar_id"))
    return {
        "kind": "calendar#calendar",
        "id": calendar["id"],
        "summary": calendar["summary"],
        "timeZone": calendar["timeZone"],
    }


async def get_calendar_list_entry(call: Call) -> dict[str, Any]:
    calendar = Calendars(call.store, call.account).calendar(call.path("calendar_id"))
    return {"kind": "calendar#calendarListEntry", "selected": True, **calendar}


async def delete_event(call: Call) -> None:
    calendars, calendar_id, event_id = _event_path(call)
    calendars.delete(calendar_id, event_id)
    event = calendars.record(calendar_id, event_id)["event"]
    if event["organizer"].get("self"):
        _mirror(call.store, call.account, event, attendee_accounts(call.store, event, call.account))


async def freebusy(call: Call) -> dict[str, Any]:
    body = call.json()
    if "timeMin" not in body or "timeMax" not in body:
        raise bad_request("Missing timeMin or timeMax.", "required")
    low, high = parse_time(body["timeMin"]), parse_time(body["timeMax"])
    calendars: dict[str, Any] = {}
    for item in body.get("items", []):
        wanted = call.account if item.get("id") == "primary" else str(item.get("id", ""))
        if (
            call.store.get("calendar", wanted, wanted) is None
            and call.store.get("calendar", call.account, wanted) is None
        ):
            calendars[wanted] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        owner = wanted if call.store.get("calendar", wanted, wanted) is not None else call.account
        calendar = Calendars(call.store, owner).calendar(wanted)
        busy = []
        overrides = Calendars(call.store, owner).overrides(wanted)
        for record in Calendars(call.store, owner).records(wanted):
            event = record["event"]
            if (
                event["status"] == "cancelled"
                or event.get("transparency") == "transparent"
                or event.get("recurringEventId")
            ):
                continue
            instances = (
                expand(event, calendar["timeZone"], high, overrides.get(event["id"], {}))
                if event.get("recurrence")
                else [event]
            )
            for instance in instances:
                if instance["status"] == "cancelled" or instance.get("transparency") == "transparent":
                    continue
                window = span(instance, calendar["timeZone"])
                if window.end > low and window.start < high:
                    busy.append((max(window.start, low), min(window.end, high)))
        busy.sort()
        calendars[item.get("id")] = {"busy": [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in busy]}
    return {"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"], "calendars": calendars}


EVENTS = "/calendar/v3/calendars/{calendar_id}/events"
routes = [
    Route("/calendar/v3/users/me/calendarList", endpoint("calendar.calendarList.list", list_calendars)),
    Route(
        "/calendar/v3/users/me/calendarList/{calendar_id}",
        endpoint("calendar.calendarList.get", get_calendar_list_entry),
    ),
    Route("/calendar/v3/calendars/{calendar_id}", endpoint("calendar.calendars.get", get_calendar)),
    Route(EVENTS, endpoint("calendar.events.list", list_events)),
    Route(EVENTS, write_endpoint("calendar.events.insert", insert_event), methods=["POST"]),
    Route(EVENTS + "/{event_id}", endpoint("calendar.events.get", get_event)),
    Route(EVENTS + "/{event_id}", write_endpoint("calendar.events.patch", patch_event), methods=["PATCH"]),
    Route(EVENTS + "/{event_id}", write_endpoint("calendar.events.update", update_event), methods=["PUT"]),
    Route(EVENTS + "/{event_id}/instances", endpoint("calendar.events.instances", list_instances)),
    Route(EVENTS + "/{event_id}", write_endpoint("calendar.events.delete", delete_event), methods=["DELETE"]),
    Route("/calendar/v3/freeBusy", endpoint("calendar.freebusy.query", freebusy), methods=["POST"]),
]
