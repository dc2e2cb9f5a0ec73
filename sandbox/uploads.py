"""Media uploads as Google accepts them on `/upload/...` paths.

`uploadType=media` (the body is the media), `multipart` (multipart/related: JSON
metadata, then the media) and `resumable` (a POST with the metadata answers 200 with a
`Location` session URI; PUTs with `Content-Range` send the bytes, answered 308 with a
`Range` header until the last chunk completes the upload).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email import policy
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


def _multipart(content_type: str, body: bytes) -> Media:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise bad_request("A multipart upload needs exactly two parts: metadata and media.")
    metadata_part, media_part = parts
    try:
        metadata = json.loads(metadata_part.get_payload(decode=True) or b"{}")
    except ValueError as exc:
        raise bad_request("The metadata part is not JSON.", "parseError") from exc
    data = media_part.get_payload(decode=True) or b""
    return Media(metadata, data, media_part.get_content_type())


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
        match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", call.request.headers.get("content-range", "bytes */*"))
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

