"""Rate limits in Redis: token buckets shared by every app process.

A request needs one token in each bucket that applies to it, in this order:
- the caller's bucket for the endpoint, for the expensive ones (`ENDPOINT_LIMITS`, and
  `api_query_requests_per_minute` for `POST /query`);
- the caller's hourly bucket, sized by their tier (free 100, pro 1,000, enterprise
  10,000 per hour by default; the tier is stored on the user);
- the global bucket (all users: `api_global_requests_per_second`, one second of burst).
It takes one token from each only if all of them have one, in one atomic script
(`assistant.google.rate_limit.TAKE_SCRIPT`, on Redis's clock), so a refused request counts nowhere:
a user over their own limit cannot drain the global bucket for everyone else.
A refusal is a 429 naming the first empty bucket in that order, with `Retry-After`: the
seconds until every empty bucket has a token again.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import redis.asyncio

from assistant.api.errors import ApiError
from assistant.core.metrics import RATE_LIMITED
from assistant.core.settings import Settings
from assistant.google.rate_limit import TAKE_SCRIPT, read_reply, take_args


@dataclass(frozen=True)
class Limit:
    capacity: int
    per_seconds: float

    @property
    def per_second(self) -> float:
        return self.capacity / self.per_seconds


#: Per user, on top of the tier's hourly allowance: what costs LLM time or Google quota
#: (and "query", `api_query_requests_per_minute`).
ENDPOINT_LIMITS = {
    "actions": Limit(30, 60),
    "sync": Limit(6, 60),
    "token": Limit(10, 60),
}


@dataclass(frozen=True)
class Bucket:
    name: str  # the `RATE_LIMITED` label: "global", "user" or the endpoint
    key: str
    limit: Limit


class RateLimiter:
    def __init__(self, settings: Settings, redis: redis.asyncio.Redis) -> None:
        self.global_limit = Limit(settings.api_global_requests_per_second, 1)
        self.tiers = {
            "free": Limit(settings.api_requests_per_hour_free, 3600),
            "pro": Limit(settings.api_requests_per_hour_pro, 3600),
            "enterprise": Limit(settings.api_requests_per_hour_enterprise, 3600),
        }
        self.endpoints = ENDPOINT_LIMITS | {"query": Limit(settings.api_query_requests_per_minute, 60)}
        self._take = redis.register_script(TAKE_SCRIPT)

    def buckets(self, user_id: uuid.UUID, tier: str, endpoint: str | None) -> list[Bucket]:
        """The buckets a request needs a token from: the caller's own first, the global last."""
        buckets: list[Bucket] = []
        if endpoint is not None:
            buckets.append(Bucket(endpoint, f"concierge:api:rate:{endpoint}:{user_id}", self.endpoints[endpoint]))
        buckets.append(Bucket("user", f"concierge:api:rate:user:{user_id}", self.tiers.get(tier, self.tiers["free"])))
        buckets.append(Bucket("global", "concierge:api:rate:global", self.global_limit))
        return buckets

    async def check(self, user_id: uuid.UUID, tier: str, endpoint: str | None) -> None:
        """Take a token from every bucket that applies if all have one; otherwise take none and raise 429."""
        buckets = self.buckets(user_id, tier, endpoint)
        args = take_args(1, [(bucket.limit.capacity, bucket.limit.per_second) for bucket in buckets])
        refusal = read_reply(await self._take(keys=[bucket.key for bucket in buckets], args=args))
        if refusal is not None:
            empty = buckets[refusal.short]
            RATE_LIMITED.labels(empty.name).inc()
            raise _too_many(empty, tier, refusal.wait)


def _too_many(bucket: Bucket, tier: str, wait: float) -> ApiError:
    scope = {"global": "all users together", "user": f"your {tier} plan"}.get(bucket.name, f"{bucket.name} requests")
    limit = bucket.limit
    seconds = math.ceil(wait)
    return ApiError(
        429,
        "rate_limited",
        f"too many requests for {scope} ({limit.capacity} per {_period(limit.per_seconds)}); retry in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def _period(seconds: float) -> str:
    return {1: "second", 60: "minute", 3600: "hour"}.get(int(seconds), f"{seconds:g} s")
