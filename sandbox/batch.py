"""Batch requests (`POST /batch`, `/batch/calendar/v3`, `/batch/drive/v3`).

The body is `multipart/mixed`, each part an `application/http` request. Each is run
through the sandbox app itself, so it gets the same routing, authentication and faults
as a direct call, and the answers go back as `multipart/mixed` parts whose
`Content-ID` is `<response-ID>` for a request part `<ID>`.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from sandbox.errors import bad_request
from sandbox.uploads import split_multipart

MAX_PARTS = 100  # Google's limit per batch


async def _run(
    app: ASGIApp, method: str, target: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    url = urlsplit(target)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": url.path,
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    sent = False
    status, response_headers, chunks = 500, [], []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, response_headers
        if message["type"] == "http.response.start":
            status, response_headers = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, response_headers, b"".join(chunks)


def _parse_part(payload: bytes) -> tuple[str, str, list[tuple[str, str]], bytes]:
    head, _, body = payload.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    request_line = lines[0].split()
    if len(request_line) < 2:
        raise bad_request("Failed to parse batch request: bad request line.")
    headers = [
        (name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:] if ":" in line)
    ]
    return request_line[0], request_line[1], headers, body


async def batch(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/mixed"):
        return bad_request("Batch requests must be multipart/mixed.").response()
    parts = split_multipart(content_type, await request.body())
    if len(parts) > MAX_PARTS:
        return bad_request(f"Too many requests in batch; the limit is {MAX_PARTS}.").response()
    outer_auth = request.headers.get("authorization")
    boundary = "batch_" + secrets.token_hex(12)
    out: list[bytes] = []
    for part_headers, payload in parts:
        method, target, headers, body = _parse_part(payload)
        if outer_auth and not any(name.lower() == "authorization" for name, _ in headers):
            headers.append(("Authorization", outer_auth))
        status, response_headers, response_body = await _run(request.app, method, target, headers, body)
        content_id = part_headers.get("content-id", "")
        reply_id = "<response-" + content_id[1:] if content_id.startswith("<") else f"<response-{content_id}>"
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        head += [f"{k.decode()}: {v.decode()}" for k, v in response_headers if k.lower() != b"content-length"]
        head.append(f"Content-Length: {len(response_body)}")
        out.append(
            (
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {reply_id}\r\n\r\n"
                + "\r\n".join(head)
                + "\r\n\r\n"
            ).encode()
            + response_body
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(out), media_type=f"multipart/mixed; boundary={boundary}")


routes = [
    Route("/batch", batch, methods=["POST"]),
    Route("/batch/{api}/{version}", batch, methods=["POST"]),
]
