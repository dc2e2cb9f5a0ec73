"""A bounded, self-stopping load generator for `POST /query`, and what it measured.

`drive` runs N simulated users, each with its own bearer token, HTTP connection and
random stream of conversations (`mix.Mix`), one request at a time with an optional think
time between, until the duration is over or the request budget is spent; requests in
flight then finish (or time out). Each request records when each server-sent event first
arrived, relative to when it was sent:

    intent ─ plan ─ first step event ... last step event ─ first token ─ ... ─ done

and `summary` turns the records into latency percentiles per stage and end to end, time to
first token, throughput and the error rate.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.tools.bench.mix import Kind, Mix, Turn
from assistant.tools.search_bench import percentiles

STEP_EVENTS = ("step_finished", "step_failed", "step_skipped", "action_required")
#: Events whose data the generator reads; token events (most of the stream) are only timed.
PARSED = {"intent", "plan", "done", "error", *STEP_EVENTS}
CACHE_LINE = re.compile(
    r'^concierge_cache_lookups_total\{cache="(?P<cache>[^"]+)",result="(?P<result>[^"]+)"\} (?P<count>\S+)$', re.M
)


@dataclass
class Request:
    kind: Kind
    #: Milliseconds from sending to the first arrival of each event name.
    first: dict[str, float] = field(default_factory=dict)
    #: Milliseconds from sending to the last step event.
    last_step_ms: float | None = None
    error: str | None = None
    intent_provider: str | None = None
    answer_provider: str | None = None
    #: What the steps that failed said (`step_failed` events).
    step_failures: list[str] = field(default_factory=list)
    #: The plan's first level when it searched several services at once.
    parallel_searches: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Budget:
    """Until when, and how many requests, the users may still start."""

    deadline: float
    remaining: int | None

    def take(self) -> bool:
        if time.perf_counter() >= self.deadline or self.remaining == 0:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class Run:
    concurrency: int
    seconds: float
    requests: list[Request]


async def drive(
    base_url: str,
    tokens: list[str],
    mix: Mix,
    *,
    duration: float,
    requests: int | None = None,
    think: float = 0.0,
    timeout: float = 60.0,
    seed: int = 0,
) -> Run:
    """One user per token, until `duration` seconds are over or `requests` have been sent."""
    budget = Budget(time.perf_counter() + duration, requests)
    done: list[Request] = []

    async def user(number: int, token: str) -> None:
        rng = random.Random(seed * 1000 + number)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout) as client:
            while True:
                conversation_id = None
                for turn in mix.conversation(rng):
                    if not budget.take():
                        return
                    request, conversation_id = await ask(client, turn, conversation_id)
                    done.append(request)
                    if think:
                        await asyncio.sleep(rng.expovariate(1 / think))
                    if not request.ok:
                        break

    started = time.perf_counter()
    await asyncio.gather(*(user(number, token) for number, token in enumerate(tokens)))
    return Run(len(tokens), time.perf_counter() - started, done)


async def ask(client: httpx.AsyncClient, turn: Turn, conversation_id: str | None) -> tuple[Request, str | None]:
    """One `POST /query`, timed event by event; the conversation to continue after it."""
    request = Request(turn.kind)
    body: dict[str, Any] = {"text": turn.text} | ({"conversation_id": conversation_id} if conversation_id else {})
    started = time.perf_counter()
    try:
        async with client.stream("POST", "/query", json=body) as response:
            if response.status_code != 200:
                request.error = (
                    f"HTTP {response.status_code}: {(await response.aread())[:200].decode(errors='replace')}"
                )
                return request, conversation_id
            name = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                    elapsed = (time.perf_counter() - started) * 1000
                    request.first.setdefault(name, elapsed)
                    if name in STEP_EVENTS:
                        request.last_step_ms = elapsed
                elif line.startswith("data: ") and name in PARSED:
                    conversation_id = _read(request, name, json.loads(line[6:])) or conversation_id
    except httpx.HTTPError as error:
        request.error = f"{type(error).__name__}: {error}"
    if request.error is None and "done" not in request.first:
        request.error = "the stream ended without a done event"
    return request, conversation_id


async def parallel_searches(base_url: str, token: str, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
    """For each text whose plan searches several services at once, those searches' steps."""
    levels = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for text in texts:
            request, _ = await ask(client, Turn("cross_service", text), None)
            if request.parallel_searches:
                levels.append(request.parallel_searches)
    return levels


def _read(request: Request, name: str, data: dict[str, Any]) -> str | None:
    """Note what the event says; the conversation id if it is the `done` event."""
    if name == "intent":
        request.intent_provider = data["intent"]["provider"]
    elif name == "plan":
        first_level = {step_id for step_id in data["levels"][0]} if data["levels"] else set()
        searches = [s for s in data["steps"] if s["id"] in first_level and s["operation"] == "search"]
        if len({s["service"] for s in searches}) > 1:
            request.parallel_searches = searches
    elif name == "step_failed":
        request.step_failures.append(f"{data['step']['service']} {data['step']['operation']}: {data['error']}")
    elif name == "error":
        request.error = f"error event: {data['error']['code']}"
    elif name == "done":
        request.answer_provider = data["provider"]
        return str(data["conversation_id"])
    return None


async def cache_lookups(base_url: str) -> Counter[tuple[str, str]]:
    """The app's cache lookups so far, by (cache, hit or miss), from its `/metrics`."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        text = (await client.get("/metrics")).text
    counts: Counter[tuple[str, str]] = Counter()
    for match in CACHE_LINE.finditer(text):
        counts[(match["cache"], match["result"])] = int(float(match["count"]))
    return counts


def hit_rates(before: Counter[tuple[str, str]], after: Counter[tuple[str, str]]) -> dict[str, float]:
    """Per cache, the share of lookups between two scrapes that were hits."""
    delta = after - before
    rates = {}
    for cache in sorted({cache for cache, _ in delta}):
        lookups = delta[(cache, "hit")] + delta[(cache, "miss")]
        rates[cache] = round(delta[(cache, "hit")] / lookups, 3)
    return rates


def summary(run: Run) -> dict[str, Any]:
    """Throughput, error rate and latency percentiles (ms) of one run, end to end and per stage."""
    ok = [r for r in run.requests if r.ok]
    stages: dict[str, list[float]] = {
        name: [] for name in ("intent", "plan", "steps", "first_token_after_steps", "stream", "ttft", "total")
    }
    for r in ok:
        first = r.first
        stages["intent"].append(first["intent"])
        stages["total"].append(first["done"])
        if "token" in first:
            stages["ttft"].append(first["token"])
            stages["stream"].append(first["done"] - first["token"])
        if "plan" in first:
            stages["plan"].append(first["plan"] - first["intent"])
            steps_end = r.last_step_ms or first["plan"]
            stages["steps"].append(steps_end - first["plan"])
            if "token" in first:
                stages["first_token_after_steps"].append(first["token"] - steps_end)
    total = percentiles(stages["total"])
    ttft = percentiles(stages["ttft"])
    kinds = Counter(r.kind for r in run.requests)
    return {
        "concurrency": run.concurrency,
        "requests": len(run.requests),
        "errors": len(run.requests) - len(ok),
        "error_rate": round((len(run.requests) - len(ok)) / len(run.requests), 4) if run.requests else math.nan,
        "qps": round(len(ok) / run.seconds, 2),
        "seconds": round(run.seconds, 2),
        **total,
        **{f"ttft_{key}": value for key, value in ttft.items()},
        "stages_ms": {name: percentiles(values) for name, values in stages.items() if values},
        "by_kind": {
            kind: {"requests": count, **percentiles([r.first["done"] for r in ok if r.kind == kind])}
            for kind, count in sorted(kinds.items())
        },
        "intent_providers": dict(Counter(r.intent_provider for r in ok)),
        "answer_providers": dict(Counter(r.answer_provider for r in ok)),
        "step_failures": sum(len(r.step_failures) for r in ok),
        "step_failure_examples": sorted({failure for r in ok for failure in r.step_failures})[:3],
        "error_examples": sorted({r.error for r in run.requests if r.error})[:3],
    }
