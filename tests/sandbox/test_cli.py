"""`concierge sandbox` as scripts use it: serving, listing accounts, minting tokens."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from google.oauth2.credentials import Credentials

from assistant.google.client import build_service
from sandbox.server import free_port
from tests.sandbox.conftest import ALEX, NOW, WORKSPACE


def concierge(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "sandbox", *args]


def test_serve_then_script_against_it(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "state"
    server = subprocess.Popen(
        concierge(
            "--port",
            str(port),
            "--workspace",
            str(WORKSPACE),
            "--state",
            str(state),
            "--now",
            NOW,
            "--token-lifetime",
            "120",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read() if server.stdout else ""
            time.sleep(0.1)
        accounts = subprocess.run(
            concierge("accounts", "--state", str(state)), capture_output=True, text=True, check=True
        )
        assert [line.split("\t")[0] for line in accounts.stdout.splitlines()] == [
            ALEX,
            "sarah@northwind.test",
            "omar@northwind.test",
        ]
        printed = subprocess.run(
            concierge("token", ALEX, "--state", str(state)), capture_output=True, text=True, check=True
        )
        answer = json.loads(printed.stdout)
        assert answer["base_url"] == base_url  # the address the server recorded
        drive = build_service("drive", Credentials(answer["access_token"]), answer["base_url"])
        assert drive.files().list(q="name contains 'invoice'", fields="files(name)").execute()["files"] == [
            {"name": "Invoice INV-1042.pdf"}
        ]
        unknown = subprocess.run(
            concierge("token", "nobody@northwind.test", "--state", str(state)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert unknown.returncode == 1 and "concierge sandbox accounts" in unknown.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_bad_arguments_are_reported(tmp_path: Path) -> None:
    bad_now = subprocess.run(
        concierge("accounts", "--state", str(tmp_path), "--now", "next tuesday"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad_now.returncode == 2 and "--now" in bad_now.stderr
    missing = subprocess.run(
        concierge("accounts", "--state", str(tmp_path), "--workspace", str(tmp_path / "none.json")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "none.json" in missing.stderr
