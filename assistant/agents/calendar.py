"""Calendar: search and read the cache; free slots from free/busy; create, move and delete
events after confirmation.

A created event's id is derived from its action, so a retried confirmation meets Google's
409 "duplicate" instead of creating a second event. A deleted event keeps its full
resource in the action's undo data, and undo re-creates it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from assistant.agents.base import ActionOutcome, Remember, SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.agents.sources import EXCERPT_CHARS, CacheReader, SourcePanel
from assistant.core.items import EventItem
from assistant.core.models import CalendarEvent
from assistant.google.api import GoogleApi, http_status
from assistant.google.resources import CALENDAR_ID, event_item
from assistant.plan import Operation, PlanStep
from assistant.writes import (
    CreateEventPayload,
    DeletedEvent,
    DeleteEventsPayload,
    EventTimes,
    Payload,
    PendingAction,
    ProposedAction,
    UpdateEventPayload,
)
from search.indexing import GCAL


def event_source(event: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="calendar",
        id=event.event_id,
        account_id=str(event.account_id),
        title=event.summary or "(untitled event)",
        url=event.html_link,
        when=event.start_at,
        snippet=snippet or event.description[:EXCERPT_CHARS],
        details={
            "calendar_id": event.calendar_id,
            "start": event.start_at.isoformat(),
            "end": event.end_at.isoformat(),
            "all_day": event.all_day,
            "start_date": event.start_date.isoformat() if event.start_date else None,
            "end_date": event.end_date.isoformat() if event.end_date else None,
            "time_zone": event.time_zone,
            "location": event.location,
            "meet_link": event.meet_link,
            "organizer": event.organizer_email,
            "attendees": [
                {"email": a.get("email"), "name": a.get("displayName", ""), "response": a.get("responseStatus", "")}
                for a in event.attendees or []
            ],
            "recurring_event_id": event.recurring_event_id,
        },
        why=why,
    )


WORKDAY = (time(9), time(18))
MAX_SLOTS = 5
# Copied from a deleted event when it is restored; the rest (id, etag, links) is Google's.
RESTORED_FIELDS = (
    "summary",
    "description",
    "location",
    "start",
    "end",
    "attendees",
    "recurrence",
    "reminders",
    "conferenceData",
)


class CalendarAgent(CacheReader):
    service = "calendar"
    cache_service = "gcal"
    model = CalendarEvent
    google_id = "event_id"
    editable = {
        Operation.CREATE: frozenset({"summary", "start", "end", "attendees", "location", "description"}),
        Operation.UPDATE: frozenset({"summary", "start", "end", "location"}),
    }

    def source(self, row: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
        return event_source(row, why, snippet)

    def panel(self, source: SourceItem, zone: ZoneInfo) -> SourcePanel:
        details = source.details
        fields = [("When", _span(details, zone))]
        if details.get("location"):
            fields.append(("Where", details["location"]))
        if details.get("meet_link"):
            fields.append(("Meet", details["meet_link"]))
        people = [a.get("name") or a.get("email") for a in details.get("attendees", [])]
        if people:
            fields.append(("Attendees", ", ".join(people)))
        return SourcePanel(fields, source.snippet, "Open in Calendar")

    def full_text(self, row: Any) -> str:
        return str(row.description)

    async def fetch(self, api: GoogleApi, item_id: str, context: AgentContext) -> EventItem:
        event = await api.call(lambda s: s.events().get(calendarId=CALENDAR_ID, eventId=item_id))
        return event_item(event, str(context.timezone))

    async def run(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> dict[str, Any]:
        if step.operation == Operation.FREE_SLOTS:
            return {"slots": await self._free_slots(step.params, context)}
        found = await super().run(step, inputs, context)
        if step.operation == Operation.SEARCH and {"after", "before"} & set(step.params.get("filters") or {}):
            # A listing of a period ("my meetings next week") reads best in time order.
            found["items"].sort(key=lambda item: item.when or context.now)
        return found

    async def _free_slots(self, params: dict[str, Any], context: AgentContext) -> list[dict[str, str]]:
        """Open slots of `duration_minutes` within working hours, from free/busy."""
        zone = context.timezone
        start = max(datetime.fromisoformat(params["start"]), context.now) if params.get("start") else context.now
        end = datetime.fromisoformat(params["end"]) if params.get("end") else start + timedelta(days=5)
        duration = timedelta(minutes=int(params.get("duration_minutes", 30)))
        account = await context.primary_account()
        api = await context.google(account.id, "calendar")
        answer = await api.call(
            lambda s: s.freebusy().query(
                body={"timeMin": start.isoformat(), "timeMax": end.isoformat(), "items": [{"id": CALENDAR_ID}]}
            )
        )
        busy = sorted(
            (
                datetime.fromisoformat(b["start"].replace("Z", "+00:00")),
                datetime.fromisoformat(b["end"].replace("Z", "+00:00")),
            )
            for calendar in answer.get("calendars", {}).values()
            for b in calendar.get("busy", [])
        )
        slots: list[dict[str, str]] = []
        day = start.astimezone(zone).date()
        while day <= end.astimezone(zone).date() and len(slots) < MAX_SLOTS:
            if day.weekday() < 5:
                cursor = max(datetime.combine(day, WORKDAY[0], zone), start)
                closing = min(datetime.combine(day, WORKDAY[1], zone), end)
                for busy_start, busy_end in busy:
                    if busy_end <= cursor or busy_start >= closing:
                        continue
                    if busy_start - cursor >= duration:
                        slots.append(_slot(cursor, cursor + duration))
                    cursor = max(cursor, busy_end)
                if closing - cursor >= duration:
                    slots.append(_slot(cursor, cursor + duration))
            day += timedelta(days=1)
        return slots[:MAX_SLOTS]

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        event: SourceItem | None = inputs.get("event") or (inputs.get("events") or [None])[0]
        params = step.params
        if step.operation == Operation.CREATE:
            slot = (inputs.get("slots") or [None])[0]
            start = params.get("start") or (slot and slot["start"])
            if not start:
                raise StepFailed("I need a time for the new event")
            end = params.get("end") or (
                slot["end"]
                if slot
                else (
                    datetime.fromisoformat(start) + timedelta(minutes=int(params.get("duration_minutes", 30)))
                ).isoformat()
            )
            created = CreateEventPayload(
                summary=params.get("summary") or "Meeting",
                start=start,
                end=end,
                time_zone=str(context.timezone),
                attendees=list(params.get("attendees") or []),
                location=params.get("location") or "",
                description=params.get("description") or "",
            )
            account_id = str((await context.primary_account()).id)
            return self._proposal(step.operation, account_id, None, created)
        if event is None:
            raise StepFailed("I could not find the event you mean")
        if step.operation == Operation.UPDATE:
            old_start = datetime.fromisoformat(event.details["start"])
            old_end = datetime.fromisoformat(event.details["end"])
            start = datetime.fromisoformat(params["start"]) if params.get("start") else old_start
            end = datetime.fromisoformat(params["end"]) if params.get("end") else start + (old_end - old_start)
            update = UpdateEventPayload(
                event_id=event.id,
                summary=params.get("summary") or event.title,
                start=start.isoformat(),
                end=end.isoformat(),
                time_zone=event.details.get("time_zone") or str(context.timezone),
                location=params.get("location", event.details.get("location", "")),
                was=EventTimes(
                    summary=event.title,
                    start=old_start.isoformat(),
                    end=old_end.isoformat(),
                    location=event.details.get("location", ""),
                ),
            )
            return self._proposal(step.operation, event.account_id, event.id, update)
        if step.operation == Operation.DELETE:
            events = _booked_events(inputs) if "events" in inputs else [event]
            delete = DeleteEventsPayload(
                events=[
                    DeletedEvent(
                        event_id=e.id,
                        summary=e.title,
                        start=e.details["start"],
                        end=e.details["end"],
                        all_day=e.details.get("all_day", False),
                    )
                    for e in events
                ],
                # Shown to the user in their own zone: "Wed 9 Dec, 10:25" where they are.
                time_zone=str(context.timezone),
            )
            return self._proposal(step.operation, event.account_id, event.id, delete)
        raise StepFailed(f"Calendar cannot {step.operation}")

    def _proposal(
        self, operation: Operation, account_id: str, target_id: str | None, payload: Payload
    ) -> ProposedAction:
        fields = payload.stored()
        return ProposedAction(
            service="calendar",
            operation=operation,
            account_id=account_id,
            target_id=target_id,
            fields=fields,
            preview=self.describe(operation, fields),
            undoable=True,
        )

    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        if operation == Operation.DELETE:
            delete = DeleteEventsPayload.model_validate(fields)
            return "\n".join(
                f"Delete \u201c{e.summary}\u201d, {_when(e.start, e.end, delete.time_zone, all_day=e.all_day)}"
                for e in delete.events
            )
        if operation == Operation.CREATE:
            created = CreateEventPayload.model_validate(fields)
            lines = [f"Create \u201c{created.summary}\u201d, {_when(created.start, created.end, created.time_zone)}"]
            if created.attendees:
                lines.append(f"Invite: {', '.join(created.attendees)}")
            if created.location:
                lines.append(f"Where: {created.location}")
            return "\n".join(lines)
        if operation == Operation.UPDATE:
            update = UpdateEventPayload.model_validate(fields)
            was = update.was
            return (
                f"Move \u201c{was.summary}\u201d from {_when(was.start, was.end, update.time_zone)} "
                f"to {_when(update.start, update.end, update.time_zone)}"
            )
        raise StepFailed(f"Calendar cannot {operation}")

    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        api = await context.google(action.account_id, "calendar")
        if action.operation == Operation.CREATE:
            created = CreateEventPayload.model_validate(action.fields)
            zone = created.time_zone
            event_id = action.id.hex  # base32hex-safe; the same on every retry
            body = {
                "id": event_id,
                "summary": created.summary,
                "start": {"dateTime": created.start, "timeZone": zone},
                "end": {"dateTime": created.end, "timeZone": zone},
                "attendees": [{"email": email} for email in created.attendees],
                "location": created.location,
                "description": created.description,
            }
            try:
                inserted = await api.call(
                    lambda s: s.events().insert(calendarId=CALENDAR_ID, body=body, sendUpdates="all")
                )
            except HttpError as error:
                if http_status(error) != 409:
                    raise
                inserted = await api.call(lambda s: s.events().get(calendarId=CALENDAR_ID, eventId=event_id))
            await self._write_through(context, action.account_id, inserted)
            return ActionOutcome(
                f"Created \u201c{created.summary}\u201d, {_when(created.start, created.end, zone)}",
                undo={"event_id": inserted["id"]},
            )
        if action.operation == Operation.UPDATE:
            update = UpdateEventPayload.model_validate(action.fields)
            update_zone = update.time_zone
            changes = {
                "summary": update.summary,
                "start": {"dateTime": update.start, "timeZone": update_zone},
                "end": {"dateTime": update.end, "timeZone": update_zone},
                "location": update.location,
            }
            updated = await api.call(
                lambda s: s.events().patch(
                    calendarId=CALENDAR_ID, eventId=update.event_id, body=changes, sendUpdates="all"
                )
            )
            await self._write_through(context, action.account_id, updated)
            return ActionOutcome(
                f"Moved \u201c{update.summary}\u201d to {_when(update.start, update.end, update_zone)}",
                undo=update.was.stored(),
            )
        if action.operation == Operation.DELETE:
            delete = DeleteEventsPayload.model_validate(action.fields)
            originals: dict[str, Any] = dict(delete.originals)
            for event in delete.events:
                event_id = event.event_id

                # Defs, not lambdas: mypy cannot type a lambda's default (python/mypy#15459).
                def get_original(s: Resource, e: str = event_id) -> HttpRequest:
                    return s.events().get(calendarId=CALENDAR_ID, eventId=e)

                def delete_event(s: Resource, e: str = event_id) -> HttpRequest:
                    return s.events().delete(calendarId=CALENDAR_ID, eventId=e, sendUpdates="all")

                if event_id not in originals:
                    # Kept before deleting, so that undo can put it back as it was.
                    try:
                        originals[event_id] = await api.call(get_original)
                    except HttpError as error:
                        if http_status(error) not in (404, 410):
                            raise
                        originals[event_id] = None
                    await remember({"originals": originals})
                try:
                    await api.call(delete_event)
                except HttpError as error:
                    if http_status(error) not in (404, 410):
                        raise  # 404/410: already deleted, by an earlier try or by someone else
                await context.indexer.remove(uuid.UUID(str(action.account_id)), GCAL, [(CALENDAR_ID, event_id)])
            names = ", ".join(f"\u201c{e.summary}\u201d" for e in delete.events)
            kept = {event_id: original for event_id, original in originals.items() if original is not None}
            return ActionOutcome(f"Deleted {names}", undo={"originals": kept} if kept else None)
        raise StepFailed(f"Calendar cannot {action.operation}")

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        api = await context.google(action.account_id, "calendar")
        undo = action.undo_data or {}
        if action.operation == Operation.CREATE:
            try:
                await api.call(
                    lambda s: s.events().delete(calendarId=CALENDAR_ID, eventId=undo["event_id"], sendUpdates="all")
                )
            except HttpError as error:
                if http_status(error) not in (404, 410):
                    raise
            await context.indexer.remove(uuid.UUID(str(action.account_id)), GCAL, [(CALENDAR_ID, undo["event_id"])])
            return f"Removed \u201c{CreateEventPayload.model_validate(action.fields).summary}\u201d again"
        if action.operation == Operation.UPDATE:
            update = UpdateEventPayload.model_validate(action.fields)
            was = EventTimes.model_validate(undo)
            back = {
                "summary": was.summary,
                "start": {"dateTime": was.start, "timeZone": update.time_zone},
                "end": {"dateTime": was.end, "timeZone": update.time_zone},
                "location": was.location,
            }
            restored = await api.call(
                lambda s: s.events().patch(
                    calendarId=CALENDAR_ID, eventId=update.event_id, body=back, sendUpdates="all"
                )
            )
            await self._write_through(context, action.account_id, restored)
            return f"Moved \u201c{was.summary}\u201d back"
        for number, original in enumerate(undo["originals"].values()):
            body = {name: original[name] for name in RESTORED_FIELDS if name in original}
            body["id"] = f"{action.id.hex}r{number}"  # a new id (the old one stays cancelled), stable on retry

            def insert_event(s: Resource, b: dict[str, Any] = body) -> HttpRequest:
                return s.events().insert(calendarId=CALENDAR_ID, body=b, sendUpdates="all")

            def get_event(s: Resource, b: dict[str, Any] = body) -> HttpRequest:
                return s.events().get(calendarId=CALENDAR_ID, eventId=b["id"])

            try:
                restored = await api.call(insert_event)
            except HttpError as error:
                if http_status(error) != 409:
                    raise
                restored = await api.call(get_event)
            await self._write_through(context, action.account_id, restored)
        deleted = DeleteEventsPayload.model_validate(action.fields).events
        return "Restored " + ", ".join(f"\u201c{e.summary}\u201d" for e in deleted)

    async def _write_through(self, context: AgentContext, account_id: uuid.UUID | str, event: dict[str, Any]) -> None:
        await context.indexer.index(
            context.user_id, uuid.UUID(str(account_id)), [event_item(event, str(context.timezone))]
        )


_FLIGHT_NUMBER = re.compile(r"\b([A-Z]{2}|[A-Z]\d|\d[A-Z])\s?(\d{2,4})\b")


def _booked_events(inputs: dict[str, Any]) -> list[SourceItem]:
    """The found events that belong to the booking: those naming one of its flight (or
    train) numbers; the best match alone when none does."""
    events: list[SourceItem] = inputs["events"]
    booking: SourceItem | None = inputs.get("booking")
    text = f"{booking.title}\n{booking.details.get('body') or booking.details.get('excerpt', '')}" if booking else ""
    numbers = {"".join(match) for match in _FLIGHT_NUMBER.findall(text)}
    matching = [e for e in events if {"".join(m) for m in _FLIGHT_NUMBER.findall(e.title)} & numbers]
    return sorted(matching, key=lambda e: e.when or datetime.max) or events[:1]


def _slot(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _when(start: str, end: str, zone: str | None, *, all_day: bool = False) -> str:
    """ "Tue 10 Mar, 15:00-15:30 (Europe/London)": times shown in the event's own zone;
    "Wed 9 Dec (all day)" for an all-day event."""
    tz = ZoneInfo(zone) if zone else None
    begin = datetime.fromisoformat(start)
    finish = datetime.fromisoformat(end)
    if tz:
        begin, finish = begin.astimezone(tz), finish.astimezone(tz)
    if all_day:
        last = finish - timedelta(days=1)
        return (
            f"{begin:%a %-d %b} (all day)"
            if last.date() <= begin.date()
            else f"{begin:%a %-d %b} to {last:%a %-d %b} (all day)"
        )
    day = begin.strftime("%a %-d %b")
    span = (
        f"{begin:%H:%M}\u2013{finish:%H:%M}"
        if finish.date() == begin.date()
        else f"{begin:%H:%M} to {finish:%a %-d %b %H:%M}"
    )
    return f"{day}, {span}" + (f" ({zone})" if zone else "")


def _span(details: dict[str, Any], zone: ZoneInfo) -> str:
    start = datetime.fromisoformat(details["start"]).astimezone(zone)
    end = datetime.fromisoformat(details["end"]).astimezone(zone)
    if details.get("all_day"):
        return f"{start:%a %d %b %Y} (all day)"
    event_zone = details.get("time_zone")
    shown = f"{start:%a %d %b %Y, %H:%M}\u2013{end:%H:%M} ({zone})"
    if event_zone and event_zone != str(zone):
        local = datetime.fromisoformat(details["start"]).astimezone(ZoneInfo(event_zone))
        shown += f", {local:%H:%M} in {event_zone}"
    return shown
