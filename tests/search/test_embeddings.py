"""The embedders on real models and the query cache on the real embedded Valkey."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio

from assistant.core.settings import Settings
from search.embeddings import (
    EmbeddingError,
    MiniLMEmbedder,
    OpenAIEmbedder,
    QueryEmbeddingCache,
    _verify_sha256,
    get_embedder,
)
from tests.search.conftest import ScriptedEmbeddings


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    embedder = get_embedder(Settings(embedding_model="minilm-l6-int8"))
    assert isinstance(embedder, MiniLMEmbedder)
    return embedder


def test_vectors_have_the_model_shape_and_unit_length(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed_documents(["Quarterly budget review", "Dinner with Sarah on Friday"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = minilm.embed_query("Quarterly budget review")
    assert query.shape == (384,)
    np.testing.assert_allclose(query, vectors[0], atol=1e-6)


def test_a_paraphrase_ranks_above_an_unrelated_sentence(minilm: MiniLMEmbedder) -> None:
    query = minilm.embed_query("emails about the budget")
    documents = minilm.embed_documents(
        ["Q4 financial review: spending forecast and cost plan", "The hiking trip photos are up"]
    )
    paraphrase, unrelated = documents @ query
    assert paraphrase > unrelated + 0.2


def test_the_factory_returns_one_shared_embedder() -> None:
    settings = Settings(embedding_model="minilm-l6-int8")
    assert get_embedder(settings) is get_embedder(Settings(embedding_model="minilm-l6-int8"))


def test_long_text_is_chunked_without_losing_any_of_it(minilm: MiniLMEmbedder) -> None:
    sentences = [f"Item {n} of the contract covers clause {n * 7} and its appendix." for n in range(300)]
    text = " ".join(sentences)
    chunks = minilm.chunk(text)
    assert len(chunks) > 5
    for sentence_words in (s.split() for s in sentences):
        assert any(" ".join(sentence_words[:3]) in chunk for chunk in chunks)
    assert chunks[0].startswith("Item 0") and chunks[-1].endswith("appendix.")
    # The whole text's vector is the mean of every chunk's, not just the first window's.
    whole = minilm.embed_documents([text])[0]
    first = minilm.embed_documents([chunks[0]])[0]
    assert float(whole @ first) < 0.999
    assert minilm.chunk("   ") == []
    np.testing.assert_array_equal(minilm.embed_documents([""])[0], np.zeros(384, np.float32))


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"not the model")
    with pytest.raises(EmbeddingError, match="sha256"):
        _verify_sha256(path, "0" * 64)


async def test_query_vectors_are_cached_in_redis_for_an_hour(minilm: MiniLMEmbedder, redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        cache = QueryEmbeddingCache(minilm, client)
        text = "budget emails from sarah (cache test)"
        await client.delete(cache.key(text))
        first = await cache.embed_query(text)
        ttl = await client.ttl(cache.key(text))
        assert 3500 < ttl <= 3600
        np.testing.assert_allclose(first, minilm.embed_query(text), atol=1e-6)
        # A second call is served from Redis: plant a different vector and get it back.
        planted = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
        await client.set(cache.key(text), planted.tobytes(), ex=60)
        np.testing.assert_array_equal(await cache.embed_query(text), planted)
    finally:
        await client.aclose()


async def test_concurrent_requests_for_one_text_share_one_computation(minilm: MiniLMEmbedder, redis_url: str) -> None:
    from assistant.core.metrics import CACHE_LOOKUPS

    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        cache = QueryEmbeddingCache(minilm, client)
        text = "budget emails from sarah (single-flight test)"
        await client.delete(cache.key(text))
        misses, hits = (CACHE_LOOKUPS.labels("query_embedding", outcome) for outcome in ("miss", "hit"))
        misses_before, hits_before = misses._value.get(), hits._value.get()
        vectors = await asyncio.gather(*(cache.embed_query(text) for _ in range(8)))
        assert (misses._value.get() - misses_before, hits._value.get() - hits_before) == (1, 7)
        for vector in vectors:
            np.testing.assert_allclose(vector, minilm.embed_query(text), atol=1e-6)
        assert not cache._in_flight  # nothing kept once answered
    finally:
        await client.aclose()


async def test_an_unreachable_redis_only_costs_the_cache(minilm: MiniLMEmbedder) -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        vector = await QueryEmbeddingCache(minilm, client).embed_query("budget")
        np.testing.assert_allclose(vector, minilm.embed_query("budget"), atol=1e-6)
    finally:
        await client.aclose()


def test_openai_embeddings_go_through_the_sdk_in_order(openai_server: str) -> None:
    settings = Settings(
        embedding_model="text-embedding-3-small", openai_api_key="sk-test", openai_base_url=openai_server
    )
    embedder = get_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder) and embedder.dimensions == 1536
    vectors = embedder.embed_documents(["a", "abc", "x" * 6000])
    assert vectors.shape == (3, 1536)
    assert vectors[0, 1] == pytest.approx(1.0) and vectors[1, 3] == pytest.approx(1.0)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    sent = ScriptedEmbeddings.requests[0]
    assert sent["model"] == "text-embedding-3-small"
    # The 6,000-character text went out in pieces that fit the API's input limit.
    assert len(sent["input"]) > 3 and max(len(t) for t in sent["input"]) <= 2500


def test_openai_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(EmbeddingError, match="OPENAI_API_KEY"):
        get_embedder(Settings(embedding_model="text-embedding-3-small", openai_api_key=None))
