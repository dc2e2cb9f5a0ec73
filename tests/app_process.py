"""The real app as `concierge demo` runs it, for tests that talk to it over HTTP:
`chainlit run chat_app.py` (chat UI and HTTP API) and an RQ worker, in subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from assistant.core.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "w") as log:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def running_app(settings: dict[str, str], log_dir: Path, name: str = "chainlit") -> Iterator[str]:
    """Start the app and a worker with these CONCIERGE_* variables; yield the app's URL.

    Give it a Redis database of its own (`...?db=N`): its worker must not take other
    tests' queued jobs.
    """
    port = free_port()
    env = os.environ | settings
    app_log = log_dir / f"{name}.log"
    app = _start(
        [sys.executable, "-m", "chainlit", "run", "chat_app.py", "--headless", "--port", str(port)], env, app_log
    )
    worker = _start([sys.executable, "-m", "assistant.cli", "worker"], env, log_dir / f"{name}-worker.log")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if app.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chainlit did not start:\n{app_log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        for process in (app, worker):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
