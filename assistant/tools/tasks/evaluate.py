"""`concierge eval tasks`: the task suite, run through the real pipeline and judged by outcome.

    concierge eval tasks [--family F ...] [--limit N] [--json]

Every phrasing of every task is one request: run in a fresh conversation against a private
sandbox of the demo workspace (assistant/tools/tasks/runner.py), judged by what it showed,
stated and changed (assistant/tools/tasks/judge.py). The report:

    {"n", "passed", "success_rate", "provider",
     "by_family": {F: {"n", "passed", "success_rate"}},
     "p50_ms", "p95_ms", "failures": [{"id", "request", "expected", "got"}]}

It uses whatever language model is configured (none: the offline understanding), so the
same suite measures a model wherever one is reachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

#: The Concierge user the suite's requests are made as, one per workspace account used;
#: evaluations keep their data apart from real users'.
EVAL_USER = "tasks-eval+{}@concierge.invalid"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", action="append", help="only this family (repeatable)")
    parser.add_argument("--limit", type=int, help="only the first N tasks (of each family with --family)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    parser.add_argument("--all", action="store_true", help="also list every request's outcome, passed or not")


def run(args: argparse.Namespace) -> int:
    from assistant.tools.tasks.suite import load_suite

    try:
        tasks = load_suite(families=set(args.family) if args.family else None)
    except (OSError, ValueError) as error:
        print(f"concierge eval tasks: {error}", file=sys.stderr)
        return 2
    if not tasks:
        print("concierge eval tasks: no such family", file=sys.stderr)
        return 2
    if args.limit is not None:
        tasks = tasks[: args.limit]
    report = asyncio.run(evaluate(tasks, progress=not args.json, every=args.all))
    print(json.dumps(report, indent=None if args.json else 2, ensure_ascii=False))
    return 0


async def evaluate(
    tasks: list[Any], *, progress: bool, distractors: dict[str, int] | None = None, every: bool = False
) -> dict[str, Any]:
    """Run every phrasing of `tasks` and report (see the module docstring)."""
    from assistant.core.settings import get_settings
    from search.runtime import progress_printer

    say = progress_printer(progress)
    say("loading the demo workspace into a private sandbox and syncing it (once)")
    async with suite_world(tasks, "eval-tasks", distractors) as world:
        results = await run_all(world, tasks, say)
    return report(results, get_settings().effective_llm_provider, every=every)


@asynccontextmanager
async def suite_world(tasks: list[Any], state_name: str, distractors: dict[str, int] | None) -> AsyncIterator[Any]:
    """Where the suite runs: the configured (or embedded) servers, and a private sandbox of
    the demo workspace (in the data dir's `state_name`) with the tasks' accounts linked
    and synced."""
    from assistant.core.settings import get_settings
    from assistant.tools.tasks.runner import demo_workspace, task_world
    from search.runtime import command_runtime

    settings = get_settings()
    state = settings.data_dir / state_name
    state.mkdir(parents=True, exist_ok=True)
    async with command_runtime() as runtime:
        async with task_world(
            settings,
            runtime.engine,
            runtime.redis_url,
            state,
            workspace=demo_workspace(state, distractors),
            users=sorted({task.user for task in tasks}),
            user_for=EVAL_USER.format,
        ) as world:
            yield world


async def run_all(world: Any, tasks: list[Any], say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every phrasing of every task, run and judged: {task, request, outcome, verdict} each."""
    from assistant.tools.tasks.judge import judge
    from assistant.tools.tasks.runner import run_request

    results: list[dict[str, Any]] = []
    for number, task in enumerate(tasks, start=1):
        for text in task.requests:
            outcome = await run_request(world, task, text)
            verdict = judge(task, outcome, world.workspace, world.zone)
            results.append({"task": task, "request": text, "outcome": outcome, "verdict": verdict})
        passed = sum(r["verdict"].passed for r in results if r["task"] is task)
        say(f"{number}/{len(tasks)} {task.family}/{task.id}: {passed}/{len(task.requests)}")
    return results


def report(results: list[dict[str, Any]], provider: str, *, every: bool = False) -> dict[str, Any]:
    """The numbers, per family, and every failure with what was expected and what happened
    (with `every`, each request's outcome too, for reviewing what passed)."""
    from assistant.tools.search_bench import percentiles

    families: dict[str, dict[str, Any]] = {}
    for result in results:
        family = families.setdefault(result["task"].family, {"n": 0, "passed": 0})
        family["n"] += 1
        family["passed"] += int(result["verdict"].passed)
    for family in families.values():
        family["success_rate"] = round(family["passed"] / family["n"], 4)
    passed = sum(int(r["verdict"].passed) for r in results)
    timings = percentiles([r["outcome"].milliseconds for r in results])
    return {
        "n": len(results),
        "passed": passed,
        "success_rate": round(passed / len(results), 4) if results else 0.0,
        "provider": provider,
        "by_family": dict(sorted(families.items())),
        "p50_ms": timings.get("p50_ms", 0.0),
        "p95_ms": timings.get("p95_ms", 0.0),
        "failures": [
            {
                "id": r["task"].id,
                "request": r["request"],
                "expected": r["task"].expect.model_dump(mode="json", exclude_defaults=True),
                "got": {
                    "problems": r["verdict"].problems,
                    "answer": r["outcome"].answer[:600],
                    "sources": [s.title for s in r["outcome"].sources[:8]],
                    "question": r["outcome"].question,
                },
            }
            for r in results
            if not r["verdict"].passed
        ],
    } | ({"results": [_outcome(r) for r in results]} if every else {})


def _outcome(result: dict[str, Any]) -> dict[str, Any]:
    outcome = result["outcome"]
    return {
        "id": result["task"].id,
        "request": result["request"],
        "passed": result["verdict"].passed,
        "answer": outcome.answer[:600],
        "sources": [source.title for source in outcome.sources[:8]],
        "changes": len(outcome.changes),
    }
