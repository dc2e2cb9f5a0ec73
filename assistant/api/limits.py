"""Rate limits in Redis: token buckets shared by every app process.

A request takes one token from each of, in order:
- the global bucket (all users: `api_global_requests_per_second`, one second of burst);
- the caller's hourly bucket, sized by their tier (free 100, pro 1,000, enterprise
  10,000 per hour by default; the tier is stored on the user);
- the caller's bucket for the endpoint, for the expensive ones (`ENDPOINT_LIMITS`, and
  `api_query_requests_per_minute` for `POST /query`).
The first empty bucket answers 429 with `Retry-After`: the seconds until it has a token.
The buckets are `sync.rate_limit`'s script (Redis's clock, atomic), called asynchronously.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import redis.asyncio

from assistant.api.errors import ApiError
from assistant.metrics import RATE_LIMITED
from assistant.settings import Settings
from sync.rate_limit import TAKE_SCRIPT


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

    async def check(self, user_id: uuid.UUID, tier: str, endpoint: str | None) -> None:
        """Take a token from each bucket that applies, or raise 429."""
        buckets = [("global", "concierge:api:rate:global", self.global_limit)]
        buckets.append(("user", f"concierge:api:rate:user:{user_id}", self.tiers.get(tier, self.tiers["free"])))
        if endpoint is not None:
            buckets.append((endpoint, f"concierge:api:rate:{endpoint}:{user_id}", self.endpoints[endpoint]))
        for name, key, limit in buckets:
            wait = float(await self._take(keys=[key], args=[limit.capacity, limit.per_second, 1]))
            if wait > 0:
                RATE_LIMITED.labels(name).inc()
                scope = {"global": "all users together", "user": f"your {tier} plan"}.get(name, f"{name} requests")
                raise ApiError(
                    429,
                    "rate_limited",
                    f"too many requests for {scope} ({limit.capacity} per {_period(limit.per_seconds)}); retry in {math.ceil(wait)} s",
                    headers={"Retry-After": str(math.ceil(wait))},
                )


def _period(seconds: float) -> str:
    return {1: "second", 60: "minute", 3600: "hour"}.get(int(seconds), f"{seconds:g} s")
