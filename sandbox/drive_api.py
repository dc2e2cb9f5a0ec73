"""Drive v3 endpoints (`/drive/v3/...`, uploads under `/upload/drive/v3/files`).

Without `fields`, responses carry Drive's defaults (`id`, `name`, `mimeType`, `kind`),
so callers must ask for what they need, as with Google.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from sandbox.api import Call, apply_fields, endpoint, write_endpoint
from sandbox.drive import Drive, exported, is_native
from sandbox.drive_query import compile_query
from sandbox.errors import ApiError, bad_request
from sandbox.mailbox import deliver_to_recipients
from sandbox.mime import Draft, build_message
from sandbox.uploads import Media, upload_routes

DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
SORT_KEYS = {"name", "modifiedTime", "createdTime", "folder", "starred", "recency", "name_natural", "viewedByMeTime"}


def _shape(call: Call, resource: dict[str, Any], default_fields: str) -> dict[str, Any]:
    """The full resource when `fields` is given (the endpoint masks it), else the defaults."""
    return resource if call.params.get("fields") else apply_fields(resource, default_fields)


def _text_of(media: Media) -> str:
    if media.mime_type.startswith("text/"):
        return media.data.decode("utf-8", errors="replace")
    return ""


def _sort(files: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    keys = [part.strip().split() for part in (order_by or "name").split(",") if part.strip()]
    for words in reversed(keys):
        key = words[0]
        if key not in SORT_KEYS or len(words) > 2 or (len(words) == 2 and words[1] != "desc"):
            raise bad_request(f"Invalid sorting key: {order_by}")
        field = {
            "recency": "modifiedTime",
            "name_natural": "name",
            "folder": "mimeType",
            "viewedByMeTime": "modifiedTime",
        }.get(key, key)
        files.sort(key=lambda f: str(f.get(field, "")).lower(), reverse=len(words) == 2)
    return files


async def list_files(call: Call) -> dict[str, Any]:
    drive = Drive(call.store, call.account)
    query = call.params.get("q")
    matches = compile_query(query) if query else None
    found = []
    for record in drive.records():
        view = drive.view(record["file"])
        if matches is None or matches({**view, "_text": record["text"]}, call.account):
            found.append(view)
    _sort(found, call.params.get("orderBy"))
    size = call.integer("pageSize", 100, 1000) or 100
    token = call.params.get("pageToken") or "0"
    if not token.isdigit():
        raise bad_request("Invalid pageToken.")
    start = int(token)
    result: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": found[start : start + size]}
    if start + size < len(found):
        result["nextPageToken"] = str(start + size)
    if call.params.get("fields"):
        return result
    result["files"] = [apply_fields(f, DEFAULT_FILE_FIELDS) for f in result["files"]]
    return result


async def get_file(call: Call) -> dict[str, Any] | Response:
    drive = Drive(call.store, call.account)
    record = drive.record(call.path("file_id"))
    file = record["file"]
    if call.params.get("alt") == "media":
        if is_native(file["mimeType"]):
            raise ApiError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                "fileNotDownloadable",
            )
        return Response(drive.content(file["id"]), media_type=file["mimeType"])
    return _shape(call, drive.view(file), DEFAULT_FILE_FIELDS)


async def export_file(call: Call) -> Response:
    drive = Drive(call.store, call.account)
    file = drive.record(call.path("file_id"))["file"]
    target = call.params.get("mimeType")
    if not target:
        raise bad_request("Required parameter: mimeType", "required")
    if not is_native(file["mimeType"]):
        raise ApiError(403, "Export only supports Docs Editors files.", "fileNotExportable")
    return Response(exported(file["mimeType"], drive.content(file["id"]), target), media_type=target)


async def create_file(call: Call) -> dict[str, Any]:
    return await upload_file(call, Media(call.json(), b"", "text/plain"))


async def upload_file(call: Call, media: Media) -> dict[str, Any]:
    metadata = dict(media.metadata)
    if not metadata.get("mimeType"):
        metadata["mimeType"] = media.mime_type
    file = Drive(call.store, call.account).create(metadata, media.data, _text_of(media))
    return _shape(call, Drive(call.store, call.account).view(file), DEFAULT_FILE_FIELDS)


async def update_file(call: Call) -> dict[str, Any]:
    drive = Drive(call.store, call.account)
    file = drive.update(call.path("file_id"), call.json())
    return _shape(call, drive.view(file), DEFAULT_FILE_FIELDS)


async def delete_file(call: Call) -> None:
    Drive(call.store, call.account).delete(call.path("file_id"))


async def about(call: Call) -> dict[str, Any]:
    account = call.store.get("account", "", call.account) or {"name": call.account}
    used = sum(
        len(Drive(call.store, call.account).content(r["file"]["id"]))
        for r in Drive(call.store, call.account).records()
        if r["file"]["owners"][0]["emailAddress"] == call.account
    )
    return {
        "kind": "drive#about",
        "user": {"kind": "drive#user", "displayName": account["name"], "emailAddress": call.account, "me": True},
        "storageQuota": {"limit": str(15 * 1024**3), "usage": str(used), "usageInDrive": str(used)},
    }


async def start_page_token(call: Call) -> dict[str, Any]:
    return {"kind": "drive#startPageToken", "startPageToken": str(call.store.seq)}


async def list_changes(call: Call) -> dict[str, Any]:
    drive = Drive(call.store, call.account)
    token = call.params.get("pageToken", "")
    if not token.isdigit():
        raise bad_request("Invalid Value", "invalid")
    include_removed = call.flag("includeRemoved", True)
    size = call.integer("pageSize", 100, 1000) or 100
    latest: dict[str, tuple[int, bool]] = {}
    for change in call.store.changes_after("", "drive", int(token)):
        if call.account in change.detail["viewers"]:
            latest.pop(change.id, None)
            latest[change.id] = (change.seq, change.detail["removed"])
    changes = []
    for file_id, (seq, removed) in latest.items():
        record = call.store.get("file", "", file_id)
        visible = record is not None and drive.can_see(record["file"])
        if (removed or not visible) and not include_removed:
            continue
        change: dict[str, Any] = {
            "kind": "drive#change",
            "changeType": "file",
            "fileId": file_id,
            "removed": removed or not visible,
            "time": call.store.now().isoformat(),
            "_seq": seq,
        }
        if record is not None and visible:
            change["file"] = _shape(call, drive.view(record["file"]), DEFAULT_FILE_FIELDS)
        changes.append(change)
    selected = changes[:size]
    for change in selected:
        change.pop("_seq")
    result: dict[str, Any] = {"kind": "drive#changeList", "changes": selected}
    if len(changes) > size:
        result["nextPageToken"] = str(changes[size - 1]["_seq"])
    else:
        result["newStartPageToken"] = str(call.store.seq)
    return result


async def list_permissions(call: Call) -> dict[str, Any]:
    file = Drive(call.store, call.account).record(call.path("file_id"))["file"]
    return {"kind": "drive#permissionList", "permissions": file.get("permissions", [])}


async def create_permission(call: Call) -> dict[str, Any]:
    drive = Drive(call.store, call.account)
    body = call.json()
    permission = drive.share(call.path("file_id"), body)
    file = drive.record(call.path("file_id"))["file"]
    notify = call.flag("sendNotificationEmail", default=body.get("type") in ("user", "group"))
    if notify and permission.get("emailAddress"):
        _notify(call, file, permission, call.params.get("emailMessage", ""))
    return permission


async def update_permission(call: Call) -> dict[str, Any]:
    return Drive(call.store, call.account).change_role(call.path("file_id"), call.path("permission_id"), call.json())


async def delete_permission(call: Call) -> None:
    Drive(call.store, call.account).unshare(call.path("file_id"), call.path("permission_id"))


def _notify(call: Call, file: dict[str, Any], permission: dict[str, Any], note: str) -> None:
    """The "shared with you" email Drive sends, delivered if the recipient is a sandbox account."""
    sharer = call.store.get("account", "", call.account) or {"name": call.account}
    verb = "edit" if permission["role"] in ("writer", "owner") else "view"
    text = (
        f"{sharer['name']} ({call.account}) has invited you to {verb} the following document:\n\n"
        f"{file['name']}\n{file['webViewLink']}\n"
    )
    if note:
        text += f"\n{note}\n"
    raw = build_message(
        Draft(
            sender=f'"{sharer["name"]} (via Google Drive)" <drive-shares-dm-noreply@google.com>',
            to=[permission["emailAddress"]],
            subject=f'Document shared with you: "{file["name"]}"',
            date=call.store.now(),
            text=text,
            extra_headers={"Reply-To": f"{sharer['name']} <{call.account}>"},
        )
    )
    deliver_to_recipients(call.store, raw)


FILES = "/drive/v3/files"
routes = [
    Route(FILES, endpoint("drive.files.list", list_files)),
    Route(FILES, write_endpoint("drive.files.create", create_file), methods=["POST"]),
    Route(FILES + "/{file_id}", endpoint("drive.files.get", get_file)),
    Route(FILES + "/{file_id}", write_endpoint("drive.files.update", update_file), methods=["PATCH"]),
    Route(FILES + "/{file_id}", write_endpoint("drive.files.delete", delete_file), methods=["DELETE"]),
    Route(FILES + "/{file_id}/export", endpoint("drive.files.export", export_file)),
    Route(FILES + "/{file_id}/permissions", endpoint("drive.permissions.list", list_permissions)),
    Route(
        FILES + "/{file_id}/permissions",
        write_endpoint("drive.permissions.create", create_permission),
        methods=["POST"],
    ),
    Route(
        FILES + "/{file_id}/permissions/{permission_id}",
        write_endpoint("drive.permissions.delete", delete_permission),
        methods=["DELETE"],
    ),
    Route(
        FILES + "/{file_id}/permissions/{permission_id}",
        write_endpoint("drive.permissions.update", update_permission),
        methods=["PATCH"],
    ),
    Route("/drive/v3/about", endpoint("drive.about.get", about)),
    Route("/drive/v3/changes/startPageToken", endpoint("drive.changes.getStartPageToken", start_page_token)),
    Route("/drive/v3/changes", endpoint("drive.changes.list", list_changes)),
    *upload_routes("/upload/drive/v3/files", "drive.files.create", upload_file),
]
