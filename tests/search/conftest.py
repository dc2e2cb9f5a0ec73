"""Fixtures for search tests: a migrated database, the real embedder, two users' items."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis.asyncio

from assistant.core.db import create_engine
from assistant.core.settings import Settings
from search.embeddings import Embedder, QueryEmbeddingCache, get_embedder
from search.hybrid import HybridSearch
from search.indexing import Indexer
from search.runtime import ensure_account


@dataclass(frozen=True)
class Workspace:
    search: HybridSearch
    indexer: Indexer
    engine: object
    alice: tuple[uuid.UUID, uuid.UUID]
    bob: tuple[uuid.UUID, uuid.UUID]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings(embedding_model="minilm-l6-int8"))


@pytest.fixture
async def workspace(database_url: str, redis_url: str, embedder: Embedder) -> AsyncIterator[Workspace]:
    engine = create_engine(database_url)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield Workspace(
            search=HybridSearch(engine, QueryEmbeddingCache(embedder, client)),
            indexer=Indexer(engine, embedder),
            engine=engine,
            alice=await ensure_account(engine, "alice@example.com"),
            bob=await ensure_account(engine, "bob@example.com"),
        )
    finally:
        await client.aclose()
        await engine.dispose()


class ScriptedEmbeddings(BaseHTTPRequestHandler):
    """A local OpenAI-compatible /embeddings endpoint: a vector derived from each input."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        data = []
        # Returned out of order: the client must sort by `index`.
        for index, text in reversed(list(enumerate(body["input"]))):
            vector = [0.0] * 1536
            vector[len(text) % 1536] = 3.0
            data.append({"object": "embedding", "index": index, "embedding": vector})
        payload = {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
        encoded = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedEmbeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ScriptedEmbeddings.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
