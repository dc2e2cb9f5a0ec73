"""Drive files: storage, visibility, sharing and the change log.

Files are shared between accounts, so they are stored once (owner `""`) as
`{"file": {...Google's resource...}, "text": searchable text}` with their content in a
blob. An account sees the files it owns or has a permission on. Every change is logged
(kind `drive`) with the accounts that could see the file, so `changes.list` can tell
each account about it, removals included.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from typing import Any

from sandbox.calendars import rfc3339
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.store import Item, Store

FOLDER = "application/vnd.google-apps.folder"
DOCUMENT = "application/vnd.google-apps.document"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
PRESENTATION = "application/vnd.google-apps.presentation"
# What each Google-native type exports to, and how.
EXPORTS: dict[str, tuple[str, ...]] = {
    DOCUMENT: ("text/plain", "text/html", "text/markdown"),
    SPREADSHEET: ("text/csv", "text/tab-separated-values"),
    PRESENTATION: ("text/plain",),
}
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")


def content_key(file_id: str) -> str:
    return f"drive:{file_id}"


def new_file_id() -> str:
    return "1" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def is_native(mime_type: str) -> bool:
    return mime_type.startswith("application/vnd.google-apps.")


def exported(mime_type: str, content: bytes, target: str) -> bytes:
    """A native file's content (text, or CSV for sheets) converted to `target`."""
    if target not in EXPORTS.get(mime_type, ()):
        raise ApiError(400, "The requested conversion is not supported.", "badRequest")
    text = content.decode("utf-8")
    if target == "text/plain":
        return "\ufeff".encode() + text.encode()  # Google puts a BOM on text exports
    if target == "text/html":
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines())
        return f"<html><body>{paragraphs}</body></html>".encode()
    if target == "text/tab-separated-values":
        rows = list(csv.reader(io.StringIO(text)))
        return "\n".join("\t".join(row) for row in rows).encode()
    return content


class Drive:
    """Files as one account sees them."""

    def __init__(self, store: Store, account: str) -> None:
        self.store = store
        self.account = account

    @staticmethod
    def viewers(file: dict[str, Any]) -> list[str]:
        return [p["emailAddress"].lower() for p in file.get("permissions", []) if p.get("emailAddress")]

    def can_see(self, file: dict[str, Any]) -> bool:
        return self.account in self.viewers(file) or any(p["type"] == "anyone" for p in file.get("permissions", []))

    def role(self, file: dict[str, Any]) -> str | None:
        for permission in file.get("permissions", []):
            if permission.get("emailAddress", "").lower() == self.account:
                return str(permission["role"])
        return None

    def record(self, file_id: str) -> Item:
        record = self.store.get("file", "", file_id)
        if record is None or not self.can_see(record["file"]):
            raise not_found(f"File not found: {file_id}.")
        return record

    def records(self) -> list[Item]:
        return [r for r in self.store.all("file", "") if self.can_see(r["file"])]

    def view(self, file: dict[str, Any]) -> dict[str, Any]:
        """The resource as this account sees it (`ownedByMe`, `owners[].me`, capabilities)."""
        role = self.role(file)
        owners = [{**o, "me": o["emailAddress"] == self.account} for o in file["owners"]]
        return {
            **file,
            "owners": owners,
            "ownedByMe": role == "owner",
            "capabilities": {
                "canEdit": role in ("owner", "writer"),
                "canShare": role in ("owner", "writer"),
                "canDownload": True,
                "canTrash": role in ("owner", "writer"),
            },
        }

    def content(self, file_id: str) -> bytes:
        return self.store.blob(content_key(file_id))

    def save(
        self,
        file: dict[str, Any],
        text: str,
        previous_viewers: list[str] | None = None,
        content: bytes | None = None,
        touch: bool = True,
    ) -> dict[str, Any]:
        """Store a file version and log the change for everyone who could see it."""
        if touch:
            file["modifiedTime"] = rfc3339(self.store.now())
        file["shared"] = len(file.get("permissions", [])) > 1
        if content is not None:
            self.store.put_blob(content_key(file["id"]), content)
            if not is_native(file["mimeType"]):
                file["size"] = str(len(content))
                file["md5Checksum"] = hashlib.md5(content).hexdigest()
        viewers = sorted(set(self.viewers(file)) | set(previous_viewers or []))
        file["version"] = str(self.store.record("", "drive", file["id"], {"viewers": viewers, "removed": False}))
        self.store.put("file", "", file["id"], {"file": file, "text": text.lower()})
        return file

    def create(self, metadata: dict[str, Any], content: bytes, text: str, file_id: str | None = None) -> dict[str, Any]:
        if not metadata.get("name"):
            metadata = {**metadata, "name": "Untitled"}
        mime_type = metadata.get("mimeType") or "application/octet-stream"
        now = rfc3339(self.store.now())
        account = self.store.get("account", "", self.account) or {"name": self.account}
        file_id = file_id or new_file_id()
        kind = {DOCUMENT: "document", SPREADSHEET: "spreadsheets", PRESENTATION: "presentation"}.get(mime_type)
        link = (
            f"https://docs.google.com/{kind}/d/{file_id}/edit"
            if kind
            else f"https://drive.google.com/file/d/{file_id}/view"
        )
        owner = {"kind": "drive#user", "displayName": account["name"], "emailAddress": self.account}
        file = {
            "kind": "drive#file",
            "id": file_id,
            "name": metadata["name"],
            "mimeType": mime_type,
            "description": metadata.get("description", ""),
            "starred": bool(metadata.get("starred", False)),
            "trashed": False,
            "explicitlyTrashed": False,
            "parents": metadata.get("parents", ["root"]),
            "webViewLink": link,
            "createdTime": metadata.get("createdTime", now),
            "modifiedTime": metadata.get("modifiedTime", now),
            "owners": [owner],
            "lastModifyingUser": owner,
            "permissions": [
                {
                    "kind": "drive#permission",
                    "id": self.permission_id(self.account),
                    "type": "user",
                    "role": "owner",
                    "emailAddress": self.account,
                    "displayName": account["name"],
                }
            ],
        }
        return self.save(
            file, f"{file['name']} {file['description']} {text}", content=content, touch="modifiedTime" not in metadata
        )

    @staticmethod
    def permission_id(email: str) -> str:
        return str(int(hashlib.sha256(email.lower().encode()).hexdigest()[:15], 16))

    def update(self, file_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        record = self.record(file_id)
        if self.role(record["file"]) not in ("owner", "writer"):
            raise ApiError(
                403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
            )
        file = dict(record["file"])
        for key in ("name", "description", "starred", "trashed"):
            if key in changes:
                file[key] = changes[key]
        if "trashed" in changes:
            file["explicitlyTrashed"] = bool(changes["trashed"])
        old_text = record["text"]
        return self.save(file, old_text.replace(record["file"]["name"].lower(), file["name"].lower(), 1))

    def delete(self, file_id: str) -> None:
        record = self.record(file_id)
        if self.role(record["file"]) != "owner":
            raise ApiError(
                403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
            )
        self.store.record("", "drive", file_id, {"viewers": self.viewers(record["file"]), "removed": True})
        self.store.delete("file", "", file_id)

    def share(self, file_id: str, body: dict[str, Any]) -> dict[str, Any]:
        record = self.record(file_id)
        file = dict(record["file"])
        if self.role(file) not in ("owner", "writer"):
            raise ApiError(
                403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
            )
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone") or role not in ROLES:
            raise bad_request("Invalid permission type or role.", "invalid")
        email = str(body.get("emailAddress", "")).lower()
        if kind in ("user", "group") and "@" not in email:
            raise bad_request("The permission emailAddress field is required.", "required")
        account = self.store.get("account", "", email)
        permission = {
            "kind": "drive#permission",
            "id": self.permission_id(email) if email else "anyoneWithLink",
            "type": kind,
            "role": role,
        }
        if email:
            permission.update(emailAddress=email, displayName=(account or {}).get("name", email))
        file["permissions"] = [p for p in file["permissions"] if p["id"] != permission["id"]] + [permission]
        self.save(file, record["text"], touch=False)
        return permission

    def change_role(self, file_id: str, permission_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """permissions.update: a new role for a permission; the owner's stays the owner's
        (ownership moves only with transferOwnership, which the stand-in does not serve)."""
        record = self.record(file_id)
        file = dict(record["file"])
        if self.role(file) not in ("owner", "writer"):
            raise ApiError(
                403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
            )
        target = next((p for p in file["permissions"] if p["id"] == permission_id), None)
        if target is None:
            raise ApiError(404, f"Permission not found: {permission_id}.", "notFound")
        role = body.get("role")
        if role not in ROLES or role == "owner":
            raise bad_request("Invalid permission role.", "invalid")
        if target["role"] == "owner":
            raise ApiError(403, "The owner of a file cannot be changed this way.", "cannotModifyOwner")
        changed = {**target, "role": role}
        file["permissions"] = [changed if p["id"] == permission_id else p for p in file["permissions"]]
        self.save(file, record["text"], touch=False)
        return changed

    def unshare(self, file_id: str, permission_id: str) -> None:
        """permissions.delete: the owner's own permission cannot be removed."""
        record = self.record(file_id)
        file = dict(record["file"])
        if self.role(file) not in ("owner", "writer"):
            raise ApiError(
                403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
            )
        target = next((p for p in file["permissions"] if p["id"] == permission_id), None)
        if target is None:
            raise ApiError(404, f"Permission not found: {permission_id}.", "notFound")
        if target["role"] == "owner":
            raise ApiError(403, "The owner of a file cannot be removed.", "cannotRemoveOwner")
        file["permissions"] = [p for p in file["permissions"] if p["id"] != permission_id]
        self.save(file, record["text"], touch=False)
