"""The task suite in CI: a fixed subset runs through the real pipeline and is judged.

The subset is the first four tasks of every family, one phrasing each, on the demo
workspace with fewer generated distractors (the full six months take minutes to embed).
Expectations were written for the full workspace, so this test asserts that the suite
runs and judges, not how well the product does: `concierge eval tasks` is the measure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.core.embedded import EmbeddedServers
from assistant.core.settings import get_settings
from assistant.tools.tasks.evaluate import report, run_all, suite_world
from assistant.tools.tasks.judge import judge
from assistant.tools.tasks.suite import Task, load_suite

PER_FAMILY = 4
DISTRACTORS = {"emails": 150, "events": 40, "files": 20, "colleague_emails": 20}


def subset(tasks: list[Task]) -> list[Task]:
    """The first `PER_FAMILY` tasks of each family, with their first phrasing only."""
    seen: dict[str, int] = {}
    chosen = []
    for task in tasks:
        seen[task.family] = seen.get(task.family, 0) + 1
        if seen[task.family] <= PER_FAMILY:
            chosen.append(task.model_copy(update={"requests": task.requests[:1]}))
    return chosen


def test_the_suite_is_big_enough_and_every_family_has_twenty_requests() -> None:
    tasks = load_suite()
    families: dict[str, int] = {}
    for task in tasks:
        families[task.family] = families.get(task.family, 0) + len(task.requests)
    assert len(tasks) >= 130 and sum(families.values()) >= 400
    assert len(families) >= 19 and min(families.values()) >= 20, families


@pytest.fixture(scope="module")
async def runs(embedded: EmbeddedServers, data_dir: Path) -> dict[str, Any]:
    tasks = subset(load_suite())
    async with suite_world(tasks, "eval-tasks-ci", DISTRACTORS) as world:
        results = await run_all(world, tasks, lambda line: None)
        # Known-wrong pairs: real outcomes judged against a task of another kind.
        writes = [r for r in results if r["task"].expect.changes and r["outcome"].changes]
        reads = [r for r in results if r["task"].expect.cite and not r["task"].expect.changes and r["outcome"].sources]
        swapped = []
        if reads and writes:
            swapped.append(judge(reads[0]["task"], writes[0]["outcome"], world.workspace, world.zone))
            swapped.append(judge(writes[0]["task"], reads[0]["outcome"], world.workspace, world.zone))
        async with world.control() as control:
            left = (await control.get(f"/snapshots/{world.snapshot}/changes")).json()["changes"]
    summary = report(results, get_settings().effective_llm_provider)
    return {"tasks": tasks, "results": results, "report": summary, "swapped": swapped, "left": left}


def test_a_subset_of_every_family_runs_and_is_judged(runs: dict[str, Any]) -> None:
    tasks, summary = runs["tasks"], runs["report"]
    families = {task.family for task in load_suite()}
    assert len(tasks) >= 60 and {task.family for task in tasks} == families
    assert summary["n"] == len(tasks) and set(summary["by_family"]) == families
    assert summary["passed"] + len(summary["failures"]) == summary["n"]
    assert all(failure["got"]["problems"] for failure in summary["failures"])
    assert summary["p50_ms"] > 0
    # The product answers (no request crashed) and some tasks pass even on this smaller workspace.
    crashed = [r["task"].id for r in runs["results"] if r["outcome"].error]
    assert not crashed, crashed
    assert summary["passed"] > 0


def test_writes_were_confirmed_and_the_sandbox_restored(runs: dict[str, Any]) -> None:
    wrote = [r for r in runs["results"] if r["outcome"].changes]
    assert wrote, "no write in the subset reached the sandbox"
    assert runs["left"] == []  # every request's writes were undone: each started from the same workspace


def test_real_outcomes_judged_against_the_wrong_task_fail(runs: dict[str, Any]) -> None:
    assert len(runs["swapped"]) == 2
    assert all(not verdict.passed for verdict in runs["swapped"])
