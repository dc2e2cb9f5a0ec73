"""The sandbox's state: every account's mail, calendars and files, kept in SQLite.

Items (messages, labels, drafts, calendars, events, files, accounts) are JSON documents
keyed by (kind, owner, id), held in memory for fast reads and written through to
`sandbox.sqlite3` in the state directory, so a restart keeps everything. Large bodies
(raw MIME, file contents) live in a separate blob table.

One sequence number orders every change: Gmail history ids, Calendar sync tokens and
Drive page tokens are all positions in it, which gives them Google's "increasing with
gaps" shape. Each change is appended to the `changes` log. OAuth codes and tokens are
never cached in memory, so `concierge sandbox token` can mint a token from another
process while the server runs.

Open `Journal`s (see `sandbox/snapshots.py`) keep, copy-on-write, the version of every
item and blob from before its first write since the journal was opened.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Item = dict[str, Any]
STATE_FILE = "sandbox.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    kind TEXT NOT NULL, owner TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, owner, id)
);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_owner ON changes (owner, kind, seq);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, email TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, expires_at REAL, revoked INTEGER NOT NULL DEFAULT 0,
    parent TEXT, extra TEXT NOT NULL DEFAULT '{}'
);
"""


@dataclass(frozen=True)
class Change:
    seq: int
    owner: str
    kind: str
    id: str
    detail: dict[str, Any]


@dataclass
class Journal:
    """The versions that items and blobs had before their first write since it opened.

    Items are kept as the JSON text the database held (None: the item did not exist),
    blobs as their bytes (None: no such blob). Held in memory only.
    """

    items: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    blobs: dict[str, bytes | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Token:
    token: str
    kind: str  # "access", "refresh" or "code"
    email: str
    client_id: str
    scope: str
    expires_at: float | None
    revoked: bool
    parent: str | None
    extra: dict[str, Any]

    @property
    def live(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > time.time())


class Store:
    """All sandbox state. The server uses it from its one event loop; other threads may
    mint and revoke tokens (those run in transactions, which are serialised)."""

    def __init__(self, state_dir: Path, fixed_now: datetime | None = None) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STATE_FILE
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.fixed_now = fixed_now
        self._lock = threading.RLock()
        self._items: dict[str, dict[tuple[str, str], Item]] = {}
        for kind, owner, item_id, data in self.db.execute("SELECT kind, owner, id, data FROM items"):
            self._items.setdefault(kind, {})[(owner, item_id)] = json.loads(data)
        self._blobs: dict[str, bytes] = {}
        self._touched: set[tuple[str, str, str]] = set()  # written in the open transaction
        self.journals: list[Journal] = []  # open ones; each write keeps the prior version in them

    # --- time ---------------------------------------------------------------------------
    def now(self) -> datetime:
        """The workspace clock: the fixed `--now` when given, else the real time."""
        return self.fixed_now or datetime.now(UTC)

    # --- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; nested use joins the outer transaction.

        On an error the database rolls back and every item and blob the transaction
        touched is re-read from it, so memory never keeps a half-applied change. The
        lock keeps another thread (a test or a bench minting tokens while the server
        runs) from joining a transaction it did not open.
        """
        with self._lock:
            if self.db.in_transaction:
                yield
                return
            self.db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                self._reload_touched()
                raise
            finally:
                self._touched.clear()
            self.db.execute("COMMIT")

    def _track(self, kind: str, owner: str, item_id: str) -> None:
        if self.db.in_transaction:
            self._touched.add((kind, owner, item_id))

    def _reload_touched(self) -> None:
        for kind, owner, item_id in self._touched:
            if kind == "blob":
                self._blobs.pop(item_id, None)
                continue
            row = self.db.execute(
                "SELECT data FROM items WHERE kind = ? AND owner = ? AND id = ?", (kind, owner, item_id)
            ).fetchone()
            items = self._items.setdefault(kind, {})
            if row is None:
                items.pop((owner, item_id), None)
            else:
                items[(owner, item_id)] = json.loads(row[0])

    # --- meta and the sequence ----------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def seq(self) -> int:
        """The last sequence number handed out."""
        return int(self.meta("seq", "1000") or 1000)

    def next_seq(self, step: int = 1) -> int:
        value = self.seq + step
        self.set_meta("seq", str(value))
        return value

    def floor(self, name: str, owner: str) -> int:
        """Positions below this are too old to resume from (history 404, sync token 410)."""
        return int(self.meta(f"floor:{name}:{owner}", "0") or 0)

    def set_floor(self, name: str, owner: str, value: int) -> None:
        self.set_meta(f"floor:{name}:{owner}", str(value))

    # --- items --------------------------------------------------------------------------
    def get(self, kind: str, owner: str, item_id: str) -> Item | None:
        return self._items.get(kind, {}).get((owner, item_id))

    def all(self, kind: str, owner: str | None = None) -> list[Item]:
        items = self._items.get(kind, {})
        if owner is None:
            return list(items.values())
        return [item for (item_owner, _), item in items.items() if item_owner == owner]

    def put(self, kind: str, owner: str, item_id: str, data: Item) -> None:
        self._track(kind, owner, item_id)
        self._journal_item(kind, owner, item_id)
        self._items.setdefault(kind, {})[(owner, item_id)] = data
        self.db.execute(
            "INSERT OR REPLACE INTO items (kind, owner, id, data) VALUES (?, ?, ?, ?)",
            (kind, owner, item_id, json.dumps(data, separators=(",", ":"))),
        )

    def delete(self, kind: str, owner: str, item_id: str) -> None:
        self._track(kind, owner, item_id)
        self._journal_item(kind, owner, item_id)
        self._items.get(kind, {}).pop((owner, item_id), None)
        self.db.execute("DELETE FROM items WHERE kind = ? AND owner = ? AND id = ?", (kind, owner, item_id))

    # --- blobs --------------------------------------------------------------------------
    def blob(self, key: str) -> bytes:
        if key not in self._blobs:
            row = self.db.execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            self._blobs[key] = bytes(row[0])
        return self._blobs[key]

    def put_blob(self, key: str, data: bytes) -> None:
        self._track("blob", "", key)
        self._journal_blob(key)
        self._blobs[key] = data
        self.db.execute("INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)", (key, data))

    # --- journals (copy-on-write) --------------------------------------------------------
    def _journal_item(self, kind: str, owner: str, item_id: str) -> None:
        """Before an item's write: keep its stored version in the journals lacking it.

        The version comes from the database, not from memory, because callers may have
        changed the in-memory dict in place before writing it back (`Mailbox.modify`).
        """
        key = (kind, owner, item_id)
        waiting = [journal for journal in self.journals if key not in journal.items]
        if not waiting:
            return
        row = self.db.execute(
            "SELECT data FROM items WHERE kind = ? AND owner = ? AND id = ?", (kind, owner, item_id)
        ).fetchone()
        for journal in waiting:
            journal.items[key] = row[0] if row else None

    def _journal_blob(self, key: str) -> None:
        waiting = [journal for journal in self.journals if key not in journal.blobs]
        if not waiting:
            return
        try:
            original: bytes | None = self.blob(key)
        except KeyError:
            original = None
        for journal in waiting:
            journal.blobs[key] = original

    # --- the change log -----------------------------------------------------------------
    def record(self, owner: str, kind: str, item_id: str, detail: dict[str, Any]) -> int:
        """Append a change and return its sequence number."""
        seq = self.next_seq()
        self.db.execute(
            "INSERT INTO changes (seq, owner, kind, id, detail) VALUES (?, ?, ?, ?, ?)",
            (seq, owner, kind, item_id, json.dumps(detail)),
        )
        return seq

    def changes_after(self, owner: str, kind: str, after: int) -> list[Change]:
        rows = self.db.execute(
            "SELECT seq, owner, kind, id, detail FROM changes WHERE owner = ? AND kind = ? AND seq > ? ORDER BY seq",
            (owner, kind, after),
        )
        return [Change(seq, o, k, i, json.loads(d)) for seq, o, k, i, d in rows]

    def changes_since(self, after: int) -> list[Change]:
        """Every account's changes after a position, in order."""
        rows = self.db.execute("SELECT seq, owner, kind, id, detail FROM changes WHERE seq > ? ORDER BY seq", (after,))
        return [Change(seq, o, k, i, json.loads(d)) for seq, o, k, i, d in rows]

    # --- tokens -------------------------------------------------------------------------
    def add_token(
        self,
        token: str,
        kind: str,
        email: str,
        client_id: str,
        scope: str,
        lifetime: float | None,
        parent: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        expires_at = None if lifetime is None else time.time() + lifetime
        with self.transaction():
            self.db.execute(
                "INSERT INTO tokens (token, kind, email, client_id, scope, expires_at, parent, extra)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token, kind, email, client_id, scope, expires_at, parent, json.dumps(extra or {})),
            )

    def token(self, token: str) -> Token | None:
        row = self.db.execute(
            "SELECT token, kind, email, client_id, scope, expires_at, revoked, parent, extra"
            " FROM tokens WHERE token = ?",
            (token,),
        ).fetchone()
        if row is None:
            return None
        return Token(*row[:6], bool(row[6]), row[7], json.loads(row[8]))

    def revoke_token(self, token: str) -> bool:
        """Revoke a token and every token issued from it; False if it is unknown."""
        with self.transaction():
            cursor = self.db.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (token,))
            self.db.execute("UPDATE tokens SET revoked = 1 WHERE parent = ?", (token,))
        return cursor.rowcount > 0

    def expire_token(self, token: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE tokens SET expires_at = ? WHERE token = ?", (time.time() - 1, token))

    def close(self) -> None:
        self.db.close()
