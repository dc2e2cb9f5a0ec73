"""`Idempotency-Key`: a request repeated within five minutes gets the first one's answer.

The first request with a key claims it in Redis (`SET NX`), runs, and stores its answer
(status, media type, body: for `/query`, the whole event stream as sent). A repeat with
the same key and the same request gets that answer replayed; while the first is still
running, the repeat waits for it. The same key with a different request is refused
(422), as is a repeat after the first failed on our side (the claim is dropped, so the
next repeat runs afresh). Keys are per user: one user's key never touches another's.

What Redis holds cannot reveal an answer, nor whose it is, to someone who has only the
store (an RDB or append-only file, a dump): keys for the entry are derived (HKDF) from
the client's Idempotency-Key, a server secret and the user's id, and

- the entry's name is one of them, in hex: no user id, no Idempotency-Key;
- the request's fingerprint is kept as an HMAC under another, so a guess at what was
  asked cannot be checked against it;
- the answer is sealed with AES-256-GCM under a third, with the request's fingerprint
  as associated data: only a repeat of the same request with the same key opens it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass

import redis.asyncio
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from assistant.api.errors import ApiError
from assistant.core.crypto import load_key
from assistant.core.settings import get_settings

#: How long a claim and then its answer are kept. The claim must outlast the first run
#: (a repeat waits up to WAIT_SECONDS for it; were the claim gone sooner, the repeat would
#: run the request a second time), and the answer must outlast a client's own read timeout
#: (commonly 60-120 s) plus its back-off before the retry. Five minutes covers both with
#: room; the answer is unreadable without the client's key while it waits.
TTL_SECONDS = 300
#: How long a repeat waits for the first request before giving up with 409.
WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.1
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PREFIX = "concierge:api:idempotency:"
#: Binds the derived keys to this use (and version) of the server secret.
_HKDF_INFO = b"concierge api idempotency v1"
_DERIVED_KEY_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True)
class Recorded:
    status: int
    media_type: str
    body: str


@dataclass(frozen=True)
class _EntryKeys:
    """What one user's Idempotency-Key opens: the entry's name and its two keys."""

    name: str
    print_key: bytes
    answer_key: bytes


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotencyStore:
    def __init__(self, redis: redis.asyncio.Redis, secret: bytes | None = None) -> None:
        """`secret`: the server's part of the derived keys; by default the key the
        settings give for encryption at rest (`assistant.core.crypto.load_key`), which every
        app process of one deployment shares."""
        self.redis = redis
        self._secret = secret if secret is not None else load_key(get_settings())

    @staticmethod
    def check_key(key: str) -> str:
        if not _KEY.match(key):
            raise ApiError(422, "validation_error", "Idempotency-Key must be 1-255 visible ASCII characters")
        return key

    async def claim(self, user_id: uuid.UUID, key: str, request_print: str) -> Recorded | None:
        """None if this request is the first with the key (run it, then `finish` or `abandon`);
        otherwise the first one's answer, waited for if it is still running."""
        keys = self._keys(user_id, key)
        sealed_print = _seal_print(keys, request_print)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if await self.redis.set(keys.name, json.dumps({"print": sealed_print}), nx=True, ex=TTL_SECONDS):
                return None
            raw = await self.redis.get(keys.name)
            if raw is None:
                continue  # the first one failed and let go between our two calls: claim it
            stored = json.loads(raw)
            if not hmac.compare_digest(stored["print"], sealed_print):
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request in the last 5 minutes",
                )
            if "answer" in stored:
                return _open_answer(keys, request_print, stored["answer"])
            if time.monotonic() > deadline:
                raise ApiError(
                    409, "request_in_progress", "the first request with this Idempotency-Key is still running"
                )
            await asyncio.sleep(_POLL_SECONDS)

    async def finish(self, user_id: uuid.UUID, key: str, request_print: str, answer: Recorded) -> None:
        keys = self._keys(user_id, key)
        entry = {"print": _seal_print(keys, request_print), "answer": _seal_answer(keys, request_print, answer)}
        await self.redis.set(keys.name, json.dumps(entry), ex=TTL_SECONDS)

    async def abandon(self, user_id: uuid.UUID, key: str) -> None:
        await self.redis.delete(self._keys(user_id, key).name)

    def _keys(self, user_id: uuid.UUID, key: str) -> _EntryKeys:
        return _derive_keys(self._secret, user_id, key)


def _derive_keys(secret: bytes, user_id: uuid.UUID, key: str) -> _EntryKeys:
    """HKDF-SHA256 with the server secret as salt: its extract step is HMAC(secret,
    Idempotency-Key), so even a guessable key yields nothing without the secret; the
    user's id in the info keeps one user's entries apart from another's."""
    material = HKDF(
        algorithm=SHA256(),
        length=3 * _DERIVED_KEY_BYTES,
        salt=secret,
        info=_HKDF_INFO + user_id.bytes,
    ).derive(key.encode())
    name, print_key, answer_key = (
        material[i : i + _DERIVED_KEY_BYTES] for i in range(0, len(material), _DERIVED_KEY_BYTES)
    )
    return _EntryKeys(name=_PREFIX + name.hex(), print_key=print_key, answer_key=answer_key)


def _seal_print(keys: _EntryKeys, request_print: str) -> str:
    return hmac.new(keys.print_key, request_print.encode(), hashlib.sha256).hexdigest()


def _seal_answer(keys: _EntryKeys, request_print: str, answer: Recorded) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(keys.answer_key).encrypt(nonce, json.dumps(asdict(answer)).encode(), request_print.encode())
    return base64.b64encode(nonce + sealed).decode()


def _open_answer(keys: _EntryKeys, request_print: str, stored: str) -> Recorded:
    """The answer `_seal_answer` sealed. A tampered entry raises (`InvalidTag`): a 500,
    never someone else's answer."""
    raw = base64.b64decode(stored)
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    return Recorded(**json.loads(AESGCM(keys.answer_key).decrypt(nonce, sealed, request_print.encode())))
