"""A local HTTP server that plays an OpenAI / Anthropic API from a script.

It serves `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic), JSON
or server-sent events when the request asks to stream. A request whose last message has a
line found in `by_line` gets that `Reply`; any other takes the next one from the script
(the last one repeats). Every request body is kept, so tests can see what the real SDKs
sent. Replies can take a model's time: a delay before answering, a pause per streamed piece.

`python -m tests.llm.scripted_server CONFIG.json` serves `{"script": [reply, ...],
"by_line": {line: reply}}` (replies as `Reply`'s fields) until terminated, printing its
URL first (`concierge bench pipeline` runs it so, as a model with realistic latency).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a model output (`content` text or `tool_input`), an error
    status, a delay before answering, or text pieces to stream, each `piece_interval`
    seconds after the one before (a model's token rate), with a stall of
    `stall_after_first` seconds after the first piece (a model that hangs mid-answer)."""

    content: str | None = None
    tool_input: Any = None
    status: int = 200
    delay: float = 0.0
    pieces: list[str] = field(default_factory=list)
    stall_after_first: float = 0.0
    piece_interval: float = 0.0


def _pauses(reply: Reply, first_piece: int) -> dict[int, float]:
    """Seconds to wait before sending each streamed event, by its index (the first
    piece's event is `first_piece`)."""
    pauses = {first_piece + n: reply.piece_interval for n in range(len(reply.pieces)) if reply.piece_interval}
    if reply.stall_after_first:
        pauses[first_piece + 1] = pauses.get(first_piece + 1, 0.0) + reply.stall_after_first
    return pauses


def _last_message_lines(body: dict[str, Any]) -> list[str]:
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content") or ""
    if isinstance(content, list):  # Anthropic's content blocks
        content = "\n".join(block.get("text", "") for block in content if isinstance(block, dict))
    return str(content).splitlines()


def _openai_body(reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _anthropic_body(reply: Reply, tool_name: str) -> dict[str, Any]:
    if reply.tool_input is not None:
        content = [{"type": "tool_use", "id": "toolu_test", "name": tool_name, "input": reply.tool_input}]
    else:
        content = [{"type": "text", "text": reply.content or ""}]
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "scripted",
        "content": content,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def _openai_events(reply: Reply) -> list[str]:
    chunks = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        for piece in reply.pieces
    ]
    return [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]


def _anthropic_events(reply: Reply) -> list[str]:
    message = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "scripted",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 0},
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
        )
        for piece in reply.pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(reply.pieces)},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]


class ScriptedServer:
    def __init__(
        self, script: list[Reply] | None = None, by_line: dict[str, Reply] | None = None, keep_requests: bool = True
    ) -> None:
        self.script: list[Reply] = list(script or [Reply(content="{}")])
        self.by_line: dict[str, Reply] = dict(by_line or {})
        self.keep_requests = keep_requests
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
                            {
                                "type": "error",
                                "error": {
                                    "type": "rate_limit_error" if reply.status == 429 else "api_error",
                                    "message": "scripted failure",
                                },
                            }
                            if anthropic
                            else {"error": {"message": "scripted failure", "type": "scripted", "code": None}}
                        )
                        self._send(reply.status, "application/json", [json.dumps(error)])
                    elif body.get("stream"):
                        events = _anthropic_events(reply) if anthropic else _openai_events(reply)
                        # Anthropic's first piece follows message_start and content_block_start.
                        self._send(200, "text/event-stream", events, _pauses(reply, first_piece=2 if anthropic else 0))
                    else:
                        tool = (body.get("tool_choice") or {}).get("name", "")
                        payload = _anthropic_body(reply, tool) if anthropic else _openai_body(reply)
                        self._send(200, "application/json", [json.dumps(payload)])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _send(
                self, status: int, content_type: str, parts: list[str], pauses: dict[int, float] | None = None
            ) -> None:
                """Send `parts`, waiting `pauses[i]` seconds before part i."""
                data = [part.encode() for part in parts]
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(sum(len(part) for part in data)))
                self.end_headers()
                if not pauses:
                    self.wfile.write(b"".join(data))
                    return
                for index, part in enumerate(data):
                    if pauses.get(index):
                        self.wfile.flush()
                        time.sleep(pauses[index])
                    self.wfile.write(part)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def _next(self, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.keep_requests:
                self.requests.append({"path": path, "body": body})
            for line in _last_message_lines(body):
                if line in self.by_line:
                    return self.by_line[line]
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


def main(config_path: str) -> None:
    """Serve the replies in a JSON file until SIGTERM; print the URL when ready."""
    config = json.loads(Path(config_path).read_text())
    server = ScriptedServer(
        [Reply(**reply) for reply in config.get("script", [])] or None,
        {line: Reply(**reply) for line, reply in config.get("by_line", {}).items()},
        keep_requests=False,  # a long run must not keep every request body
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with server:
        print(server.url, flush=True)
        stopped.wait()


if __name__ == "__main__":
    main(sys.argv[1])
