"""Snapshots of the sandbox: what changed since one, and putting it back.

A snapshot is a copy-on-write `Journal` opened in the store: taking one copies nothing,
and every later write first keeps the item's (or blob's) prior version in it. So a
snapshot costs in proportion to what is written after it, not to the size of the store.
Snapshots live in memory only (a restart forgets them); at most `MAX_SNAPSHOTS` are
kept, the oldest dropped first.

A restore does not rewind the store: it makes each changed item as it was through the
services' own writes (`Mailbox`, `Calendars`, `Drive`), so their change logs record it
as ordinary changes moving forward. Clients then see it by incremental sync: Gmail
`history.list` gives messageAdded / messageDeleted / labelAdded / labelRemoved,
Calendar `events.list` with a sync token gives the events (restored ones with a bumped
`sequence`, ones created since as `cancelled`), Drive `changes.list` gives the files.
Positions (history ids, sync tokens, page tokens) keep increasing.

What counts as a change is what a client could see, less the bookkeeping a restore
cannot put back: a message's `historyId`, an event's `updated` / `etag` / `sequence`
(and its record's `seq`), a file's `version`. An event created and then deleted is no
change (its `cancelled` tombstone is how the API shows "never there" to a syncing
client). Push channels and Gmail watches (kinds `channel`, `gmail_watch`) are delivery
plumbing the product sets up, not data: they are neither reported nor restored.
"""

from __future__ import annotations

import json
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.calendars import Calendars
from sandbox.drive import Drive
from sandbox.errors import not_found
from sandbox.mailbox import Mailbox, raw_key
from sandbox.store import Item, Journal, Store

# An open snapshot costs, on the first write of each item, one indexed SELECT (measured
# 4 µs on the demo store of 5,624 messages) and then the memory of that item's prior
# version; eight is more than a task evaluator holds at once and still cheap.
MAX_SNAPSHOTS = 8
PLUMBING_KINDS = frozenset({"channel", "gmail_watch"})
# Kinds a service records changes for; every other kind is put back as it was.
SERVICE_KINDS = ("message", "event", "file")
# Order of the changes list and of a restore: what others refer to comes first.
KIND_ORDER = ("account", "group", "calendar", "label", "draft", "message", "event", "file")
EVENT_BOOKKEEPING = ("updated", "etag", "sequence")


@dataclass(frozen=True)
class ItemChange:
    """One item added (`before` None), removed (`after` None) or modified since a snapshot,
    each side the item as the store keeps it."""

    kind: str
    owner: str
    id: str
    before: Item | None
    after: Item | None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "owner": self.owner, "id": self.id, "before": self.before, "after": self.after}


def comparable(kind: str, item: Item | None) -> Any:
    """An item as far as a client can tell it apart: bookkeeping dropped, label order
    ignored, an event's tombstone the same as no event (unless it cancels an instance
    of a recurring event, which hides that instance)."""
    if item is None:
        return None
    if kind == "message":
        return {**{k: v for k, v in item.items() if k != "historyId"}, "labelIds": sorted(item["labelIds"])}
    if kind == "event":
        event = item["event"]
        if event.get("status") == "cancelled" and not event.get("recurringEventId"):
            return None
        return {k: v for k, v in event.items() if k not in EVENT_BOOKKEEPING}
    if kind == "file":
        return {**item, "file": {k: v for k, v in item["file"].items() if k != "version"}}
    return item


def concerns(change: ItemChange, account: str) -> bool:
    """Whether an account can see the item: its own mail and calendars, files it can open."""
    if change.kind == "event":
        return change.owner.startswith(account + "/")
    if change.kind == "file":
        return any(account in Drive.viewers(side["file"]) for side in (change.before, change.after) if side)
    return change.owner == account or (change.owner == "" and change.id == account)


def _order(change: ItemChange) -> tuple[int, str, str]:
    rank = KIND_ORDER.index(change.kind) if change.kind in KIND_ORDER else len(KIND_ORDER)
    return rank, change.owner, change.id


class Snapshots:
    """The open snapshots of one store, by id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._journals: OrderedDict[str, Journal] = OrderedDict()

    def snapshot(self) -> str:
        """Open a snapshot of the current state; its id."""
        snapshot_id = "snap_" + secrets.token_hex(6)
        journal = Journal()
        self._journals[snapshot_id] = journal
        self.store.journals.append(journal)
        while len(self._journals) > MAX_SNAPSHOTS:
            self.drop(next(iter(self._journals)))
        return snapshot_id

    def drop(self, snapshot_id: str) -> None:
        journal = self._journal(snapshot_id)
        del self._journals[snapshot_id]
        self.store.journals.remove(journal)

    def _journal(self, snapshot_id: str) -> Journal:
        journal = self._journals.get(snapshot_id)
        if journal is None:
            raise not_found(f"No snapshot {snapshot_id}.")
        return journal

    def changes_since_snapshot(self, snapshot_id: str, account: str | None = None) -> list[ItemChange]:
        """Every item added, removed or modified since the snapshot (of one account's
        view when `account` is given), in `KIND_ORDER`, then owner and id."""
        changes = self._changes(self._journal(snapshot_id))
        if account is not None:
            changes = [change for change in changes if concerns(change, account.lower())]
        return changes

    def _changes(self, journal: Journal) -> list[ItemChange]:
        changes = []
        for (kind, owner, item_id), original in journal.items.items():
            if kind in PLUMBING_KINDS:
                continue
            before = None if original is None else json.loads(original)
            current = self.store.get(kind, owner, item_id)
            after = None if current is None else json.loads(json.dumps(current))  # a copy, not the live item
            if comparable(kind, before) != comparable(kind, after):
                changes.append(ItemChange(kind, owner, item_id, before, after))
        return sorted(changes, key=_order)

    def restore(self, snapshot_id: str) -> int:
        """Put every changed item back as it was at the snapshot, through the services'
        change recording; how many items were changed. The snapshot stays open."""
        journal = self._journal(snapshot_id)
        with self.store.transaction():
            changes = self._changes(journal)
            self._restore_blobs(journal)
            plain = [change for change in changes if change.kind not in SERVICE_KINDS]
            for change in plain:
                if change.before is not None:
                    self.store.put(change.kind, change.owner, change.id, change.before)
            for change in changes:
                if change.kind == "message":
                    self._restore_message(change)
            self._restore_events([change for change in changes if change.kind == "event"])
            for change in changes:
                if change.kind == "file":
                    self._restore_file(change)
            for change in plain:  # last: labels and calendars may still be in use until now
                if change.before is None:
                    self.store.delete(change.kind, change.owner, change.id)
        return len(changes)

    def _restore_blobs(self, journal: Journal) -> None:
        """Raw messages and file contents overwritten since (a sent draft keeps its id)."""
        for key, original in journal.blobs.items():
            if original is not None and self.store.blob(key) != original:
                self.store.put_blob(key, original)

    def _restore_message(self, change: ItemChange) -> None:
        """Gmail: delete what is new, re-add what is gone, relabel what was relabelled;
        then pin the snapshot's exact fields, with the new `historyId`."""
        box = Mailbox(self.store, change.owner)
        before, after = change.before, change.after
        if before is None:
            box.delete(change.id)
            return
        relabelled = after is not None and comparable(
            "message", {**after, "labelIds": before["labelIds"]}
        ) == comparable("message", before)
        if relabelled:
            assert after is not None
            added = [label for label in before["labelIds"] if label not in after["labelIds"]]
            removed = [label for label in after["labelIds"] if label not in before["labelIds"]]
            message = box.modify(change.id, added, removed)
        else:
            if after is not None:
                box.delete(change.id)  # its content changed (a draft sent under the same id)
            internal_date = datetime.fromtimestamp(int(before["internalDate"]) / 1000, UTC)
            message = box.insert(
                self.store.blob(raw_key(change.owner, change.id)),
                before["labelIds"],
                thread_id=before["threadId"],
                message_id=change.id,
                internal_date=internal_date,
            )
        self.store.put("message", change.owner, change.id, {**before, "historyId": message["historyId"]})

    def _restore_events(self, changes: list[ItemChange]) -> None:
        """Calendar: an event back with its snapshot content and a higher `sequence`; one
        created since, cancelled. A changed or cancelled instance of a recurring event
        made since is removed, and its recurring event saved again, so that a syncing
        client (`singleEvents=True`) is sent the instance as the recurring event has it."""
        restored: set[tuple[str, str]] = set()
        masters: set[tuple[str, str]] = set()
        for change in changes:
            account, calendar_id = change.owner.split("/", 1)
            calendars = Calendars(self.store, account)
            before, after = change.before, change.after
            if before is not None:
                sequence = max(int(side["event"].get("sequence", 0)) for side in (before, after) if side) + 1
                calendars.save(calendar_id, {**before["event"], "sequence": sequence})
                restored.add((change.owner, change.id))
            elif after is not None and after["event"].get("recurringEventId"):
                self.store.delete("event", change.owner, change.id)
                masters.add((change.owner, str(after["event"]["recurringEventId"])))
            else:
                calendars.delete(calendar_id, change.id)
        for owner, master_id in sorted(masters - restored):
            record = self.store.get("event", owner, master_id)
            if record is not None:
                account, calendar_id = owner.split("/", 1)
                event = record["event"]
                Calendars(self.store, account).save(
                    calendar_id, {**event, "sequence": int(event.get("sequence", 0)) + 1}
                )

    def _restore_file(self, change: ItemChange) -> None:
        """Drive: a file back as it was (name, trash, permissions, times), or removed if
        created since; the change is logged for everyone who could see either version."""
        before, after = change.before, change.after
        if before is None:
            assert after is not None
            owner = next(p["emailAddress"].lower() for p in after["file"]["permissions"] if p["role"] == "owner")
            Drive(self.store, owner).delete(change.id)
            return
        viewers = Drive.viewers(after["file"]) if after is not None else []
        Drive(self.store, "").save(dict(before["file"]), before["text"], previous_viewers=viewers, touch=False)
