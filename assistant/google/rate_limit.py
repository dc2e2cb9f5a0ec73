"""Per-account token buckets in Redis, shared by every worker and app process.

Google meters Gmail in quota units (15,000 per user per minute; `messages.get` costs 5,
`messages.send` 100), so a bucket is filled and spent in units, not calls. The bucket
state lives in one Redis hash and is updated by a Lua script, so concurrent workers
never spend the same units twice; the script uses Redis's clock, not the callers'. The
script takes from several buckets at once, all or none (the API's limits use that);
`TokenBucket` calls it with one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis

# KEYS: the buckets' hashes. ARGV[1]: units wanted; then, for each key in order, its
# capacity and its refill in units per second. The units are taken from every bucket if
# every bucket holds them, and from none otherwise: a refused call changes nothing.
# Returns {short, wait}: short is the position (from 1) of the first bucket without the
# units, 0 if they were taken; wait is the seconds until every bucket holds them, as a
# string (Redis would truncate a Lua number to an integer).
TAKE_SCRIPT = """
local wanted = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = {}
local short = 0
local wait = 0
for i, key in ipairs(KEYS) do
    local capacity = tonumber(ARGV[2 * i])
    local rate = tonumber(ARGV[2 * i + 1])
    local state = redis.call('HMGET', key, 'tokens', 'at')
    local held = tonumber(state[1]) or capacity
    local at = tonumber(state[2]) or now
    tokens[i] = math.min(capacity, held + math.max(0, now - at) * rate)
    if tokens[i] < wanted then
        if short == 0 then
            short = i
        end
        wait = math.max(wait, (wanted - tokens[i]) / rate)
    end
end
if short == 0 then
    for i, key in ipairs(KEYS) do
        local capacity = tonumber(ARGV[2 * i])
        local rate = tonumber(ARGV[2 * i + 1])
        redis.call('HSET', key, 'tokens', tokens[i] - wanted, 'at', now)
        redis.call('PEXPIRE', key, math.ceil(capacity / rate * 1000) + 1000)
    end
end
return {short, tostring(wait)}
"""


@dataclass(frozen=True)
class Refusal:
    """`short`: the index (from 0, in KEYS' order) of the first bucket without the units;
    `wait`: the seconds until every bucket has them."""

    short: int
    wait: float


def take_args(units: float, buckets: Sequence[tuple[float, float]]) -> list[float]:
    """`TAKE_SCRIPT`'s ARGV: the units, then each bucket's (capacity, refill per second)."""
    return [units, *(value for bucket in buckets for value in bucket)]


def read_reply(reply: list[int | bytes]) -> Refusal | None:
    """`TAKE_SCRIPT`'s answer: None if the units were taken, else the refusal."""
    short, wait = int(reply[0]), float(reply[1])
    return None if short == 0 else Refusal(short - 1, wait)


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
        refusal = read_reply(self._take(keys=[self.key], args=take_args(units, [(self.capacity, self.per_second)])))
        return 0.0 if refusal is None else refusal.wait

    def take(self, units: float, *, timeout: float = 120.0) -> float:
        """Block until `units` are taken; return the seconds spent waiting."""
        started = time.monotonic()
        while (wait := self.try_take(units)) > 0:
            if time.monotonic() - started + wait > timeout:
                raise RateLimitTimeout(f"{self.key}: {units} units not available within {timeout}s")
            time.sleep(wait)
        return time.monotonic() - started
