"""Per-account token buckets in Redis, shared by every worker and app process.

Google meters Gmail in quota units (15,000 per user per minute; `messages.get` costs 5,
`messages.send` 100), so a bucket is filled and spent in units, not calls. The bucket
state lives in one Redis hash and is updated by a Lua script, so concurrent workers
never spend the same units twice; the script uses Redis's clock, not the callers'.
"""

from __future__ import annotations

import time

from redis import Redis

# KEYS[1]: bucket hash. ARGV: capacity, refill units per second, units wanted.
# Returns the seconds to wait before the units are available (0: taken now).
TAKE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= wanted then
    tokens = tokens - wanted
else
    wait = (wanted - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return tostring(wait)
"""


class RateLimitTimeout(Exception):
    """The units could not be had within the caller's deadline."""


class TokenBucket:
    """`capacity` units that refill continuously at `per_second` units per second."""

    def __init__(self, redis: Redis, key: str, *, capacity: float, per_second: float) -> None:
        if capacity <= 0 or per_second <= 0:
            raise ValueError("a bucket needs a positive capacity and refill rate")
        self.redis = redis
        self.key = key
        self.capacity = capacity
        self.per_second = per_second
        self._take = redis.register_script(TAKE_SCRIPT)

    def try_take(self, units: float) -> float:
        """Take `units` now if they are there; otherwise return the seconds to wait."""
        if units > self.capacity:
            raise ValueError(f"{units} units can never fit a bucket of {self.capacity}")
        return float(self._take(keys=[self.key], args=[self.capacity, self.per_second, units]))

    def take(self, units: float, *, timeout: float = 120.0) -> float:
        """Block until `units` are taken; return the seconds spent waiting."""
        started = time.monotonic()
        while (wait := self.try_take(units)) > 0:
            if time.monotonic() - started + wait > timeout:
                raise RateLimitTimeout(f"{self.key}: {units} units not available within {timeout}s")
            time.sleep(wait)
        return time.monotonic() - started
