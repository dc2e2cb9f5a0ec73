"""Loading a workspace fixture (docs/workspace-format.md) into a fresh sandbox state.

The fixture declares its own `today`. Loading shifts every date by whole days so that
`today` falls on the target date (the `--now` date, or the real today), keeping local
wall-clock times and rotating `BYDAY` in recurrence rules so weekly meetings keep
their place relative to their first occurrence. With `"shift": "weeks"` the shift is
rounded down to whole weeks instead, so weekdays stay as written (no standups on a
Sunday) and `today` lands in the six days before the target. Dates written in text as
`{{2026-12-02|%A %-d %B}}` are rendered from the shifted date, so bodies and
calendars agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.calendars import Calendars, moment_of, rfc3339
from sandbox.documents import render
from sandbox.drive import DOCUMENT, PRESENTATION, SPREADSHEET, Drive
from sandbox.errors import ApiError
from sandbox.mailbox import Mailbox, expand_groups, new_id, without_bcc
from sandbox.mime import Attachment, Draft, addresses, build_message
from sandbox.store import Store

FORMAT = "concierge-workspace/1"
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DATE_TOKEN = re.compile(r"\{\{(\d{4}-\d{2}-\d{2})(?:\|([^}]*))?\}\}")
DATE_FORMAT = "%-d %B %Y"
FILE_TYPES = {"document": DOCUMENT, "spreadsheet": SPREADSHEET, "presentation": PRESENTATION}


class WorkspaceError(ValueError):
    """The fixture is not valid; the message says where."""


@dataclass(frozen=True)
class Shift:
    days: int

    def moment(self, value: str, zone_name: str) -> datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone_name))
        # add days on the wall clock of the moment's own zone
        return moment + timedelta(days=self.days)

    def day(self, value: str) -> date:
        return date.fromisoformat(value) + timedelta(days=self.days)

    def text(self, value: str) -> str:
        """`{{YYYY-MM-DD|strftime format}}` tokens rendered with the shifted date."""

        def render(match: re.Match[str]) -> str:
            return self.day(match.group(1)).strftime(match.group(2) or DATE_FORMAT)

        return DATE_TOKEN.sub(render, value)

    def rule(self, line: str) -> str:
        def until(match: re.Match[str]) -> str:
            raw = match.group(1)
            pattern = "%Y%m%dT%H%M%SZ" if "T" in raw else "%Y%m%d"
            moved = datetime.strptime(raw, pattern) + timedelta(days=self.days)
            return "UNTIL=" + moved.strftime(pattern)

        def byday(match: re.Match[str]) -> str:
            days = []
            for item in match.group(1).split(","):
                prefix, code = item[:-2], item[-2:]
                days.append(prefix + WEEKDAYS[(WEEKDAYS.index(code) + self.days) % 7])
            return "BYDAY=" + ",".join(days)

        line = re.sub(r"UNTIL=(\d{8}(?:T\d{6}Z)?)", until, line)
        return re.sub(r"BYDAY=([+\-0-9A-Z,]+)", byday, line)


def fixture_id(kind: str, account: str, *parts: str) -> str:
    """The id an item without an explicit one gets: stable across loads and edits elsewhere.

    Messages: `fixture_id("message", account, key)` (each account's copy has its own id),
    threads `("thread", account, thread)`, events `("event", organizer, summary, start)`,
    files `("file", owner, name, modified)`; the times as written in the fixture.
    """
    seed = "/".join((kind, account.lower(), *parts))
    if kind == "file":
        return "1" + new_id(seed) + new_id(seed + "/")  # Drive ids are longer
    return new_id(seed)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise WorkspaceError(f"{path}: expected a JSON object")
    return data


def read(path: Path) -> dict[str, Any]:
    """A workspace fixture, with the emails, events and files of its `include`d parts."""
    workspace = _read_json(path)
    if workspace.get("format") != FORMAT:
        raise WorkspaceError(f'{path}: expected "format": "{FORMAT}"')
    for key in ("today", "accounts"):
        if key not in workspace:
            raise WorkspaceError(f'{path}: missing "{key}"')
    for name in workspace.get("include", []):
        part = _read_json(path.parent / name)
        for key in ("emails", "events", "files"):
            workspace[key] = workspace.get(key, []) + part.get(key, [])
    return workspace


def expand_generated(workspace: dict[str, Any]) -> dict[str, Any]:
    """The workspace with its `generate` section's deterministic distractors added."""
    if "generate" not in workspace:
        return workspace
    from sandbox.demo.generator import generate

    extra = generate(workspace)
    return {**workspace, **{key: workspace.get(key, []) + extra[key] for key in ("emails", "events", "files")}}


def shift_days(workspace: dict[str, Any], target_day: date) -> int:
    days = (target_day - date.fromisoformat(workspace["today"])).days
    mode = workspace.get("shift", "days")
    if mode not in ("days", "weeks"):
        raise WorkspaceError(f'"shift" must be "days" or "weeks", not {mode!r}')
    return days if mode == "days" else days // 7 * 7


def _render_dates(value: Any, shift: Shift) -> Any:
    if isinstance(value, str):
        return shift.text(value) if "{{" in value else value
    if isinstance(value, list):
        return [_render_dates(item, shift) for item in value]
    if isinstance(value, dict):
        return {key: _render_dates(item, shift) for key, item in value.items()}
    return value


def load(store: Store, workspace: dict[str, Any], target_day: date) -> None:
    """Fill an empty store with the workspace, shifted so its `today` is `target_day`."""
    if store.all("account"):
        raise WorkspaceError("the state directory already holds a workspace; use a new one or --reset")
    workspace = expand_generated(workspace)
    shift = Shift(shift_days(workspace, target_day))
    zone_name = workspace.get("timezone", "UTC")
    with store.transaction():
        for order, account in enumerate(workspace["accounts"]):
            _add_account(store, account, order, zone_name)
        for address, members in workspace.get("groups", {}).items():
            store.put("group", "", address.lower(), {"members": [m.lower() for m in members]})
        for key, add in (("emails", _add_email), ("events", _add_event), ("files", _add_file)):
            for index, item in enumerate(workspace.get(key, [])):
                try:
                    add(store, _render_dates(item, shift), index, shift, zone_name)
                except (KeyError, ValueError, TypeError, ApiError) as exc:
                    raise WorkspaceError(f"{key}[{index}]: {exc!r} in {json.dumps(item)[:200]}") from exc
        for account in store.all("account"):
            store.set_floor("gmail", account["email"], store.seq)
        store.set_meta(
            "workspace_today", (date.fromisoformat(workspace["today"]) + timedelta(days=shift.days)).isoformat()
        )
        store.set_meta("workspace_shift_days", str(shift.days))


def _add_account(store: Store, account: dict[str, Any], order: int, zone_name: str) -> None:
    email = account["email"].lower()
    store.put(
        "account",
        "",
        email,
        {
            "email": email,
            "name": account["name"],
            "order": order,
            "timezone": account.get("timezone", zone_name),
            "sub": str(10**20 + order),
        },
    )
    store.put(
        "calendar",
        email,
        email,
        {
            "kind": "calendar#calendarListEntry",
            "id": email,
            "summary": email,
            "timeZone": account.get("timezone", zone_name),
            "primary": True,
            "accessRole": "owner",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
        },
    )


def _attachments(email: dict[str, Any]) -> list[Attachment]:
    found = []
    for spec in email.get("attachments", []):
        data, mime_type = render(spec)
        found.append(Attachment(spec["filename"], spec.get("mimeType", mime_type), data))
    return found


def _thread_key(email: dict[str, Any], index: int) -> str:
    return str(email.get("thread") or email.get("key") or f"email-{index}")


def _add_email(store: Store, email: dict[str, Any], index: int, shift: Shift, zone_name: str) -> None:
    key = str(email.get("key") or f"email-{index}")
    thread = _thread_key(email, index)
    sender = email["from"]
    domain = addresses(sender)[0].split("@")[-1] if addresses(sender) else "sandbox.local"
    references = [f"<{ref}@{domain}>" for ref in email.get("references", [])]
    raw = build_message(
        Draft(
            sender=sender,
            to=list(email.get("to", [])),
            cc=list(email.get("cc", [])),
            bcc=list(email.get("bcc", [])),
            subject=email.get("subject", ""),
            date=shift.moment(email["date"], zone_name),
            text=email.get("text"),
            html=email.get("html"),
            message_id=f"<{key}@{domain}>",
            in_reply_to=references[-1] if references else None,
            references=references,
            attachments=_attachments(email),
        )
    )
    date_sent = shift.moment(email["date"], zone_name)
    sender_address = (addresses(sender) or [""])[0]
    copies: dict[str, list[str]] = {}
    if store.get("account", "", sender_address) is not None:
        copies[sender_address] = ["SENT"]
    everyone = addresses(", ".join(email.get("to", []) + email.get("cc", []) + email.get("bcc", [])))
    for address in expand_groups(store, everyone):
        if store.get("account", "", address) is not None and address not in copies:
            box = Mailbox(store, address)
            labels = ["INBOX"] + [box.label_id(name) for name in email.get("labels", [])]
            if "archived" in email.get("flags", []):
                labels.remove("INBOX")
            if email.get("unread"):
                labels.append("UNREAD")
            if email.get("starred"):
                labels.append("STARRED")
            copies[address] = labels
    for owner, labels in copies.items():
        Mailbox(store, owner).insert(
            raw if owner == sender_address or not email.get("bcc") else without_bcc(raw),
            labels,
            thread_id=fixture_id("thread", owner, thread),
            message_id=fixture_id("message", owner, key),
            internal_date=date_sent,
            record=False,
        )


def _when(value: str, zone: str, shift: Shift) -> dict[str, Any]:
    if len(value) == 10:
        return {"date": shift.day(value).isoformat()}
    return {"dateTime": shift.moment(value, zone).isoformat(), "timeZone": zone}


def _add_event(store: Store, event: dict[str, Any], index: int, shift: Shift, zone_name: str) -> None:
    organizer = event["calendar"].lower()
    account = store.get("account", "", organizer)
    if account is None:
        raise WorkspaceError(f"event {index}: calendar {organizer} is not an account")
    zone = event.get("timeZone") or account["timezone"]
    event_id = event.get("id") or fixture_id("event", organizer, event.get("summary", ""), event["start"])
    names = {a["email"]: a["name"] for a in store.all("account")}
    body: dict[str, Any] = {
        "summary": event.get("summary", ""),
        "description": event.get("description", ""),
        "start": _when(event["start"], zone, shift),
        "end": _when(event["end"], event.get("endTimeZone", zone), shift),
        "organizer": {"email": organizer, "displayName": names.get(organizer, organizer)},
        "creator": {"email": organizer, "displayName": names.get(organizer, organizer)},
    }
    body["created"] = rfc3339(moment_of(body["start"], zone) - timedelta(days=14))
    for key in ("location", "transparency", "visibility"):
        if key in event:
            body[key] = event[key]
    if event.get("status") == "cancelled":
        body["status"] = "cancelled"
    if event.get("recurrence"):
        body["recurrence"] = [shift.rule(line) for line in event["recurrence"]]
    if event.get("attendees"):
        body["attendees"] = [
            {
                "email": a["email"].lower(),
                "displayName": a.get("name", names.get(a["email"].lower(), "")),
                "responseStatus": a.get("response", "needsAction"),
                **({"organizer": True} if a["email"].lower() == organizer else {}),
            }
            for a in event["attendees"]
        ]
    if event.get("meet"):
        code = f"{event_id[:3]}-{event_id[3:7]}-{event_id[7:10]}"
        body["hangoutLink"] = f"https://meet.google.com/{code}"
        body["conferenceData"] = {
            "conferenceId": code,
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "entryPoints": [
                {"entryPointType": "video", "uri": body["hangoutLink"], "label": f"meet.google.com/{code}"}
            ],
        }
    invited = [a["email"] for a in body.get("attendees", []) if a["email"] != organizer]
    for owner in [organizer] + [e for e in invited if store.get("account", "", e) is not None]:
        Calendars(store, owner).insert(owner, dict(body), event_id)


def file_content(file: dict[str, Any]) -> tuple[bytes, str, str]:
    """A fixture file's bytes, MIME type and searchable text."""
    kind = file.get("type", "document")
    if kind in FILE_TYPES:
        if kind == "spreadsheet":
            data, _ = render({"format": "csv", "rows": file.get("rows", [])})
        else:
            data = str(file.get("body", "")).encode()
        return data, FILE_TYPES[kind], data.decode()
    data, mime_type = render({"format": kind, "title": file.get("title", file["name"]), "body": file.get("body", "")})
    return data, mime_type, str(file.get("body", ""))


def _add_file(store: Store, file: dict[str, Any], index: int, shift: Shift, zone_name: str) -> None:
    owner = file["owner"].lower()
    if store.get("account", "", owner) is None:
        raise WorkspaceError(f"file {index}: owner {owner} is not an account")
    data, mime_type, text = file_content(file)
    modified = shift.moment(file["modified"], zone_name)
    created = shift.moment(file.get("created", file["modified"]), zone_name)
    metadata = {
        "name": file["name"],
        "mimeType": mime_type,
        "description": file.get("description", ""),
        "starred": file.get("starred", False),
        "createdTime": rfc3339(created),
        "modifiedTime": rfc3339(modified),
    }
    drive = Drive(store, owner)
    created_file = drive.create(
        metadata, data, text, file_id=file.get("id") or fixture_id("file", owner, file["name"], file["modified"])
    )
    for share in file.get("shared_with", []):
        drive.share(
            created_file["id"], {"type": "user", "role": share.get("role", "reader"), "emailAddress": share["email"]}
        )
    if file.get("anyone"):
        drive.share(created_file["id"], {"type": "anyone", "role": file["anyone"]})
    if file.get("trashed"):
        record = store.get("file", "", created_file["id"])
        assert record is not None
        trashed = {**record["file"], "trashed": True, "explicitlyTrashed": True}
        drive.save(trashed, record["text"], touch=False)
