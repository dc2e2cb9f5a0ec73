"""Gmail mailboxes: storing messages, labels, threads and the history log.

Every change that Gmail reports in `history.list` (a message added or deleted, labels
added or removed) is recorded in the store's change log under kind `gmail`, and bumps
the message's `historyId`. Used by the Gmail endpoints, the workspace loader and the
control API alike.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from sandbox.errors import bad_request, not_found
from sandbox.gmail_query import Searchable
from sandbox.mime import addresses, parse, summarize
from sandbox.store import Item, Store

SYSTEM_LABELS = [
    "INBOX",
    "SENT",
    "DRAFT",
    "TRASH",
    "SPAM",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
]


def new_id(seed: str | None = None) -> str:
    """A Gmail-style 16-hex-digit id, deterministic when seeded."""
    if seed is None:
        return secrets.token_hex(8)
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def raw_key(owner: str, message_id: str) -> str:
    return f"gmail:{owner}:{message_id}"


class Mailbox:
    """One account's Gmail."""

    def __init__(self, store: Store, owner: str) -> None:
        self.store = store
        self.owner = owner

    # --- labels -------------------------------------------------------------------------
    def labels(self) -> list[Item]:
        system = [
            {
                "id": name,
                "name": name,
                "type": "system",
                "messageListVisibility": "show",
                "labelListVisibility": "labelShow",
            }
            for name in SYSTEM_LABELS
        ]
        return system + sorted(self.store.all("label", self.owner), key=lambda label: label["name"])

    def label_id(self, name: str) -> str:
        """The id of a label by id or name, creating a user label for a new name."""
        if name.upper() in SYSTEM_LABELS:
            return name.upper()
        for label in self.store.all("label", self.owner):
            if name in (label["id"], label["name"]):
                return str(label["id"])
        label_id = "Label_" + new_id(f"{self.owner}/label/{name}")[:8]
        self.store.put(
            "label",
            self.owner,
            label_id,
            {
                "id": label_id,
                "name": name,
                "type": "user",
                "messageListVisibility": "show",
                "labelListVisibility": "labelShow",
            },
        )
        return label_id

    def check_labels(self, label_ids: list[str]) -> None:
        known = {label["id"] for label in self.labels()}
        for label_id in label_ids:
            if label_id not in known:
                raise bad_request(f"Invalid label: {label_id}")

    # --- messages -----------------------------------------------------------------------
    def get(self, message_id: str) -> Item:
        message = self.store.get("message", self.owner, message_id)
        if message is None:
            raise not_found()
        return message

    def raw(self, message_id: str) -> bytes:
        return self.store.blob(raw_key(self.owner, message_id))

    def messages(self) -> list[Item]:
        return self.store.all("message", self.owner)

    def thread_for(self, raw: bytes, thread_id: str | None) -> str | None:
        """The thread a message joins: the given one, or the one its references point to."""
        if thread_id:
            return thread_id
        headers = parse(raw)
        referenced = set(str(headers.get("references", "")).split())
        if headers.get("in-reply-to"):
            referenced.add(str(headers["in-reply-to"]).strip())
        if not referenced:
            return None
        for message in self.messages():
            if message["index"].get("message_id") in referenced:
                return str(message["threadId"])
        return None

    def insert(
        self,
        raw: bytes,
        label_ids: list[str],
        thread_id: str | None = None,
        message_id: str | None = None,
        internal_date: datetime | None = None,
        record: bool = True,
    ) -> Item:
        """Store a message (a new id unless given) and record `messageAdded`."""
        message_id = message_id or new_id()
        summary = summarize(raw)
        if internal_date is None:
            try:
                internal_date = parsedate_to_datetime(summary.headers.get("date", ""))
            except (TypeError, ValueError):
                internal_date = self.store.now()
        thread_id = self.thread_for(raw, thread_id) or message_id
        history_id = (
            self.store.record(self.owner, "gmail", message_id, {"type": "messageAdded", "threadId": thread_id})
            if record
            else self.store.seq
        )
        message = {
            "id": message_id,
            "threadId": thread_id,
            "labelIds": list(dict.fromkeys(label_ids)),
            "snippet": summary.snippet,
            "historyId": str(history_id),
            "internalDate": str(int(internal_date.timestamp() * 1000)),
            "sizeEstimate": len(raw),
            "index": {
                "from": summary.headers.get("from", ""),
                "to": summary.headers.get("to", ""),
                "cc": summary.headers.get("cc", ""),
                "bcc": summary.headers.get("bcc", ""),
                "subject": summary.headers.get("subject", ""),
                "message_id": summary.headers.get("message-id", "").strip(),
                "text": summary.text,
                "filenames": summary.filenames,
            },
        }
        self.store.put_blob(raw_key(self.owner, message_id), raw)
        self.store.put("message", self.owner, message_id, message)
        return message

    def modify(self, message_id: str, add: list[str], remove: list[str]) -> Item:
        """Change labels, recording labelAdded / labelRemoved for what actually changed."""
        message = self.get(message_id)
        self.check_labels(add + remove)
        current = list(message["labelIds"])
        added = [label for label in add if label not in current]
        removed = [label for label in remove if label in current and label not in add]
        if not added and not removed:
            return message
        message["labelIds"] = [label for label in current if label not in removed] + added
        if added:
            seq = self.store.record(
                self.owner,
                "gmail",
                message_id,
                {"type": "labelAdded", "labelIds": added, "threadId": message["threadId"]},
            )
            message["historyId"] = str(seq)
        if removed:
            seq = self.store.record(
                self.owner,
                "gmail",
                message_id,
                {"type": "labelRemoved", "labelIds": removed, "threadId": message["threadId"]},
            )
            message["historyId"] = str(seq)
        self.store.put("message", self.owner, message_id, message)
        return message

    def trash(self, message_id: str) -> Item:
        message = self.get(message_id)
        return self.modify(
            message_id, ["TRASH"], [label for label in ("INBOX", "SPAM") if label in message["labelIds"]]
        )

    def untrash(self, message_id: str) -> Item:
        message = self.get(message_id)
        restore = [] if "SENT" in message["labelIds"] or "DRAFT" in message["labelIds"] else ["INBOX"]
        return self.modify(message_id, restore, ["TRASH"])

    def delete(self, message_id: str) -> None:
        message = self.get(message_id)
        self.store.record(self.owner, "gmail", message_id, {"type": "messageDeleted", "threadId": message["threadId"]})
        self.store.delete("message", self.owner, message_id)

    def label_names(self) -> dict[str, str]:
        """User label ids to lower-cased names."""
        return {label["id"]: label["name"].lower() for label in self.store.all("label", self.owner)}

    def searchable(self, message: Item, names: dict[str, str]) -> Searchable:
        labels = set(message["labelIds"]) | {names[label] for label in message["labelIds"] if label in names}
        index = message["index"]
        return Searchable(
            sender=index["from"],
            to=index["to"],
            cc=index["cc"],
            bcc=index["bcc"],
            subject=index["subject"],
            text=index["text"],
            filenames=tuple(index["filenames"]),
            labels=frozenset(labels),
            internal_date_ms=int(message["internalDate"]),
            size=int(message["sizeEstimate"]),
        )

    def profile(self) -> dict[str, Any]:
        messages = self.messages()
        return {
            "emailAddress": self.owner,
            "messagesTotal": len(messages),
            "threadsTotal": len({m["threadId"] for m in messages}),
            "historyId": str(self.store.seq),
        }


def expand_groups(store: Store, found: list[str]) -> list[str]:
    """Addresses with the workspace's mailing lists (`groups`) replaced by their members."""
    expanded: list[str] = []
    for address in found:
        group = store.get("group", "", address)
        expanded.extend(group["members"] if group else [address])
    return list(dict.fromkeys(expanded))


def recipients(store: Store, raw: bytes) -> list[str]:
    """Every address a message reaches (To, Cc, Bcc, mailing lists expanded)."""
    headers = parse(raw)
    found: list[str] = []
    for name in ("to", "cc", "bcc"):
        found.extend(addresses(str(headers.get(name, ""))))
    return expand_groups(store, found)


def without_bcc(raw: bytes) -> bytes:
    message = parse(raw)
    del message["Bcc"]
    return message.as_bytes()


def deliver_to_recipients(store: Store, raw: bytes, sender: str | None = None) -> None:
    """An INBOX copy (Bcc removed) for each recipient that is a sandbox account."""
    for address in recipients(store, raw):
        if address != sender and store.get("account", "", address) is not None:
            Mailbox(store, address).insert(without_bcc(raw), ["INBOX", "UNREAD", "CATEGORY_PERSONAL"])


def deliver(store: Store, sender: str, raw: bytes, thread_id: str | None = None, message_id: str | None = None) -> Item:
    """Send from a sandbox account: a SENT copy for the sender, INBOX copies for recipients."""
    box = Mailbox(store, sender)
    sent = box.insert(raw, ["SENT"], thread_id=thread_id, message_id=message_id)
    if sender in recipients(store, raw):
        sent = box.modify(sent["id"], ["INBOX", "UNREAD"], [])
    deliver_to_recipients(store, raw, sender)
    return sent
