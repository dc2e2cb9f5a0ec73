"""Model answers cached in Redis as pydantic JSON, so that asking again costs no model call
and gets the same answer.

Redis is an optimisation here: when it fails, the caller asks the model anyway and the
failure is logged; an entry that no longer reads as its model is dropped.
"""

from __future__ import annotations

import logging
from typing import Generic, TypeVar

import redis.asyncio
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from assistant.core.metrics import count_cache

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class ModelCache(Generic[M]):
    """Values of one pydantic model under keys of one `kind` ("intent", "rerank")."""

    def __init__(self, client: redis.asyncio.Redis, kind: str, model: type[M], ttl_seconds: int) -> None:
        self._client = client
        self.kind = kind
        self._model = model
        self.ttl_seconds = ttl_seconds

    async def get(self, key: str) -> M | None:
        try:
            raw = await self._client.get(key)
        except RedisError as exc:
            log.warning("%s cache unavailable: %s", self.kind, exc)
            return None
        count_cache(self.kind, raw is not None)
        if raw is None:
            return None
        try:
            return self._model.model_validate_json(raw)
        except ValidationError:
            log.warning("dropping an unreadable cached %s %s", self.kind, key)
            return None

    async def put(self, key: str, value: M) -> None:
        try:
            await self._client.set(key, value.model_dump_json(), ex=self.ttl_seconds)
        except RedisError as exc:
            log.warning("%s cache unavailable: %s", self.kind, exc)
