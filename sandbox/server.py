"""Opening the sandbox state (loading a workspace into a fresh one) and serving it."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn

from sandbox.api import Sandbox
from sandbox.app import create_app
from sandbox.store import STATE_FILE, Store
from sandbox.workspace import load, read

log = logging.getLogger("concierge.sandbox")

# httplib2 (under google-api-python-client) reuses idle connections and does not retry a
# POST on one the server has closed; Google keeps them open for minutes, so must we.
KEEP_ALIVE_SECONDS = 300

DEMO_WORKSPACE = Path(__file__).resolve().parent / "demo" / "workspace.json"


def parse_now(value: str) -> datetime:
    """`--now`: an ISO date (midnight UTC) or date-time (UTC when no offset is given)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def open_store(state_dir: Path, workspace: Path, now: datetime | None = None, reset: bool = False) -> Store:
    """The state in `state_dir`, loading `workspace` first if the state is new (or reset).

    A new state is shifted so that the workspace's `today` is the date of `now` (or of
    the real now) in the workspace's time zone.
    """
    if reset:
        # only the sandbox's own files: --state may name a directory holding other things
        for name in (STATE_FILE, STATE_FILE + "-wal", STATE_FILE + "-shm"):
            (state_dir / name).unlink(missing_ok=True)
    fixture = read(workspace)
    digest = hashlib.sha256(json.dumps(fixture, sort_keys=True).encode()).hexdigest()
    store = Store(state_dir, fixed_now=now)
    try:
        if not store.all("account"):
            zone = ZoneInfo(fixture.get("timezone", "UTC"))
            target: date = (now or datetime.now(UTC)).astimezone(zone).date()
            load(store, fixture, target)
            store.set_meta("workspace_digest", digest)
        elif store.meta("workspace_digest") != digest:
            log.warning("%s changed since %s was loaded; --reset loads it again", workspace, store.path)
    except BaseException:
        store.close()
        raise
    return store


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningSandbox:
    """A sandbox served from a background thread (tests, scripts); `stop()` ends it."""

    sandbox: Sandbox
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int | None = None) -> RunningSandbox:
    port = port or free_port(host)
    config = uvicorn.Config(
        create_app(sandbox),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.02)
    return RunningSandbox(sandbox, server, thread, f"http://{host}:{port}")


def serve(sandbox: Sandbox, host: str, port: int) -> None:
    sandbox.store.set_meta("base_url", f"http://{host}:{port}")
    uvicorn.run(
        create_app(sandbox),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
