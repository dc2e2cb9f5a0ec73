"""Child processes: the web app's command line, starting, waiting for HTTP, stopping.

`concierge demo` and the pipeline benchmark both run the chat app and its helpers as
children; this is their one way to do it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from assistant.core.settings import PROJECT_ROOT


def web_app_command(host: str, port: int, root: Path = PROJECT_ROOT) -> list[str]:
    """The chat app and the HTTP API (one Chainlit process) on `host:port`, from the
    checkout at `root` (this one by default; start it with `start(..., root=root)`)."""
    chat_app = str(root / "chat_app.py")
    return [sys.executable, "-m", "chainlit", "run", chat_app, "--headless", "--host", host, "--port", str(port)]


def start(command: list[str], env: dict[str, str], root: Path = PROJECT_ROOT, **popen: Any) -> subprocess.Popen[bytes]:
    """`command` from the project's root with `env` (and any other Popen arguments).

    With `root`, another checkout of the project (a `git worktree` of another revision):
    from there, with `root` first on PYTHONPATH so that its packages shadow this
    checkout's (editable) install. The interpreter and the installed dependencies stay this
    checkout's."""
    if root.resolve() != PROJECT_ROOT:
        env = env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))}
    return subprocess.Popen(command, cwd=root, env=env, **popen)


def stop_child(process: subprocess.Popen[Any]) -> None:
    stop_children([process])


def stop_children(processes: Sequence[subprocess.Popen[Any]], grace: float = 10) -> None:
    """SIGTERM to all at once, then SIGKILL to whichever is still running after `grace`
    seconds in all (not `grace` each: four children ignoring SIGTERM took 40 s)."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_http(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    """Until `url` answers at all; exits if `process` ends first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            args = process.args
            shown = " ".join(map(str, args)) if isinstance(args, list | tuple) else str(args)
            raise SystemExit(f"{shown} exited early")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")
