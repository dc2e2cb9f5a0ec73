"""The composition root: where a serving process's long-lived parts are built, once.

The chat UI (`chat_app.py`), the HTTP API (`assistant/api/routes.py`) and `concierge ask`
all take their `Concierge` from here, so they share one set of connections and models,
and every configured setting reaches all of them: the read replica
(`CONCIERGE_DATABASE_READ_URL`) serves every search, whichever door a request came in by.
The connections themselves come from `assistant.core.runtime` (configured URLs or the shared
embedded servers).
"""

from __future__ import annotations

from functools import lru_cache

from assistant.core import runtime
from assistant.core.settings import get_settings
from assistant.pipeline import Concierge


@lru_cache(maxsize=1)
def concierge() -> Concierge:
    """The process's assistant: the primary engine, the read engine (the replica when one
    is configured), and the process's Redis clients."""
    return Concierge(
        get_settings(),
        runtime.engine(),
        runtime.redis_client(),
        runtime.async_redis_client(),
        read_engine=runtime.read_engine(),
    )


def reset() -> None:
    """Forget the assistant (tests that switch settings), with the connections under it."""
    concierge.cache_clear()
    runtime.reset()
