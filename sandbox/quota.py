"""Per-user quota, as Gmail counts it: each method costs units, a user may spend so many
per minute, and an over-quota call answers 429 `rateLimitExceeded`. Off unless the
sandbox is started with `--quota UNITS_PER_MINUTE`; then slow, careless backfills meet
the same throttling they would meet at Google.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sandbox.errors import ApiError

# Gmail's published costs; other methods cost one unit (Google meters Calendar and
# Drive per request).
METHOD_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.messages.delete": 10,
    "gmail.users.messages.send": 100,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.get": 10,
    "gmail.users.history.list": 2,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.send": 100,
}


@dataclass
class Quota:
    """A token bucket per user: `units_per_minute` capacity, refilled continuously."""

    units_per_minute: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # user -> (units, at)

    def charge(self, user: str, method_id: str) -> None:
        now = time.monotonic()
        units, at = self.buckets.get(user, (self.units_per_minute, now))
        units = min(self.units_per_minute, units + (now - at) * self.units_per_minute / 60)
        cost = METHOD_UNITS.get(method_id, 1)
        if cost > units:
            self.buckets[user] = (units, now)
            wait = max(1, round((cost - units) * 60 / self.units_per_minute))
            raise ApiError(
                429,
                f"User-rate limit exceeded. Retry after {wait} seconds.",
                "rateLimitExceeded",
                domain="usageLimits",
                headers={"Retry-After": str(wait)},
            )
        self.buckets[user] = (units - cost, now)
