"""Data at rest: what the embedded servers and the idempotency store leave on disk.

Valkey's snapshot and append-only files hold whatever the app keeps in Redis; they, and
the directories they sit in, must be the owner's alone. And what the idempotency store
keeps there must not reveal an answer to someone holding only the store (an RDB or AOF
file, a Redis dump): only the client with the Idempotency-Key can have it replayed.
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from pathlib import Path

import httpx
import redis

from assistant.core.embedded import EmbeddedServers
from tests.api.conftest import ApiUser, ask, unique_words
from tests.execution.conftest import World
from tests.support import connect

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _modes_under(top: Path) -> dict[str, int]:
    """Every directory and regular file under `top` (itself included), with its mode."""
    found = {str(top): _mode(top)}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_dir() or path.is_file():
                found[str(path)] = _mode(path)
    return found


def _assert_private(top: Path) -> None:
    """Directories 0700 and files 0600 under `top`; a socket at most 0700."""
    wrong = {}
    for name, mode in _modes_under(top).items():
        expected = PRIVATE_DIR if Path(name).is_dir() else PRIVATE_FILE
        if mode != expected:
            wrong[name] = oct(mode)
    assert not wrong, f"not private: {wrong}"
    for path in top.rglob("*"):
        if path.is_socket():
            assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"


def _assert_reachable_only_by_postgres(directory: Path, pgdata: Path) -> None:
    """Nobody but the owner may list `directory`; at most PostgreSQL's own group may pass
    through it (as root, pgserver runs PostgreSQL as another system user, which must
    reach its data directory below)."""
    mode = _mode(directory)
    assert mode & 0o007 == 0, f"{directory} is {oct(mode)}: open to everyone"
    if mode & 0o070:
        written_by_postgres = (pgdata / "PG_VERSION").stat()
        assert mode & 0o070 == 0o010, f"{directory} is {oct(mode)}: more than traversal for its group"
        assert written_by_postgres.st_uid != os.geteuid(), (
            f"{directory} is {oct(mode)} with no PostgreSQL of another user below"
        )
        assert directory.stat().st_gid == written_by_postgres.st_gid, (
            f"{directory}: traversal granted to a group not PostgreSQL's"
        )


async def _reload_postgres(database_url: str) -> None:
    """Make PostgreSQL read its configuration again, by its absolute path."""
    conn = await connect(database_url)
    try:
        assert await conn.fetchval("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _postgres_was_locked_out(pgdata: Path) -> list[str]:
    log = (pgdata / "log").read_text()
    return [line for line in log.splitlines() if "Permission denied" in line or "PANIC" in line]


def _write_and_persist(redis_url: str) -> None:
    """Data in Valkey, then a snapshot and an append-only rewrite on disk."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("concierge:test:secret", "the quarterly numbers, in confidence")
        client.save()
        client.bgrewriteaof()
        deadline = time.monotonic() + 10
        while client.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
            time.sleep(0.05)
        client.set("concierge:test:after-rewrite", "appended after the rewrite")
        client.execute_command("CONFIG", "REWRITE")  # Valkey rewrites its own config file too
    finally:
        client.close()


async def test_embedded_servers_keep_their_files_private(servers_dir: Path) -> None:
    servers = EmbeddedServers(servers_dir)
    endpoints = servers.acquire()
    try:
        assert endpoints.redis_url and endpoints.database_url
        _write_and_persist(endpoints.redis_url)
        assert any(servers.valkey_dir.glob("*.rdb")), "no snapshot written"
        assert any((servers.valkey_dir / "appendonlydir").iterdir()), "no append-only file written"

        _assert_private(servers.valkey_dir)
        for name in ["servers.lock", "holders.json"]:
            assert _mode(servers.root / name) == PRIVATE_FILE, name
        assert _mode(servers.pgdata) == PRIVATE_DIR
        _assert_reachable_only_by_postgres(servers_dir, servers.pgdata)
        _assert_reachable_only_by_postgres(servers.root, servers.pgdata)

        # Closed as they are, PostgreSQL (its own system user, as root) still reaches its
        # files: a reload reads postgresql.conf, and the shutdown writes global/pg_control.
        await _reload_postgres(endpoints.database_url)
    finally:
        servers.stop()
    assert _postgres_was_locked_out(servers.pgdata) == []


def test_directories_left_open_by_an_older_version_are_tightened(servers_dir: Path) -> None:
    valkey_dir = servers_dir / "embedded" / "valkey"
    valkey_dir.mkdir(parents=True)
    for directory in [servers_dir, servers_dir / "embedded", valkey_dir]:
        directory.chmod(0o755)
    (valkey_dir / "valkey.log").write_text("written by an older version\n")
    (valkey_dir / "valkey.log").chmod(0o644)

    servers = EmbeddedServers(servers_dir, postgres=False)
    endpoints = servers.acquire()
    try:
        assert endpoints.redis_url
        _write_and_persist(endpoints.redis_url)
        _assert_private(servers_dir)
    finally:
        servers.stop()


def test_the_idempotency_store_cannot_reveal_an_answer(
    api_url: str, alex: ApiUser, world: World, redis_url: str
) -> None:
    words = unique_words()
    key = str(uuid.uuid4())
    text = f"send an email to Daniel saying the vault code is {words}"
    _, raw = ask(api_url, alex, text, key=key)
    assert words in raw  # the answer (the draft's preview) carries the text
    # The replay comes once the answer is stored (it waits for it if need be).
    replay = httpx.post(
        f"{api_url}/query", json={"text": text}, headers=alex.headers | {"Idempotency-Key": key}, timeout=120
    )
    assert replay.status_code == 200 and replay.headers["idempotent-replay"] == "true"
    assert replay.text == raw

    store = redis.Redis.from_url(f"{redis_url}?db=8")
    try:
        entries = {name: store.get(name) or b"" for name in store.scan_iter("concierge:api:idempotency:*")}
    finally:
        store.close()
    assert any(b'"answer"' in value for value in entries.values()), "no answer stored for the Idempotency-Key"
    for name, value in entries.items():
        assert words.encode() not in value, f"{name!r} holds the answer in plaintext"
        assert key.encode() not in value and key.encode() not in name
        assert str(world.alex).encode() not in name, f"{name!r} names the user"
