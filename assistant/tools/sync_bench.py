"""`concierge bench sync`: how fast a linked account is mirrored.

Serves the demo workspace from a private sandbox (its own state, fixed clock), links its
main account to a benchmark user, and measures, in one run:
  1. a full sync of Gmail, Calendar and Drive with embedding replaced by constant
     vectors (the cost of fetching, parsing and writing);
  2. the same full sync with the real embedding model;
  3. an incremental Gmail sync after 10 new messages arrive.
Everything goes through the real client library, quota buckets and database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from search.embeddings import Embedder, Vectors

if TYPE_CHECKING:
    from sandbox.store import Store

BENCH_USER = "sync-bench@concierge.invalid"


class ConstantEmbeddings(Embedder):
    """The real model's chunking with a constant vector per piece: sync minus embedding."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.model_name = real.model_name
        self.dimensions = real.dimensions

    def chunk(self, text: str, header: str = "") -> list[str]:
        return self.real.chunk(text, header)

    def _embed_pieces(self, pieces: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(pieces), self.dimensions), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--now", default=None, help="the sandbox's fixed clock (default: the demo's own today)")


def run(args: argparse.Namespace) -> int:
    result = asyncio.run(bench(args, progress=not args.json))
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


async def bench(args: argparse.Namespace, *, progress: bool) -> dict[str, Any]:
    import httpx

    from assistant.core import migrate
    from assistant.core.db import short_lived_engine
    from assistant.core.embedded import service_urls
    from assistant.core.settings import get_settings
    from sandbox.api import Sandbox
    from sandbox.oauth import accounts_in_order
    from sandbox.server import DEMO_WORKSPACE, open_store, parse_now, start_in_thread
    from search.embeddings import get_embedder

    def say(message: str) -> None:
        if progress:
            print(message, file=sys.stderr, flush=True)

    settings = get_settings()
    urls = service_urls(settings)
    await asyncio.to_thread(migrate.upgrade, urls.database_url)
    state = Path(tempfile.mkdtemp(prefix="concierge-bench-sandbox-"))
    say("loading the demo workspace into a private sandbox")
    store = open_store(state, DEMO_WORKSPACE, now=parse_now(args.now) if args.now else None)
    sandbox = start_in_thread(Sandbox(store, control_enabled=True))
    main = accounts_in_order(store)[0]["email"]
    sync_settings = settings.model_copy(update={"google_api_base_url": sandbox.base_url})
    real = await asyncio.to_thread(get_embedder, settings)

    try:
        async with short_lived_engine(urls.database_url) as engine:
            say("full sync without embedding")
            bare_seconds, items = await _full_sync(
                engine, urls.redis_url, store, main, sync_settings, ConstantEmbeddings(real)
            )
            say(f"  {items} items in {bare_seconds:.1f}s; full sync with embedding")
            seconds, items = await _full_sync(engine, urls.redis_url, store, main, sync_settings, real)
            say(f"  {items} items in {seconds:.1f}s; 10 new messages, incremental sync")
            with httpx.Client(base_url=sandbox.base_url + "/_control") as control:
                for number in range(10):
                    answer = control.post(
                        f"/accounts/{main}/messages",
                        json={
                            "from": "Bench <bench@partner.test>",
                            "subject": f"Benchmark message {number}",
                            "text": f"Body of benchmark message {number}, about the quarterly plan.",
                        },
                    )
                    answer.raise_for_status()
            incremental_seconds = await _incremental_gmail(engine, urls.redis_url, main, sync_settings, real)
    finally:
        sandbox.stop()
        store.close()
        shutil.rmtree(state, ignore_errors=True)
    return {
        "items": items,
        "full_sync_seconds": round(seconds, 2),
        "items_per_s": round(items / seconds, 1),
        "items_per_s_without_embedding": round(items / bare_seconds, 1),
        "incremental_10_seconds": round(incremental_seconds, 3),
    }


async def _fresh_account(engine: Any, store: Store, email: str, client_id: str) -> uuid.UUID:
    """The id of `email`'s link to the bench user, created anew (the previous one deleted)."""
    from sqlalchemy import delete

    from assistant.core.db import session_factory
    from assistant.core.models import User
    from sandbox.linking import link_sandbox_account

    async with session_factory(engine)() as session:
        await session.execute(delete(User).where(User.email == BENCH_USER))
        _, account = await link_sandbox_account(
            session, store, user_email=BENCH_USER, account_email=email, client_id=client_id
        )
        await session.commit()
        return account.id


async def _full_sync(
    engine: Any, redis_url: str, store: Store, email: str, settings: Any, embedder: Embedder
) -> tuple[float, int]:
    import redis

    from sync.jobs import sync_every_service

    account_id = await _fresh_account(engine, store, email, settings.google_client_id)
    client = redis.Redis.from_url(redis_url)
    started = time.perf_counter()
    await sync_every_service(engine, client, account_id, full=True, settings=settings, embedder=embedder)
    seconds = time.perf_counter() - started
    items = await _cached_items(engine, account_id)
    client.close()
    return seconds, items


async def _incremental_gmail(engine: Any, redis_url: str, email: str, settings: Any, embedder: Embedder) -> float:
    import redis
    from sqlalchemy import select

    from assistant.core.db import session_factory
    from assistant.core.models import GoogleAccount, User
    from sync.jobs import sync_service

    async with session_factory(engine)() as session:
        account_id = (
            await session.execute(
                select(GoogleAccount.id).join(User).where(User.email == BENCH_USER, GoogleAccount.email == email)
            )
        ).scalar_one()
    client = redis.Redis.from_url(redis_url)
    started = time.perf_counter()
    outcome = await sync_service(engine, client, account_id, "gmail", settings=settings, embedder=embedder)
    seconds = time.perf_counter() - started
    client.close()
    if outcome.status != "ok" or outcome.full:
        raise RuntimeError(f"incremental sync ended {outcome}")
    return seconds


async def _cached_items(engine: Any, account_id: uuid.UUID) -> int:
    from sqlalchemy import text

    async with engine.connect() as connection:
        return (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM gmail_cache WHERE account_id = :a)"
                    " + (SELECT count(*) FROM gcal_cache WHERE account_id = :a)"
                    " + (SELECT count(*) FROM gdrive_cache WHERE account_id = :a)"
                ),
                {"a": account_id},
            )
        ).scalar_one()
