"""A language model that stops answering: the offline provider answers within the budget.

The real OpenAI SDK talks to the scripted server (tests/llm), told to be slow. Each model
call may take `llm_timeout_seconds` and a timeout is not retried, so an answer costs at
most two timeouts (understanding, then writing) over the offline pipeline; after
`llm_circuit_failures` failures the model is skipped at once.
"""

from __future__ import annotations

import time
from datetime import datetime

import redis.asyncio

from assistant.core.settings import Settings
from assistant.pipeline import Concierge, DoneEvent
from tests.llm.scripted_server import Reply, ScriptedServer
from tests.sandbox.conftest import ALEX, NOW
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import sync_all

QUESTION = "emails from Sarah about the Q4 review"
TIMEOUT_SECONDS = 0.5
#: Far beyond any budget: only a timeout ends a call this slow.
SLOW_SECONDS = 15.0
#: Two timed-out calls, plus the offline pipeline on a busy 2-core machine.
BUDGET_SECONDS = 2 * TIMEOUT_SECONDS + 5.0


def with_model(settings: Settings, server: ScriptedServer, circuit_failures: int) -> Settings:
    return settings.model_copy(
        update={
            "llm_provider": "openai",
            "openai_api_key": None,
            "openai_base_url": f"{server.url}/v1",
            "llm_timeout_seconds": TIMEOUT_SECONDS,
            "llm_circuit_failures": circuit_failures,
            "llm_circuit_reset_seconds": 600.0,
            # Understanding and writing are what these tests time; a slow reranker keeps the
            # fused order within its own budget (tests/execution/test_rerank.py).
            "search_rerank": False,
        }
    )


async def ask(concierge: Concierge, linked: LinkedAccount) -> tuple[DoneEvent, float]:
    started = time.perf_counter()
    events = [e async for e in concierge.ask(linked.user_id, QUESTION, now=datetime.fromisoformat(NOW))]
    assert isinstance(events[-1], DoneEvent)
    return events[-1], time.perf_counter() - started


async def concierge_for(linked: LinkedAccount, settings: Settings, redis_url: str) -> Concierge:
    return Concierge(settings, linked.engine, linked.redis, redis.asyncio.Redis.from_url(redis_url))


async def test_a_model_that_times_out_is_replaced_by_the_offline_answer_within_the_budget(link, redis_url: str) -> None:
    linked: LinkedAccount = await link(ALEX)
    await sync_all(linked)
    offline, _ = await ask(await concierge_for(linked, linked.settings, redis_url), linked)
    assert offline.provider == "local" and offline.sources

    linked.redis.flushdb()  # nothing understood earlier is reused from the cache
    with ScriptedServer([Reply(content="{}", delay=SLOW_SECONDS)]) as server:
        concierge = await concierge_for(linked, with_model(linked.settings, server, circuit_failures=2), redis_url)
        first, seconds = await ask(concierge, linked)
        assert seconds < BUDGET_SECONDS
        assert len(server.requests) == 2  # understanding and writing, each tried once
        assert first.provider == "local"
        assert first.answer == offline.answer and [s.id for s in first.sources] == [s.id for s in offline.sources]

        # Two failures opened the breaker: the next message does not wait for the model.
        linked.redis.flushdb()
        second, _ = await ask(concierge, linked)
        assert len(server.requests) == 2
        assert second.answer == offline.answer


async def test_a_model_that_stalls_mid_answer_is_finished_offline(link, redis_url: str) -> None:
    linked: LinkedAccount = await link(ALEX)
    await sync_all(linked)
    offline, _ = await ask(await concierge_for(linked, linked.settings, redis_url), linked)

    linked.redis.flushdb()
    script = [
        Reply(content="{}", delay=SLOW_SECONDS),  # understanding: offline
        Reply(pieces=["Sarah wrote", " about the Q4 numbers"], stall_after_first=SLOW_SECONDS),
    ]
    with ScriptedServer(script) as server:
        concierge = await concierge_for(linked, with_model(linked.settings, server, circuit_failures=5), redis_url)
        done, seconds = await ask(concierge, linked)
    assert seconds < BUDGET_SECONDS
    # What the user already saw stays; the offline answer completes it.
    assert done.answer.startswith("Sarah wrote")
    assert offline.answer in done.answer
    assert [s.id for s in done.sources] == [s.id for s in offline.sources]
