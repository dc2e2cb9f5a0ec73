"""A local HTTP server that plays an OpenAI / Anthropic API from a script.

It serves `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic), JSON
or server-sent events when the request asks to stream. Each request takes the next
`Reply` from the script (the last one repeats), and every request body is kept, so tests
can see what the real SDKs sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a model output (`content` text or `tool_input`), an error
    status, a delay before answering, or text pieces to stream (with a stall of
    `stall_after_first` seconds after the first piece, as a model that hangs mid-answer)."""

    content: str | None = None
    tool_input: Any = None
    status: int = 200
    delay: float = 0.0
    pieces: list[str] = field(default_factory=list)
    stall_after_first: float = 0.0


def _openai_body(reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{
            "index": 0, "finish_reason": "stop", "logprobs": None,
            "message": {"role": "assistant", "content": reply.content, "refusal": None},
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _anthropic_body(reply: Reply, tool_name: str) -> dict[str, Any]:
    if reply.tool_input is not None:
        content = [{"type": "tool_use", "id": "toolu_test", "name": tool_name, "input": reply.tool_input}]
    else:
        content = [{"type": "text", "text": reply.content or ""}]
    return {
        "id": "msg_test", "type": "message", "role": "assistant", "model": "scripted",
        "content": content, "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }  # fmt: skip


def _openai_events(reply: Reply) -> list[str]:
    chunks = [
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in reply.pieces
    ]  # fmt: skip
    return [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]


def _anthropic_events(reply: Reply) -> list[str]:
    message = {
        "id": "msg_test", "type": "message", "role": "assistant", "model": "scripted", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 0},
    }  # fmt: skip
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
        for piece in reply.pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": len(reply.pieces)}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]


class ScriptedServer:
    def __init__(self, script: list[Reply] | None = None) -> None:
        self.script: list[Reply] = list(script or [Reply(content="{}")])
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                reply = server._next(self.path, body)
                if reply.delay:
                    time.sleep(reply.delay)
                anthropic = self.path.endswith("/messages")
                try:
                    if reply.status != 200:
                        error = (
                            {"type": "error", "error": {"type": "rate_limit_error" if reply.status == 429 else "api_error", "message": "scripted failure"}}
                            if anthropic
                            else {"error": {"message": "scripted failure", "type": "scripted", "code": None}}
                        )
                        self._send(reply.status, "application/json", [json.dumps(error)])
                    elif body.get("stream"):
                        events = _anthropic_events(reply) if anthropic else _openai_events(reply)
                        # Anthropic's first piece follows message_start and content_block_start.
                        first_piece_events = 3 if anthropic else 1
                        self._send(200, "text/event-stream", events, stall=(first_piece_events, reply.stall_after_first))
                    else:
                        tool = (body.get("tool_choice") or {}).get("name", "")
                        payload = _anthropic_body(reply, tool) if anthropic else _openai_body(reply)
                        self._send(200, "application/json", [json.dumps(payload)])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _send(self, status: int, content_type: str, parts: list[str], stall: tuple[int, float] = (0, 0.0)) -> None:
                """Send `parts`, pausing `stall[1]` seconds after the first `stall[0]` of them."""
                data = [part.encode() for part in parts]
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(sum(len(part) for part in data)))
                self.end_headers()
                sent_before_stall, seconds = stall
                if seconds:
                    self.wfile.write(b"".join(data[:sent_before_stall]))
                    self.wfile.flush()
                    time.sleep(seconds)
                    data = data[sent_before_stall:]
                self.wfile.write(b"".join(data))

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def _next(self, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append({"path": path, "body": body})
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
