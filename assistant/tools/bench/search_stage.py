"""The search stage run concurrently (as the orchestrator runs a level) and one search
after another, on the same plans, in the same run.

The plans are the app's own (from the `plan` events of requests that searched several
services at once); each is timed both ways, alternating which goes first, through the
agents the app uses (`Concierge.agents`) and the user's own search context.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from assistant.plan import PlanStep


async def compare(
    settings: Any,
    database_url: str,
    redis_url: str,
    user_id: uuid.UUID,
    levels: list[list[dict[str, Any]]],
    repeats: int = 3,
) -> dict[str, Any]:
    from assistant.pipeline import Concierge

    concierge = Concierge.create(settings, database_url, redis_url)
    try:
        context = await concierge.context_for(user_id)

        async def concurrently(steps: list[PlanStep]) -> float:
            started = time.perf_counter()
            await asyncio.gather(*(concierge.agents[step.service].run(step, {}, context) for step in steps))
            return (time.perf_counter() - started) * 1000

        async def sequentially(steps: list[PlanStep]) -> float:
            started = time.perf_counter()
            for step in steps:
                await concierge.agents[step.service].run(step, {}, context)
            return (time.perf_counter() - started) * 1000

        together: list[float] = []
        one_by_one: list[float] = []
        ratios: list[float] = []
        for level in levels:
            steps = [
                PlanStep(
                    id=s["id"],
                    service=s["service"],
                    operation="search",
                    description=s["description"],
                    params=s["params"],
                )
                for s in level
            ]
            await concurrently(steps)  # warm: the query embeddings are cached from here on
            for repeat in range(repeats):
                if repeat % 2:
                    one, both = await sequentially(steps), await concurrently(steps)
                else:
                    both, one = await concurrently(steps), await sequentially(steps)
                together.append(both)
                one_by_one.append(one)
                ratios.append(both / one)
    finally:
        await concierge.close()
    return {
        "plans": len(levels),
        "repeats": repeats,
        "concurrent_p50_ms": round(statistics.median(together), 2) if together else None,
        "sequential_p50_ms": round(statistics.median(one_by_one), 2) if one_by_one else None,
        "ratio": round(statistics.median(ratios), 3) if ratios else None,
    }
