"""The Edit form of a confirmation card: which fields it shows, and what the user typed.

An agent says which fields of an operation may change (`BaseAgent.editable`); this module
turns those into form fields with values a person can read and type (addresses separated
by commas, times as local wall-clock times in the user's zone) and turns the submitted
strings back into the action's own field types, refusing what is malformed with a reason.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal
from zoneinfo import ZoneInfo

from assistant.writes import PendingAction

Kind = Literal["addresses", "line", "text", "time", "choice"]

#: How each editable field is shown and typed, in the order the form shows them.
FIELDS: dict[str, tuple[str, Kind]] = {
    "to": ("To", "addresses"),
    "cc": ("Cc", "addresses"),
    "emails": ("Share with", "addresses"),
    "attendees": ("Guests", "addresses"),
    "summary": ("Title", "line"),
    "subject": ("Subject", "line"),
    "start": ("Starts", "time"),
    "end": ("Ends", "time"),
    "location": ("Where", "line"),
    "role": ("They can", "choice"),
    "body": ("Message", "text"),
    "description": ("Description", "text"),
    "message": ("Note", "text"),
}
ROLE_CHOICES = [("reader", "view"), ("commenter", "comment on"), ("writer", "edit")]
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
TIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> reads and writes
MAX_LENGTH = {"line": 500, "text": 50_000, "addresses": 5_000}


class EditError(ValueError):
    """What the user typed cannot be used; the message says why, in their words."""


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    value: str
    choices: list[tuple[str, str]] | None = None


def form_fields(action: PendingAction, editable: frozenset[str], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The form for `action`, as the EditAction element's props take it."""
    fields = []
    for name, (label, kind) in FIELDS.items():
        if name not in editable or (name not in action.fields and kind != "addresses"):
            continue
        value = action.fields.get(name)
        shown = _show(kind, value, zone)
        fields.append(FormField(name, label, kind, shown, ROLE_CHOICES if kind == "choice" else None))
    return [asdict(field) for field in fields]


def parse_edits(
    action: PendingAction, submitted: dict[str, Any], editable: frozenset[str], zone: ZoneInfo
) -> dict[str, Any]:
    """The changed fields, in the action's own types; unchanged fields are left out."""
    unknown = set(submitted) - editable
    if unknown:
        raise EditError(f"{', '.join(sorted(unknown))} cannot be changed here")
    edits: dict[str, Any] = {}
    for name, raw in submitted.items():
        if not isinstance(raw, str):
            raise EditError(f"{FIELDS[name][0]} must be text")
        kind = FIELDS[name][1]
        if len(raw) > MAX_LENGTH.get(kind, 500):
            raise EditError(f"{FIELDS[name][0]} is too long")
        value = _parse(name, kind, raw, zone)
        if not _same(kind, value, action.fields.get(name)):
            edits[name] = value
    merged = action.fields | edits
    if (
        "start" in merged
        and "end" in merged
        and datetime.fromisoformat(merged["end"]) <= datetime.fromisoformat(merged["start"])
    ):
        raise EditError("the end must come after the start")
    if "to" in merged and not merged["to"]:
        raise EditError("a message needs at least one recipient")
    if "emails" in merged and not merged["emails"]:
        raise EditError("say who to share it with")
    return edits


def _same(kind: Kind, value: Any, original: Any) -> bool:
    if kind == "time" and original:
        return datetime.fromisoformat(value) == datetime.fromisoformat(original)
    return value == (original or ([] if kind == "addresses" else original))


def _show(kind: Kind, value: Any, zone: ZoneInfo) -> str:
    if kind == "addresses":
        return ", ".join(value or [])
    if kind == "time":
        return datetime.fromisoformat(value).astimezone(zone).strftime(TIME_FORMAT)
    return "" if value is None else str(value)


def _parse(name: str, kind: Kind, raw: str, zone: ZoneInfo) -> Any:
    label = FIELDS[name][0]
    if any(ord(c) < 32 and c not in "\n\t" for c in raw):
        raise EditError(f"{label} contains control characters")
    if kind == "addresses":
        addresses = []
        for typed in raw.replace(";", ",").split(","):
            if not typed.strip():
                continue
            _, address = parseaddr(typed)
            if not EMAIL.fullmatch(address):
                raise EditError(f"{label}: \u201c{typed.strip()}\u201d is not an email address")
            addresses.append(address.lower())
        return list(dict.fromkeys(addresses))
    if kind == "time":
        try:
            local = datetime.strptime(raw.strip(), TIME_FORMAT)
        except ValueError:
            raise EditError(f"{label}: give a date and time like 2026-12-01T14:30") from None
        return local.replace(tzinfo=zone).isoformat()
    if kind == "choice":
        if raw not in {value for value, _ in ROLE_CHOICES}:
            raise EditError(f"{label} must be one of {', '.join(words for _, words in ROLE_CHOICES)}")
        return raw
    if kind == "line":
        return " ".join(raw.split())
    return raw.replace("\r\n", "\n").strip()
