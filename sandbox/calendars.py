"""Calendars and events: storage, time handling and recurrence expansion.

An event is stored as `{"seq": N, "event": {...Google's resource...}}` under owner
`"{account}/{calendarId}"`; `seq` is the position of its last change, which is what a
sync token compares against. Deleted events stay as `status: "cancelled"` tombstones,
so that incremental syncs report them and their ids stay taken (409 on reuse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr

from sandbox.errors import ApiError, bad_request, not_found
from sandbox.store import Item, Store

EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
INSTANCE_ID = re.compile(r"([a-v0-9]{5,1024})_(\d{8}(?:T\d{6}Z)?)")
# Open-ended recurrences are expanded this far past the workspace clock.
EXPANSION_HORIZON = timedelta(days=730)
MAX_INSTANCES = 1000


def rfc3339(moment: datetime) -> str:
    """`2026-11-20T10:00:00.000Z`, as Google writes `updated` and `created`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"Bad datetime value: {value}") from exc
    if moment.tzinfo is None:
        raise bad_request(f"Missing time zone definition for start time: {value}")
    return moment


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad_request(f"Invalid time zone definition: {name}", "timeRangeEmpty") from exc


def moment_of(when: Any, default_zone: str) -> datetime:
    """An event start or end as an aware datetime (all-day: midnight in the calendar zone)."""
    if not isinstance(when, dict) or not ("dateTime" in when or "date" in when):
        raise bad_request("Missing start or end time.", "required")
    try:
        if "dateTime" in when:
            moment = datetime.fromisoformat(str(when["dateTime"]))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone(when.get("timeZone") or default_zone))
            return moment
        return datetime.combine(date.fromisoformat(str(when["date"])), time(), zone(default_zone))
    except ValueError as exc:
        raise bad_request(f"Invalid start or end time: {when}") from exc


def check_times(event: dict[str, Any], default_zone: str) -> None:
    """Both ends present and valid, of the same kind, and the end not before the start."""
    for key in ("start", "end"):
        if key not in event:
            raise bad_request(f"Missing {key} time.", "required")
    start, end = moment_of(event["start"], default_zone), moment_of(event["end"], default_zone)
    if ("date" in event["start"]) != ("date" in event["end"]):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise bad_request("The specified time range is empty.", "timeRangeEmpty")


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def instance_id(event_id: str, start: dict[str, Any], moment: datetime) -> str:
    if "date" in start:
        return f"{event_id}_{moment.strftime('%Y%m%d')}"
    return f"{event_id}_{moment.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def _when(original: dict[str, Any], moment: datetime) -> dict[str, Any]:
    if "date" in original:
        return {"date": moment.date().isoformat()}
    result = {"dateTime": moment.isoformat()}
    if "timeZone" in original:
        result["timeZone"] = original["timeZone"]
    return result


def occurrences(event: dict[str, Any], default_zone: str, until: datetime) -> list[datetime]:
    """Start times of a recurring event's instances up to `until`."""
    start = moment_of(event["start"], default_zone)
    local_zone = zone(event["start"].get("timeZone") or default_zone)
    local_start = start.astimezone(local_zone)
    rules = "\n".join(event.get("recurrence", []))
    try:
        rule_set = rrulestr(rules, dtstart=local_start, forceset=True, ignoretz=False)
    except (ValueError, TypeError) as exc:
        raise bad_request(f"Invalid recurrence rule: {rules}") from exc
    assert isinstance(rule_set, rruleset)
    found: list[datetime] = []
    for moment in rule_set:
        if moment > until or len(found) >= MAX_INSTANCES:
            break
        # Aware arithmetic in one zone keeps the wall-clock time across DST changes,
        # which is how Google repeats a 09:00 meeting.
        found.append(moment)
    return found


def expand(
    event: dict[str, Any], default_zone: str, until: datetime, overrides: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The instances of a recurring event, each as Google shows it with singleEvents."""
    start = moment_of(event["start"], default_zone)
    duration = moment_of(event["end"], default_zone) - start
    instances = []
    for moment in occurrences(event, default_zone, until):
        item_id = instance_id(event["id"], event["start"], moment)
        if item_id in overrides:
            instances.append(overrides[item_id])
            continue
        instance = {key: value for key, value in event.items() if key != "recurrence"}
        instance.update(
            id=item_id,
            recurringEventId=event["id"],
            originalStartTime=_when(event["start"], moment),
            start=_when(event["start"], moment),
            end=_when(event["end"], moment + duration),
        )
        instances.append(instance)
    return instances


def span(event: dict[str, Any], default_zone: str) -> Span:
    return Span(moment_of(event["start"], default_zone), moment_of(event["end"], default_zone))


class Calendars:
    """One account's calendars and events."""

    def __init__(self, store: Store, account: str) -> None:
        self.store = store
        self.account = account

    def calendar(self, calendar_id: str) -> Item:
        resolved = self.account if calendar_id == "primary" else calendar_id
        calendar = self.store.get("calendar", self.account, resolved)
        if calendar is None:
            raise not_found()
        return calendar

    def calendars(self) -> list[Item]:
        return sorted(self.store.all("calendar", self.account), key=lambda c: (not c.get("primary"), c["id"]))

    def owner(self, calendar_id: str) -> str:
        return f"{self.account}/{self.calendar(calendar_id)['id']}"

    def records(self, calendar_id: str) -> list[Item]:
        return self.store.all("event", self.owner(calendar_id))

    def record(self, calendar_id: str, event_id: str) -> Item:
        """A stored event, or an unmodified instance of a recurring one (`seq` 0)."""
        record = self.store.get("event", self.owner(calendar_id), event_id)
        if record is not None:
            return record
        match = INSTANCE_ID.fullmatch(event_id)
        master = self.store.get("event", self.owner(calendar_id), match.group(1)) if match else None
        if master is not None and master["event"].get("recurrence") and master["event"]["status"] != "cancelled":
            zone_name = self.calendar(calendar_id)["timeZone"]
            for instance in expand(master["event"], zone_name, self._instance_moment(event_id), {}):
                if instance["id"] == event_id:
                    return {"seq": 0, "event": instance}
        raise not_found()

    @staticmethod
    def _instance_moment(event_id: str) -> datetime:
        stamp = event_id.rsplit("_", 1)[1]
        pattern = "%Y%m%dT%H%M%SZ" if "T" in stamp else "%Y%m%d"
        return datetime.strptime(stamp, pattern).replace(tzinfo=UTC) + timedelta(days=1)

    def instances(self, calendar_id: str, event_id: str, until: datetime) -> list[dict[str, Any]]:
        """A recurring event's instances, modified and cancelled ones included."""
        master = self.record(calendar_id, event_id)["event"]
        if not master.get("recurrence"):
            return [master]
        overrides = self.overrides(calendar_id).get(event_id, {})
        return expand(master, self.calendar(calendar_id)["timeZone"], until, overrides)

    def overrides(self, calendar_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        """Changed or cancelled instances: recurring event id -> instance id -> event."""
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for record in self.records(calendar_id):
            event = record["event"]
            if event.get("recurringEventId"):
                found.setdefault(event["recurringEventId"], {})[event["id"]] = event
        return found

    def save(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Store an event version, stamping `updated` and its change position."""
        owner = self.owner(calendar_id)
        seq = self.store.record(owner, "calendar", event["id"], {"status": event.get("status", "confirmed")})
        event["updated"] = rfc3339(self.store.now())
        event["etag"] = f'"{seq}"'
        self.store.put("event", owner, event["id"], {"seq": seq, "event": event})
        return event

    def insert(self, calendar_id: str, body: dict[str, Any], event_id: str) -> dict[str, Any]:
        calendar = self.calendar(calendar_id)
        if not EVENT_ID.fullmatch(event_id):
            raise bad_request("Invalid resource id value.", "invalid")
        if self.store.get("event", self.owner(calendar_id), event_id) is not None:
            raise ApiError(409, "The requested identifier already exists.", "duplicate")
        check_times(body, calendar["timeZone"])
        now = rfc3339(self.store.now())
        organizer = body.get("organizer") or {"email": self.account}
        event = {
            "kind": "calendar#event",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://calendar.google.com/calendar/event?eid={event_id}",
            "created": body.get("created", now),
            "summary": "",
            "creator": {"email": self.account},
            "organizer": organizer,
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
            **{k: v for k, v in body.items() if k not in ("id", "kind", "etag", "updated")},
        }
        event["organizer"] = {**organizer, "self": organizer.get("email") == self.account}
        event["creator"] = {**event["creator"], "self": event["creator"].get("email") == self.account}
        return self.save(calendar_id, event)

    def patch(self, calendar_id: str, event_id: str, changes: dict[str, Any], replace: bool = False) -> dict[str, Any]:
        """Change an event (`replace`: PUT semantics, unspecified fields are cleared).

        Changing one instance of a recurring event stores it as an exception, which
        then shows in place of that instance.
        """
        record = self.record(calendar_id, event_id)
        event = dict(record["event"])
        if event["status"] == "cancelled" and changes.get("status") != "confirmed":
            raise ApiError(410, "Resource has been deleted", "deleted")
        changes = {k: v for k, v in changes.items() if k not in FIXED_FIELDS}
        if replace:
            event = {k: v for k, v in event.items() if k in FIXED_FIELDS or k in KEPT_ON_UPDATE}
        event.update(changes)
        check_times(event, self.calendar(calendar_id)["timeZone"])
        event["sequence"] = int(event.get("sequence", 0)) + 1
        return self.save(calendar_id, event)

    def delete(self, calendar_id: str, event_id: str) -> None:
        record = self.record(calendar_id, event_id)
        if record["event"]["status"] == "cancelled":
            raise ApiError(410, "Resource has been deleted", "deleted")
        self.save(calendar_id, {**record["event"], "status": "cancelled"})


# Fields a client cannot change, and (besides them) what a full update keeps.
FIXED_FIELDS = ("id", "kind", "etag", "updated", "iCalUID", "created", "recurringEventId", "originalStartTime")
KEPT_ON_UPDATE = ("status", "htmlLink", "creator", "organizer", "sequence", "eventType", "reminders")


def attendee_accounts(store: Store, event: dict[str, Any], organizer: str) -> list[str]:
    """Sandbox accounts invited to an event, other than its organizer."""
    emails = [a.get("email", "").lower() for a in event.get("attendees", [])]
    return [e for e in dict.fromkeys(emails) if e != organizer and store.get("account", "", e) is not None]
