"""Every item the task suite names exists in the demo workspace, as named.

A task that names an email, event occurrence or file by a title with a typo, a wrong day
or the wrong sender could never pass (or, for `not_cite`, never fail). This reads the
materialised demo workspace (the full one, at the suite's now) and resolves every
`ItemRef` of every task: a `cite`, `first`, `reply_to`, `forward_of` or changed item
must name exactly one item, a `not_cite` at least one, and every bulk scope some mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.tools.tasks.judge import _in_scope, _message_is, _norm
from assistant.tools.tasks.suite import (
    SUITE_NOW,
    SUITE_ZONE,
    EventCancelled,
    EventChanged,
    FileChanged,
    ItemRef,
    Sent,
    Task,
    Trashed,
    load_suite,
)
from sandbox.calendars import Calendars, expand
from sandbox.server import DEMO_WORKSPACE, open_store
from sandbox.store import Store

ZONE = ZoneInfo(SUITE_ZONE)
HORIZON = dt.datetime(2027, 6, 1, tzinfo=ZONE)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = open_store(tmp_path_factory.mktemp("suite-data"), DEMO_WORKSPACE, SUITE_NOW, True)
    yield opened
    opened.close()


def occurrences(store: Store, account: str) -> list[dict[str, Any]]:
    """Every event occurrence on the account's calendars (recurring series expanded)."""
    calendars = Calendars(store, account)
    found: list[dict[str, Any]] = []
    for calendar in calendars.calendars():
        calendar_id = calendar["id"]
        overrides = calendars.overrides(calendar_id)
        for record in calendars.records(calendar_id):
            event = record["event"]
            if event.get("recurringEventId"):
                continue
            found += (
                expand(event, SUITE_ZONE, HORIZON, overrides.get(event["id"], {}))
                if event.get("recurrence")
                else [event]
            )
    return [event for event in found if event.get("status") != "cancelled"]


def count(store: Store, account: str, ref: ItemRef, events: list[dict[str, Any]]) -> int:
    if ref.service == "gmail":
        return sum(_message_is(m, ref, ZONE) for m in store.all("message", account))
    if ref.service == "calendar":
        return sum(_event_is(event, ref) for event in events)
    visible = [
        f["file"]
        for f in store.all("file")
        if any(p.get("emailAddress") == account for p in f["file"].get("permissions", []))
    ]
    return sum(_norm(f["name"]) == _norm(ref.title) and _file_owner(f, ref) for f in visible)


def _event_is(event: dict[str, Any], ref: ItemRef) -> bool:
    if _norm(str(event.get("summary", ""))) != _norm(ref.title):
        return False
    start = event.get("start", {})
    moment = (
        dt.datetime.fromisoformat(start["dateTime"]).astimezone(ZONE).date()
        if "dateTime" in start
        else dt.date.fromisoformat(start["date"])
    )
    if ref.day is not None and moment != ref.day:
        return False
    return ref.sender is None or ref.sender.lower() == str(event.get("organizer", {}).get("email", "")).lower()


def _file_owner(file: dict[str, Any], ref: ItemRef) -> bool:
    return ref.sender is None or any(o.get("emailAddress") == ref.sender for o in file.get("owners", []))


def named(task: Task) -> Iterator[tuple[str, ItemRef, bool]]:
    """(where, ref, must be unique) for every item the task names."""
    expect = task.expect
    yield from (("cite", ref, True) for ref in expect.cite)
    if expect.first is not None:
        yield "first", expect.first, True
    yield from (("not_cite", ref, False) for ref in expect.not_cite)
    for change in expect.changes:
        if isinstance(change, Sent):
            for where, ref in (("reply_to", change.reply_to), ("forward_of", change.forward_of)):
                if ref is not None:
                    yield where, ref, False  # a thread: any of its messages
        elif isinstance(change, EventChanged | EventCancelled):
            yield change.type, change.event, change.event.day is not None
        elif isinstance(change, FileChanged):
            yield change.type, change.file, True
        elif isinstance(change, Trashed):
            yield from (("trashed", ref, True) for ref in change.items)


def test_every_item_the_suite_names_is_in_the_workspace(store: Store) -> None:
    wrong: list[str] = []
    events: dict[str, list[dict[str, Any]]] = {}
    for task in load_suite():
        events.setdefault(task.user, occurrences(store, task.user))
        for where, ref, unique in named(task):
            found = count(store, task.user, ref, events[task.user])
            if found == 0 or (unique and found > 1):
                wrong.append(
                    f"{task.id} {where}: {ref.service} {ref.title!r} day={ref.day} from={ref.sender}: {found} items"
                )
    assert not wrong, "\n".join(wrong)


def test_every_bulk_scope_selects_some_mail(store: Store) -> None:
    empty = [
        task.id
        for task in load_suite()
        for change in task.expect.changes
        if isinstance(change, Trashed)
        and change.scope is not None
        and not any(_in_scope(m, change.scope, ZONE) for m in store.all("message", task.user))
    ]
    assert not empty, empty


def test_the_suite_file_names_are_its_families() -> None:
    from assistant.tools.tasks.suite import SUITE_DIR

    for path in Path(SUITE_DIR).glob("*.yaml"):
        assert f"family: {path.stem}" in path.read_text().splitlines()[0], path
