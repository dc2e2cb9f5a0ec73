"""Media uploads as Google accepts them on `/upload/...` paths.

`uploadType=media` (the body is the media), `multipart` (multipart/related: JSON
metadata, then the media) and `resumable` (a POST with the metadata answers 200 with a
`Location` session URI; PUTs with `Content-Range` send the bytes, answered 308 with a
`Range` header until the last chunk completes the upload).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from sandbox.api import Call, write_endpoint
from sandbox.errors import ApiError, bad_request


@dataclass(frozen=True)
class Media:
    metadata: dict[str, Any]
    data: bytes
    mime_type: str


UploadHandler = Callable[[Call, Media], Awaitable[dict[str, Any] | Response | None]]


def split_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart body as (lower-cased headers, raw bytes), bodies untouched.

    The stdlib email parser would parse a `message/rfc822` media part into a message
    object; uploads need its bytes exactly as sent.
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise bad_request("Missing multipart boundary.")
    delimiter = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            head, _, content = chunk.partition(b"\n\n")
        headers = {}
        unfolded = re.sub(r"\r?\n[ \t]+", " ", head.decode("latin-1"))  # RFC 5322 folding
        for line in unfolded.splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            content = base64.b64decode(content)
        parts.append((headers, content))
    return parts


def _multipart(content_type: str, body: bytes) -> Media:
    parts = split_multipart(content_type, body)
    if len(parts) != 2:
        raise bad_request("A multipart upload needs exactly two parts: metadata and media.")
    (_, metadata_bytes), (media_headers, data) = parts
    try:
        metadata = json.loads(metadata_bytes or b"{}")
    except ValueError as exc:
        raise bad_request("The metadata part is not JSON.", "parseError") from exc
    return Media(metadata, data, media_headers.get("content-type", "application/octet-stream").split(";")[0])


def upload_endpoint(method_id: str, handler: UploadHandler) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The POST (start / one-shot) and PUT (resumable chunk) handlers of an upload path."""

    async def start(call: Call) -> dict[str, Any] | Response | None:
        upload_type = call.params.get("uploadType", "media")
        content_type = call.request.headers.get("content-type", "application/octet-stream")
        if upload_type == "media":
            return await handler(call, Media({}, call.body_bytes, content_type.split(";")[0]))
        if upload_type == "multipart":
            return await handler(call, _multipart(content_type, call.body_bytes))
        if upload_type == "resumable":
            session = secrets.token_urlsafe(16)
            call.sandbox.uploads[session] = {
                "account": call.account,
                "metadata": call.json(),
                "mime_type": call.request.headers.get("x-upload-content-type", "application/octet-stream"),
                "data": bytearray(),
                "params": dict(call.params),
            }
            url = call.request.url.include_query_params(upload_id=session)
            return Response(status_code=200, headers={"Location": str(url)})
        raise bad_request(f"Invalid value '{upload_type}' for uploadType.")

    async def chunk(call: Call) -> dict[str, Any] | Response | None:
        session = call.sandbox.uploads.get(call.params.get("upload_id", ""))
        if session is None or session["account"] != call.account:
            raise ApiError(404, "The upload session was not found.", "notFound")
        match = re.fullmatch(
            r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", call.request.headers.get("content-range", "bytes */*")
        )
        if match is None:
            raise bad_request("Invalid Content-Range header.")
        first, _, total = match.groups()
        data: bytearray = session["data"]
        if first is not None:
            if int(first) != len(data):
                raise bad_request("The chunk does not start where the upload left off.")
            data.extend(call.body_bytes)
        if total == "*" or len(data) < int(total):
            headers = {"Range": f"bytes=0-{len(data) - 1}"} if data else {}
            return Response(status_code=308, headers=headers)
        del call.sandbox.uploads[call.params["upload_id"]]
        return await handler(call, Media(session["metadata"], bytes(data), session["mime_type"]))

    return write_endpoint(method_id, start), write_endpoint(method_id, chunk)


def upload_routes(path: str, method_id: str, handler: UploadHandler) -> list[Route]:
    post, put = upload_endpoint(method_id, handler)
    return [Route(path, post, methods=["POST"]), Route(path, put, methods=["PUT"])]
