"""Calendar: search and read the cache; free slots from free/busy; create, change and
delete events after confirmation.

A created event's id is derived from its action, so a retried confirmation meets Google's
409 "duplicate" instead of creating a second event. A change (`_changed`) moves, shifts,
moves to another day, resizes or renames one event; undo puts its times and title back. A
deleted event keeps its full resource in the action's undo data, and undo re-creates it.
A recurring event's occurrence may take its series with it (`series`): "all" deletes the
recurring event (undo re-creates it), "following" ends its rules just before this
occurrence, as Google's own "this and following events" does (undo gives the rules back).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from sqlalchemy import select

from assistant.agents.base import ActionOutcome, Ambiguous, Remember, SourceItem, StepFailed, Unchanged
from assistant.agents.context import AgentContext
from assistant.agents.freetime import free_windows
from assistant.agents.sources import (
    EXCERPT_CHARS,
    CacheReader,
    SourcePanel,
    item_text,
    search_outputs,
    travel_numbers,
)
from assistant.core.items import EventItem
from assistant.core.models import CalendarEvent
from assistant.google.api import GoogleApi, http_status
from assistant.google.resources import CALENDAR_ID, event_item, zone_named
from assistant.plan import Operation, PlanStep
from assistant.understanding.schema import Clarification
from assistant.writes import (
    CreateEventPayload,
    DeletedEvent,
    DeleteEventsPayload,
    EventTimes,
    Payload,
    PendingAction,
    ProposedAction,
    SeriesScope,
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


#: Slots offered for a new event: the first is taken, the others are its alternatives.
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
            return await self._free_slots(step.params, context)
        if step.operation == Operation.SEARCH and inputs.get("overlapping") is not None:
            return await self._overlapping(step.params, inputs["overlapping"], context)
        found = await super().run(step, inputs, context)
        ordered = (step.params.get("order") or "relevance") != "relevance"  # already in the order asked
        if (
            step.operation == Operation.SEARCH
            and not ordered
            and not step.params.get("one")  # the one a write acts on stays first
            and {"after", "before"} & set(step.params.get("filters") or {})
        ):
            # A listing of a period ("my meetings next week") reads best in time order.
            found["items"].sort(key=lambda item: item.when or context.now)
        return found

    async def _overlapping(self, params: dict[str, Any], event: SourceItem, context: AgentContext) -> dict[str, Any]:
        """The events at the same time as `event` that the words name (any, with none):
        `items`, and `event` itself as `checked`. `compared` are the coming events the words
        name, for the answer to say when they are when none clashes ("the Q4 review is on
        Tuesday"). All-day events block no time, as in Google Calendar."""
        start = datetime.fromisoformat(event.details["start"])
        end = datetime.fromisoformat(event.details["end"])
        words = str(params.get("text") or "")
        # Events that start up to a day before may still run into it.
        window = {"after": (start - timedelta(days=1)).isoformat(), "before": end.isoformat()}
        near = await search_outputs(context, self, {"text": words, "filters": window, "every": True})
        clashing = [
            item
            for item in near["items"]
            if item.id != event.id
            and not item.details.get("all_day")
            and datetime.fromisoformat(item.details["start"]) < end
            and datetime.fromisoformat(item.details["end"]) > start
        ]
        compared = clashing
        if words and not clashing:
            # The one titled most tightly so: "the Q4 review" is not "Prep: Q4 Financial Review".
            named = {"text": words, "title": words, "order": "next", "count": 1}
            compared = (await search_outputs(context, self, named))["items"]
        return {
            "items": clashing,
            "top": clashing[0] if clashing else None,
            "total": len(clashing),
            "checked": event,
            "compared": compared,
        }

    async def _free_slots(self, params: dict[str, Any], context: AgentContext) -> dict[str, Any]:
        """When the user and the `attendees` are all free for `duration_minutes` within
        working hours, by Calendar's free/busy: `windows` (each stretch free for everyone),
        `slots` (an event of that length at the start of each window), `people` (whose
        calendars were read) and `unseen` (attendees whose calendars Google would not show:
        their time is not known, so it is not counted). A `check` of one time (a condition)
        also says who is `busy` then and lists the user's own events then (`items`)."""
        zone = context.timezone
        start = max(datetime.fromisoformat(params["start"]), context.now) if params.get("start") else context.now
        end = datetime.fromisoformat(params["end"]) if params.get("end") else start + timedelta(days=5)
        duration = timedelta(minutes=int(params.get("duration_minutes", 30)))
        attendees = [str(address) for address in params.get("attendees") or []]
        account = await context.primary_account()
        api = await context.google(account.id, "calendar")
        body = {
            "timeMin": start.isoformat(),
            "timeMax": end.isoformat(),
            "items": [{"id": CALENDAR_ID}] + [{"id": address} for address in attendees],
        }
        answer = await api.call(lambda s: s.freebusy().query(body=body))
        calendars = answer.get("calendars", {})
        unseen = [address for address in attendees if calendars.get(address, {}).get("errors")]
        busy = [
            (_instant(interval["start"]), _instant(interval["end"]))
            for calendar in calendars.values()
            if not calendar.get("errors")
            for interval in calendar.get("busy", [])
        ]
        if params.get("check"):  # one time asked about, whatever the hour or the day
            windows = free_windows(
                busy, start, end, zone, minimum=duration, workday=(time.min, time.max), weekends=True
            )
        else:
            weekend = start.astimezone(zone).weekday() >= 5 and end - start <= timedelta(days=2)
            windows = free_windows(busy, start, end, zone, minimum=duration, weekends=weekend)
        found: dict[str, Any] = {
            "windows": [_slot(w.start, w.end) for w in windows],
            "slots": [_slot(w.start, w.start + duration) for w in windows[:MAX_SLOTS]],
            "people": [account.email, *[a for a in attendees if a not in unseen]],
            "unseen": unseen,
            "minutes": int(duration.total_seconds() // 60),
        }
        if params.get("check"):
            # "if Daniel's free at 2": who is busy then, and the user's own events then (the
            # answer names them: "you both have your 1:1").
            found["busy"] = [
                account.email if key == CALENDAR_ID else key
                for key, calendar in calendars.items()
                if not calendar.get("errors") and calendar.get("busy")
            ]
            then = {"text": "", "filters": {"after": start.isoformat(), "before": end.isoformat()}, "every": True}
            own = (await search_outputs(context, self, then))["items"]
            found["items"] = [
                item
                for item in own
                if not item.details.get("all_day")
                and datetime.fromisoformat(item.details["start"]) < end
                and datetime.fromisoformat(item.details["end"]) > start
            ]
        return found

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        event: SourceItem | None = inputs.get("event") or (inputs.get("events") or [None])[0]
        params = step.params
        conflicts: list[SourceItem] = inputs.get("conflicts") or []
        if step.operation == Operation.CREATE and conflicts:
            # "unless we already meet that day": the condition does not hold, nothing to add.
            listed = "; ".join(
                f"\u201c{c.title}\u201d {_when(c.details['start'], c.details['end'], None)}" for c in conflicts[:3]
            )
            raise StepFailed(f"nothing added: you already have {listed}")
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
                recurrence=list(params.get("recurrence") or []),
                all_day=bool(params.get("all_day")),
                not_invited=list(params.get("not_invited") or []),
            )
            account_id = str((await context.primary_account()).id)
            return self._proposal(step.operation, account_id, None, created)
        if event is None:
            raise StepFailed("I could not find the event you mean")
        if "events" not in inputs:
            await _theirs_to_change(event, step.operation, context)
        if step.operation == Operation.UPDATE:
            return self._proposal(step.operation, event.account_id, event.id, _changed(event, params, context))
        if step.operation == Operation.DELETE:
            scope = params.get("series") or "one"
            if scope not in SERIES_SCOPES:
                raise StepFailed(f"I cannot delete {scope!r} occurrences of an event")
            if "events" in inputs:
                # A booking's entries ("cancel my flight"), or every event found ("delete all...").
                booked = "booking" in inputs or "bookings" in inputs
                events = (
                    _booked_events(inputs, context.now, leg=params.get("leg")) if booked else list(inputs["events"])
                )
            else:
                events = [event]
            delete = DeleteEventsPayload(
                events=await self._deleted(context, events, scope),
                # Shown to the user in their own zone: "Wed 9 Dec, 10:25" where they are.
                time_zone=str(context.timezone),
            )
            return self._proposal(step.operation, event.account_id, event.id, delete)
        raise StepFailed(f"Calendar cannot {step.operation}")

    async def _deleted(self, context: AgentContext, events: list[SourceItem], scope: str) -> list[DeletedEvent]:
        """What a deletion takes: each event, or for a recurring one with `scope`
        "following" or "all" its series from that occurrence on, or all of it (once per
        series, from its earliest occurrence found), with how many occurrences go."""
        deleted: list[DeletedEvent] = []
        series_seen: set[str] = set()
        for e in sorted(events, key=lambda e: datetime.fromisoformat(e.details["start"])) if scope != "one" else events:
            series_id: str | None = e.details.get("recurring_event_id") if scope != "one" else None
            whole = series_id is not None
            if series_id is not None and series_id in series_seen:
                continue
            occurrences = None
            if series_id is not None:
                series_seen.add(series_id)
                since = datetime.fromisoformat(e.details["start"]) if scope == "following" else None
                occurrences = len(await self._series_rows(context, e.account_id, series_id, since))
            deleted.append(
                DeletedEvent(
                    event_id=e.id,
                    summary=e.title,
                    start=e.details["start"],
                    end=e.details["end"],
                    all_day=e.details.get("all_day", False),
                    series=cast(SeriesScope, scope) if whole else None,
                    recurring_event_id=series_id if whole else None,
                    occurrences=occurrences,
                )
            )
        return deleted

    async def _series_rows(
        self, context: AgentContext, account_id: uuid.UUID | str, series_id: str, since: datetime | None
    ) -> list[str]:
        """The cached occurrences of a recurring event (those starting at or after `since`)."""
        statement = select(CalendarEvent.event_id).where(
            CalendarEvent.user_id == context.user_id,
            CalendarEvent.account_id == uuid.UUID(str(account_id)),
            CalendarEvent.recurring_event_id == series_id,
            CalendarEvent.status != "cancelled",
        )
        if since is not None:
            statement = statement.where(CalendarEvent.start_at >= since)
        async with context.engine.connect() as connection:
            return list((await connection.execute(statement)).scalars())

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
            return "\n".join(_deletion_line(e, delete.time_zone, done=False) for e in delete.events)
        if operation == Operation.CREATE:
            created = CreateEventPayload.model_validate(fields)
            when = _when(created.start, created.end, created.time_zone)
            if created.all_day:
                day = datetime.fromisoformat(created.start).astimezone(zone_named(created.time_zone))
                when = f"{day:%a %-d %b} (all day)"
            lines = [f"Create \u201c{created.summary}\u201d, {when}"]
            if created.recurrence:
                lines.append(f"Repeats: {_repeats(created.recurrence)}")
            if created.attendees:
                lines.append(f"Invite: {', '.join(created.attendees)}")
            if created.not_invited:
                names = ", ".join(created.not_invited)
                lines.append(f"Not invited: {names} (several people have that name; say which to invite them)")
            if created.location:
                lines.append(f"Where: {created.location}")
            return "\n".join(lines)
        if operation == Operation.UPDATE:
            return "\n".join(_change_lines(UpdateEventPayload.model_validate(fields), done=False))
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
                **_google_times(created.start, created.end, zone, all_day=created.all_day),
                "attendees": [{"email": email} for email in created.attendees],
                "location": created.location,
                "description": created.description,
            }
            if created.recurrence:
                body["recurrence"] = created.recurrence
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
            changes: dict[str, Any] = {
                "summary": update.summary,
                **_google_times(update.start, update.end, update.time_zone, all_day=bool(update.all_day)),
                "location": update.location,
            }
            if update.attendees is not None:
                changes["attendees"] = [{"email": email} for email in update.attendees]
            updated = await api.call(
                lambda s: s.events().patch(
                    calendarId=CALENDAR_ID, eventId=update.event_id, body=changes, sendUpdates="all"
                )
            )
            await self._write_through(context, action.account_id, updated)
            return ActionOutcome("; ".join(_change_lines(update, done=True)), undo=update.was.stored())
        if action.operation == Operation.DELETE:
            delete = DeleteEventsPayload.model_validate(action.fields)
            originals: dict[str, Any] = dict(delete.originals)
            cuts: dict[str, str] = dict(delete.cuts or {})
            #: Series cut short ("following"): undo gives them their rules back.
            rules: dict[str, list[str]] = {}
            for event in delete.events:
                # A series' recurring event, or the event itself.
                event_id = (event.recurring_event_id if event.series else None) or event.event_id

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
                original = originals[event_id]
                if event.series == "following" and original is not None:
                    if event_id not in cuts:
                        cuts[event_id] = (await self._original_start(api, event, context)).isoformat()
                        await remember({"cuts": cuts})
                    cut = datetime.fromisoformat(cuts[event_id])
                    zone = original.get("start", {}).get("timeZone") or str(context.timezone)
                    if cut > _moment(original["start"], zone):  # else nothing is left before it: all go
                        ended = _until(original.get("recurrence", []), cut, all_day="date" in original["start"])

                        def cut_short(s: Resource, e: str = event_id, r: list[str] = ended) -> HttpRequest:
                            return s.events().patch(
                                calendarId=CALENDAR_ID, eventId=e, body={"recurrence": r}, sendUpdates="all"
                            )

                        await api.call(cut_short)
                        rules[event_id] = list(original.get("recurrence", []))
                        gone = await self._series_rows(
                            context, action.account_id, event_id, datetime.fromisoformat(event.start)
                        )
                        await context.indexer.remove(
                            uuid.UUID(str(action.account_id)), GCAL, [(CALENDAR_ID, e) for e in gone]
                        )
                        continue
                try:
                    await api.call(delete_event)
                except HttpError as error:
                    if http_status(error) not in (404, 410):
                        raise  # 404/410: already deleted, by an earlier try or by someone else
                gone = [event_id]
                if event.series:  # the series' occurrences go with it
                    gone += await self._series_rows(context, action.account_id, event_id, None)
                await context.indexer.remove(uuid.UUID(str(action.account_id)), GCAL, [(CALENDAR_ID, e) for e in gone])
            summary = "; ".join(_deletion_line(e, delete.time_zone, done=True) for e in delete.events)
            if not any(e.series for e in delete.events):  # as it always read
                summary = "Deleted " + ", ".join(f"\u201c{e.summary}\u201d" for e in delete.events)
            kept = {
                event_id: original
                for event_id, original in originals.items()
                if original is not None and event_id not in rules
            }
            undo: dict[str, Any] = ({"originals": kept} if kept else {}) | ({"rules": rules} if rules else {})
            return ActionOutcome(summary, undo=undo or None)
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
            back: dict[str, Any] = {
                "summary": was.summary,
                **_google_times(was.start, was.end, update.time_zone, all_day=bool(was.all_day)),
                "location": was.location,
            }
            if was.attendees is not None:
                back["attendees"] = [{"email": email} for email in was.attendees]
            restored = await api.call(
                lambda s: s.events().patch(
                    calendarId=CALENDAR_ID, eventId=update.event_id, body=back, sendUpdates="all"
                )
            )
            await self._write_through(context, action.account_id, restored)
            return f"Moved \u201c{was.summary}\u201d back"
        for series_id, recurrence in (undo.get("rules") or {}).items():

            def give_back(s: Resource, e: str = series_id, r: list[str] = recurrence) -> HttpRequest:
                return s.events().patch(calendarId=CALENDAR_ID, eventId=e, body={"recurrence": r}, sendUpdates="all")

            await self._write_through(context, action.account_id, await api.call(give_back))
        for number, original in enumerate((undo.get("originals") or {}).values()):
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
        """The event into the cache; a recurring event as its occurrences, as sync caches it."""
        if not event.get("recurrence"):
            await context.indexer.index(
                context.user_id, uuid.UUID(str(account_id)), [event_item(event, str(context.timezone))]
            )
            return
        api = await context.google(account_id, "calendar")
        token: str | None = None
        while True:

            def instances(s: Resource, t: str | None = token) -> HttpRequest:
                return s.events().instances(calendarId=CALENDAR_ID, eventId=event["id"], pageToken=t, maxResults=2500)

            page = await api.call(instances)
            occurrences = [
                event_item(e, page.get("timeZone") or str(context.timezone))
                for e in page.get("items", [])
                if e.get("status") != "cancelled"
            ]
            if occurrences:
                await context.indexer.index(context.user_id, uuid.UUID(str(account_id)), occurrences)
            token = page.get("nextPageToken")
            if not token:
                return

    async def _original_start(self, api: GoogleApi, event: DeletedEvent, context: AgentContext) -> datetime:
        """Where an occurrence sits in its series: its original start (a moved occurrence
        keeps its place), from Google; its start when Google does not say."""
        occurrence = await api.call(lambda s: s.events().get(calendarId=CALENDAR_ID, eventId=event.event_id))
        original = occurrence.get("originalStartTime")
        if original:
            return _moment(original, str(context.timezone))
        return datetime.fromisoformat(event.start)


async def _theirs_to_change(event: SourceItem, operation: Operation, context: AgentContext) -> None:
    """An event someone else organises is theirs to move or cancel: the user is asked
    whether to decline it or to write to the organiser, and nothing is proposed."""
    organizer = str(event.details.get("organizer") or "")
    own = {account.email.lower() for account in await context.accounts()}
    if not organizer or organizer.lower() in own:
        return
    named = next((a.get("name") for a in event.details.get("attendees") or [] if a.get("email") == organizer), None)
    name = named or organizer.split("@")[0].replace(".", " ").title()
    first = name.split(" ")[0]
    verb = "cancel" if operation == Operation.DELETE else "move"
    raise Ambiguous(
        Clarification(
            kind="other",
            question=f"\u201c{event.title}\u201d is {name}'s event, so only {first} can {verb} it for everyone. "
            f"Should I decline it for you, or email {first}?",
            options=["Decline it", f"Email {first}"],
        ),
        [event],
    )


def _booked_events(inputs: dict[str, Any], now: datetime, *, leg: str | None = None) -> list[SourceItem]:
    """The entries of the first booking (`booking`, or of `bookings` in their order) that
    has entries still to come: the found events naming one of its flight (or train)
    numbers, in time order. `leg` "outbound" is the first of them, "return" the last.
    None when no booking has any: nothing is guessed."""
    events: list[SourceItem] = inputs["events"]
    bookings: list[SourceItem] = inputs.get("bookings") or ([inputs["booking"]] if inputs.get("booking") else [])
    for booking in bookings:
        numbers = set(travel_numbers(item_text(booking)))
        matching = sorted(
            (e for e in events if set(travel_numbers(e.title)) & numbers), key=lambda e: e.when or datetime.max
        )
        if matching and (matching[-1].when is None or matching[-1].when >= now):
            return matching[:1] if leg == "outbound" else matching[-1:] if leg == "return" else matching
    raise StepFailed("none of your calendar entries to come belongs to that booking")


SERIES_SCOPES = ("one", "following", "all")
MINUTES_A_DAY = 24 * 60


def _changed(event: SourceItem, params: dict[str, Any], context: AgentContext) -> UpdateEventPayload:
    """The event as a change leaves it.

    The new start is `start` (an instant), or `at_time` (a time of day in the user's zone,
    on `day` or the event's own day), or `day` (an ISO date: the same time of day there, in
    the event's own zone), or the old start; `shift_minutes` then moves it
    (negative: earlier). The length is `duration_minutes`, or the old length; an explicit
    `end` wins. `summary` renames it. An all-day event moved by `day` or by whole days
    (and resized by whole days) stays all-day.
    """
    details = event.details
    old_start = datetime.fromisoformat(details["start"])
    old_end = datetime.fromisoformat(details["end"])
    zone_name = details.get("time_zone") or str(context.timezone)
    zone = zone_named(zone_name)
    shift = int(params.get("shift_minutes") or 0)
    minutes = params.get("duration_minutes")
    if minutes is not None and int(minutes) <= 0:
        raise StepFailed("an event must last at least a minute")
    all_day = bool(details.get("all_day")) and not params.get("start") and not params.get("end")
    if all_day:
        if shift % MINUTES_A_DAY or (minutes is not None and int(minutes) % MINUTES_A_DAY):
            raise StepFailed(f"\u201c{event.title}\u201d lasts all day: it moves and lasts by whole days")
        first = date.fromisoformat(params["day"]) if params.get("day") else old_start.astimezone(zone).date()
        first += timedelta(days=shift // MINUTES_A_DAY)
        days = (
            int(minutes) // MINUTES_A_DAY
            if minutes is not None
            else (old_end.astimezone(zone).date() - old_start.astimezone(zone).date()).days
        )
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(first + timedelta(days=max(days, 1)), time(), zone)
    else:
        if params.get("start"):
            start = datetime.fromisoformat(params["start"])
        elif params.get("at_time"):
            # "move my 1:1 to 3pm": that time on the event's own day (or on `day`), in the user's zone.
            on = (
                date.fromisoformat(params["day"])
                if params.get("day")
                else old_start.astimezone(context.timezone).date()
            )
            start = datetime.combine(on, time.fromisoformat(params["at_time"]), context.timezone)
        elif params.get("day"):
            # The same time of day where the event is, whatever the offset that day.
            start = datetime.combine(date.fromisoformat(params["day"]), old_start.astimezone(zone).time(), zone)
        else:
            start = old_start
        start += timedelta(minutes=shift)
        length = timedelta(minutes=int(minutes)) if minutes is not None else old_end - old_start
        end = datetime.fromisoformat(params["end"]) if params.get("end") else start + length
    if end <= start:
        raise StepFailed("the event would end before it starts")
    invited = [str(a["email"]) for a in details.get("attendees") or [] if a.get("email")]
    attendees = _invited(invited, params.get("attendees_added") or [], params.get("attendees_removed") or [], event)
    return UpdateEventPayload(
        event_id=event.id,
        summary=params.get("summary") or event.title,
        start=start.isoformat(),
        end=end.isoformat(),
        time_zone=zone_name,
        location=params.get("location", details.get("location", "")),
        all_day=True if all_day else None,
        attendees=attendees,
        was=EventTimes(
            summary=event.title,
            start=old_start.isoformat(),
            end=old_end.isoformat(),
            location=details.get("location", ""),
            all_day=True if all_day else None,
            attendees=invited if attendees is not None else None,
        ),
    )


def _invited(invited: list[str], added: list[str], removed: list[str], event: SourceItem) -> list[str] | None:
    """Everyone invited once `added` join and `removed` leave (None when neither is asked).
    Adding someone already invited, or removing someone who is not, changes nothing."""
    if not added and not removed:
        return None
    have = {email.lower() for email in invited}
    gone = {email.lower() for email in removed}
    if not [a for a in added if a.lower() not in have] and not gone & have:
        who = ", ".join(added or removed)
        status = "is already invited to" if added else "is not invited to"
        raise Unchanged(f"{who} {status} \u201c{event.title}\u201d; nothing to change.")
    return [email for email in invited if email.lower() not in gone] + [a for a in added if a.lower() not in have]


def _change_lines(update: UpdateEventPayload, *, done: bool) -> list[str]:
    """What an update changes, in words: "Move “X” from ... to ...", "Make “X” 60 minutes
    (...)", "Rename “X” to “Y”" (`done`: "Moved", "Made", "Renamed")."""
    was, zone, all_day = update.was, update.time_zone, bool(update.all_day)
    start, end = datetime.fromisoformat(update.start), datetime.fromisoformat(update.end)
    old_start, old_end = datetime.fromisoformat(was.start), datetime.fromisoformat(was.end)
    new_times = _when(update.start, update.end, zone, all_day=all_day)
    lines = []
    if start != old_start:
        if done:
            lines.append(f"Moved \u201c{update.summary}\u201d to {new_times}")
        else:
            old_times = _when(was.start, was.end, zone, all_day=all_day)
            lines.append(f"Move \u201c{was.summary}\u201d from {old_times} to {new_times}")
    elif end - start != old_end - old_start:
        length = _length(end - start, all_day=all_day)
        lines.append(f"{'Made' if done else 'Make'} \u201c{was.summary}\u201d {length} ({new_times})")
    if update.summary != was.summary:
        lines.append(f"{'Renamed' if done else 'Rename'} \u201c{was.summary}\u201d to \u201c{update.summary}\u201d")
    if update.attendees is not None and was.attendees is not None:
        added = [a for a in update.attendees if a not in was.attendees]
        removed = [a for a in was.attendees if a not in update.attendees]
        if added:
            lines.append(
                f"{'Invited' if done else 'Invite'} {', '.join(added)} to \u201c{update.summary}\u201d ({new_times})"
            )
        if removed:
            verb = "Removed" if done else "Remove"
            lines.append(f"{verb} {', '.join(removed)} from \u201c{update.summary}\u201d ({new_times})")
    if not lines:  # nothing but the place (or nothing): said as a move, as it always was
        if done:
            lines.append(f"Moved \u201c{update.summary}\u201d to {new_times}")
        else:
            old_times = _when(was.start, was.end, zone, all_day=all_day)
            lines.append(f"Move \u201c{was.summary}\u201d from {old_times} to {new_times}")
    return lines


def _length(span: timedelta, *, all_day: bool) -> str:
    if all_day:
        days = span.days
        return f"{days} day" if days == 1 else f"{days} days"
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def _repeats(recurrence: list[str]) -> str:
    """ "every Tuesday", "every other Monday", "every weekday", "every day", "every month"."""
    rule = dict(part.split("=", 1) for part in recurrence[0].removeprefix("RRULE:").split(";") if "=" in part)
    names = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday"}
    names |= {"SA": "Saturday", "SU": "Sunday"}
    every = "every other" if rule.get("INTERVAL") == "2" else "every"
    if rule.get("FREQ") == "DAILY":
        return "every day"
    if rule.get("FREQ") == "MONTHLY":
        return f"{every} month"
    days = rule.get("BYDAY", "").split(",")
    if days == ["MO", "TU", "WE", "TH", "FR"]:
        return "every weekday"
    return f"{every} " + " and ".join(names.get(day, day) for day in days if day)


def _google_times(start: str, end: str, zone: str | None, *, all_day: bool) -> dict[str, dict[str, Any]]:
    """An event's `start` and `end` as Google takes them: dates for an all-day event."""
    if all_day:
        tz = zone_named(zone or "UTC")
        return {
            "start": {"date": datetime.fromisoformat(start).astimezone(tz).date().isoformat()},
            "end": {"date": datetime.fromisoformat(end).astimezone(tz).date().isoformat()},
        }
    return {"start": {"dateTime": start, "timeZone": zone}, "end": {"dateTime": end, "timeZone": zone}}


def _occurrences(count: int | None) -> str:
    return "1 occurrence" if count == 1 else f"{count} occurrences"


def _deletion_line(event: DeletedEvent, zone: str | None, *, done: bool) -> str:
    verb = "Deleted" if done else "Delete"
    when = _when(event.start, event.end, zone, all_day=event.all_day)
    if event.series == "all":
        return f"{verb} all {_occurrences(event.occurrences)} of \u201c{event.summary}\u201d (the whole series)"
    if event.series == "following":
        return f"{verb} {_occurrences(event.occurrences)} of \u201c{event.summary}\u201d: {when} and every one after it"
    return f"{verb} \u201c{event.summary}\u201d, {when}"


def _until(rules: list[str], cut: datetime, *, all_day: bool) -> list[str]:
    """A recurrence's rules ending just before `cut` (RFC 5545 UNTIL is inclusive: UTC for
    timed events, the day before for all-day ones); COUNT goes, other lines stay."""
    stamp = (
        (cut.date() - timedelta(days=1)).strftime("%Y%m%d")
        if all_day
        else (cut - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    ended = []
    for rule in rules:
        if rule.upper().startswith("RRULE:"):
            parts = [p for p in rule[6:].split(";") if p and not p.upper().startswith(("UNTIL=", "COUNT="))]
            rule = "RRULE:" + ";".join([*parts, f"UNTIL={stamp}"])
        ended.append(rule)
    return ended


def _moment(when: dict[str, Any], zone: str) -> datetime:
    """A Google start (`dateTime`, or an all-day `date`) as an instant."""
    if "dateTime" in when:
        return datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
    return datetime.combine(date.fromisoformat(when["date"]), time(), zone_named(when.get("timeZone") or zone))


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
