"""The sandbox state: it survives restarts, and a failed change leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.mailbox import Mailbox
from sandbox.server import open_store, parse_now
from sandbox.workspace import WorkspaceError
from tests.sandbox.conftest import ALEX, NOW, WORKSPACE


def test_restart_keeps_changes_and_does_not_reload(tmp_path: Path) -> None:
    store = open_store(tmp_path, WORKSPACE, now=parse_now(NOW))
    box = Mailbox(store, ALEX)
    message = box.messages()[0]
    box.trash(message["id"])
    seq = store.seq
    count = len(box.messages())
    store.close()

    reopened = open_store(tmp_path, WORKSPACE, now=parse_now(NOW))
    try:
        again = Mailbox(reopened, ALEX)
        assert "TRASH" in again.get(message["id"])["labelIds"]
        assert len(again.messages()) == count
        assert reopened.seq == seq
        assert again.raw(message["id"]) == box.raw(message["id"])
    finally:
        reopened.close()


def test_reset_discards_the_state(tmp_path: Path) -> None:
    store = open_store(tmp_path, WORKSPACE, now=parse_now(NOW))
    Mailbox(store, ALEX).delete(Mailbox(store, ALEX).messages()[0]["id"])
    count = len(store.all("message", ALEX))
    store.close()
    (tmp_path / "notes.txt").write_text("not the sandbox's")
    fresh = open_store(tmp_path, WORKSPACE, now=parse_now(NOW), reset=True)
    try:
        assert len(fresh.all("message", ALEX)) == count + 1
        assert (tmp_path / "notes.txt").read_text() == "not the sandbox's"
    finally:
        fresh.close()


def test_failed_transaction_leaves_memory_and_disk_unchanged(tmp_path: Path) -> None:
    store = open_store(tmp_path, WORKSPACE, now=parse_now(NOW))
    try:
        box = Mailbox(store, ALEX)
        message = box.messages()[0]
        before = list(message["labelIds"])
        count = len(box.messages())
        seq = store.seq
        with pytest.raises(RuntimeError), store.transaction():
            box.modify(message["id"], ["STARRED"], [])
            box.delete(box.messages()[1]["id"])
            raise RuntimeError("the client went away")
        assert box.get(message["id"])["labelIds"] == before
        assert len(box.messages()) == count
        assert store.seq == seq
        assert store.changes_after(ALEX, "gmail", seq) == []
    finally:
        store.close()


def test_invalid_workspace_is_reported_with_its_location(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        WORKSPACE.read_text().replace('"calendar": "omar@northwind.test"', '"calendar": "nobody@northwind.test"')
    )
    with pytest.raises(WorkspaceError, match=r"events\[3\].*nobody@northwind.test"):
        open_store(tmp_path / "state", broken)
    not_a_workspace = tmp_path / "other.json"
    not_a_workspace.write_text('{"emails": []}')
    with pytest.raises(WorkspaceError, match="format"):
        open_store(tmp_path / "state2", not_a_workspace)


def test_a_changed_workspace_is_reported_not_reloaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fixture = tmp_path / "workspace.json"
    fixture.write_text(WORKSPACE.read_text())
    open_store(tmp_path / "state", fixture, now=parse_now(NOW)).close()
    fixture.write_text(WORKSPACE.read_text().replace("Private quote for Omar", "Updated quote for Omar"))
    store = open_store(tmp_path / "state", fixture, now=parse_now(NOW))
    try:
        assert "--reset loads it again" in caplog.text
        subjects = {m["index"]["subject"] for m in store.all("message", "omar@northwind.test")}
        assert "Private quote for Omar" in subjects
    finally:
        store.close()
