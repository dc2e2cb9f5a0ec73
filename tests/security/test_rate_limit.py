"""Rate limits between users: one user's refused requests must not spend anyone else's.

The limiter runs against the session's real embedded Valkey (database 11, flushed before
and after each test) with limits small enough to reach in a few requests.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio

from assistant.api.errors import ApiError
from assistant.api.limits import RateLimiter
from assistant.core.settings import Settings

GLOBAL_KEY = "concierge:api:rate:global"


@pytest.fixture
async def valkey(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.from_url(f"{redis_url}?db=11")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def limiter(
    valkey: redis.asyncio.Redis, tmp_path: Path, *, per_second: int, per_hour: int, query_per_minute: int = 20
) -> RateLimiter:
    settings = Settings(
        data_dir=tmp_path,
        api_global_requests_per_second=per_second,
        api_requests_per_hour_free=per_hour,
        api_query_requests_per_minute=query_per_minute,
    )
    return RateLimiter(settings, valkey)


async def attempt(limiter: RateLimiter, user_id: uuid.UUID, endpoint: str | None = None) -> ApiError | None:
    """One request's check: None if it may go ahead, else the 429 it gets."""
    try:
        await limiter.check(user_id, "free", endpoint)
    except ApiError as error:
        assert error.status == 429 and error.code == "rate_limited"
        return error
    return None


async def tokens_now(valkey: redis.asyncio.Redis, key: str, capacity: float, per_second: float) -> float:
    """What the bucket at `key` holds at Redis's time now (a missing bucket is full)."""
    tokens, at = await valkey.hmget(key, ["tokens", "at"])
    seconds, micros = await valkey.time()
    now = seconds + micros / 1_000_000
    if tokens is None:
        return capacity
    return min(capacity, float(tokens) + max(0.0, now - float(at)) * per_second)


async def test_a_user_over_their_own_limit_leaves_the_global_bucket_to_others(
    valkey: redis.asyncio.Redis, tmp_path: Path
) -> None:
    """Alex's hourly allowance is 2 and the global 5 a second: his 8 refused requests
    must not take the 3 global tokens left, so Blake gets through straight after."""
    limits = limiter(valkey, tmp_path, per_second=5, per_hour=2)
    alex, blake = uuid.uuid4(), uuid.uuid4()
    answers = [await attempt(limits, alex) for _ in range(10)]
    blakes = await attempt(limits, blake)

    assert blakes is None, blakes
    assert answers[:2] == [None, None]
    refusals = [answer for answer in answers[2:] if answer is not None]
    assert len(refusals) == 8
    assert all("your free plan" in refusal.message for refusal in refusals), [r.message for r in refusals]


async def test_a_refused_request_takes_no_token_from_any_bucket(valkey: redis.asyncio.Redis, tmp_path: Path) -> None:
    """Refused by the per-endpoint bucket (1 query a minute), ten queries leave the tier's
    and the global bucket as they were: the tier still allows exactly 4 more requests."""
    limits = limiter(valkey, tmp_path, per_second=20, per_hour=5, query_per_minute=1)
    alex = uuid.uuid4()
    assert await attempt(limits, alex, "query") is None
    global_before = await tokens_now(valkey, GLOBAL_KEY, 20, 20)

    refusals = [await attempt(limits, alex, "query") for _ in range(10)]

    # The global bucket can only have refilled since; it lost nothing to the refusals.
    assert await tokens_now(valkey, GLOBAL_KEY, 20, 20) >= global_before
    # Of the tier's 5 an hour, the one accepted query took one: 4 remain, not 4 - 10.
    assert [await attempt(limits, alex) for _ in range(4)] == [None] * 4
    last = await attempt(limits, alex)
    assert last is not None and "your free plan" in last.message
    messages = [refusal.message if refusal is not None else None for refusal in refusals]
    assert all(message is not None and "query requests" in message for message in messages), messages


async def test_the_global_limit_still_holds_all_users_together(valkey: redis.asyncio.Redis, tmp_path: Path) -> None:
    """Ten users, each far under their own allowance, share 3 requests a second."""
    limits = limiter(valkey, tmp_path, per_second=3, per_hour=100)
    started = time.monotonic()
    answers = [await attempt(limits, uuid.uuid4()) for _ in range(10)]
    elapsed = time.monotonic() - started

    accepted = answers.count(None)
    assert answers[:3] == [None] * 3
    assert accepted <= 3 + math.ceil(elapsed * 3)  # the burst, plus what refilled meanwhile
    refusals = [answer for answer in answers if answer is not None]
    assert refusals and all("all users together" in refusal.message for refusal in refusals)
    assert all(refusal.headers == {"Retry-After": "1"} for refusal in refusals)  # a token every 1/3 s


async def test_retry_after_is_the_wait_until_the_request_would_pass(
    valkey: redis.asyncio.Redis, tmp_path: Path
) -> None:
    """2 an hour: a token every 1,800 s. The header and the message agree, and once the
    bucket is that many seconds older the request passes."""
    limits = limiter(valkey, tmp_path, per_second=50, per_hour=2)
    alex = uuid.uuid4()
    assert [await attempt(limits, alex) for _ in range(2)] == [None, None]
    refusal = await attempt(limits, alex)
    assert refusal is not None
    retry_after = int(refusal.headers["Retry-After"])
    assert 1790 <= retry_after <= 1800
    assert refusal.message.endswith(f"retry in {retry_after} s")
    assert "2 per hour" in refusal.message
    # Set the bucket's clock back by Retry-After, as if that much time had passed.
    key = f"concierge:api:rate:user:{alex}"
    await valkey.hset(key, "at", float(await valkey.hget(key, "at")) - retry_after)
    assert await attempt(limits, alex) is None


async def test_retry_after_waits_for_every_empty_bucket(valkey: redis.asyncio.Redis, tmp_path: Path) -> None:
    """One query empties both the query bucket (1 a minute) and the tier (1 an hour): the
    refusal names the query limit, but retrying after its 60 s would be refused again,
    so Retry-After is the tier's 3,600 s."""
    limits = limiter(valkey, tmp_path, per_second=50, per_hour=1, query_per_minute=1)
    alex = uuid.uuid4()
    assert await attempt(limits, alex, "query") is None
    refusal = await attempt(limits, alex, "query")
    assert refusal is not None and "query requests" in refusal.message
    assert 3590 <= int(refusal.headers["Retry-After"]) <= 3600
