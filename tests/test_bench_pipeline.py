"""`concierge bench pipeline` at a tiny scale: the command runs end to end (sandbox, sync,
the real app with the local provider and with the scripted model server, the load
generator) and prints the documented shape, with every request answered."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.core.embedded import EmbeddedServers
from assistant.core.settings import PROJECT_ROOT
from sandbox.server import DEMO_WORKSPACE


def small_workspace(directory: Path) -> Path:
    """Part of the demo's hand-written core with a handful of generated distractors."""
    workspace = json.loads(DEMO_WORKSPACE.read_text())
    workspace["include"] = [
        str(DEMO_WORKSPACE.parent / name) for name in ("core/team.json", "core/finance.json", "core/travel.json")
    ]
    workspace["generate"] |= {"emails": 10, "events": 5, "files": 3, "colleague_emails": 3}
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace))
    return path


def test_bench_pipeline_prints_the_documented_shape(embedded: EmbeddedServers, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "assistant.cli",
        "bench",
        "pipeline",
        "--json",
        "--workspace",
        str(small_workspace(tmp_path)),
        "--concurrency",
        "2",
        "--requests",
        "4",
        "--warmup",
        "2",
        "--answer-tokens",
        "5",
        "--chart",
        str(tmp_path / "chart.png"),
    ]
    finished = subprocess.run(command, cwd=PROJECT_ROOT, env=os.environ, capture_output=True, text=True, timeout=170)
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout)

    local, scripted = result["local"], result["scripted_llm"]
    assert local["concurrency"] == scripted["concurrency"] == 2
    for key in ("p50_ms", "p95_ms", "p99_ms", "qps", "error_rate"):
        assert isinstance(local[key], int | float), key
    for key in ("ttft_p50_ms", "p50_ms", "p99_ms", "qps", "error_rate"):
        assert isinstance(scripted[key], int | float), key
    for name in ("local", "scripted_llm"):
        assert [level["concurrency"] for level in result["sweep"][name]] == [2]
        for level in result["sweep"][name]:
            assert level["requests"] == 4 and level["error_rate"] == 0, level
            assert level["p50_ms"] <= level["p99_ms"] and level["qps"] > 0
    # The scripted configuration really went through the model server, and waited for it.
    assert scripted["intent_providers"] == {"openai": 4} and scripted["answer_providers"] == {"openai": 4}
    assert scripted["stages_ms"]["intent"]["p50_ms"] >= 200
    assert local["intent_providers"] == {"local": 4}
    assert isinstance(result["search_concurrent_vs_sequential"], float)
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")


# `--against REV`: the pure parts (the end-to-end run needs a second revision and minutes).


def pipeline_args(*argv: str) -> argparse.Namespace:
    from assistant.cli import build_parser

    return build_parser().parse_args(["bench", "pipeline", *argv])


def test_against_alternates_sides_abba() -> None:
    from assistant.tools.bench.against import CURRENT, REV, orders

    assert orders(1) == [(CURRENT, REV)]
    assert orders(2) == [(CURRENT, REV), (REV, CURRENT)]
    assert [side for sides in orders(4) for side in sides] == [CURRENT, REV, REV, CURRENT] * 2


def level(concurrency: int, p50: float, app_cpu: float, qps: float, p99: float | None = None) -> dict[str, Any]:
    """A level as `measure` reports it (the parts the comparison reads, and one it ignores)."""
    percentiles = {"p50_ms": p50, "p95_ms": p50 * 2} | ({} if p99 is None else {"p99_ms": p99})
    return {
        "concurrency": concurrency,
        "requests": 100,
        "errors": 0,
        "qps": qps,
        **percentiles,
        "cpu_ms_per_request": {"app": app_cpu, "load_generator": 4.0, "postgres": 20.0},
        "load_average_1m": 1.5,
        "stages_ms": {"intent": {"p50_ms": 1.0}},
    }


def test_against_takes_medians_across_rounds_and_ratios_rev_over_current() -> None:
    from assistant.tools.bench.against import CURRENT, REV, compare, orders, table

    runs = {
        CURRENT: [[level(5, 100, 30, 20), level(20, 600, 28, 25)] for _ in range(3)],
        REV: [[level(5, 120, 33, 18), level(20, p50, cpu, 20)] for p50, cpu in ((900, 40), (700, 30), (800, 35))],
    }
    runs[CURRENT][1][1] = level(20, 400, 20, 30, p99=1000)  # the only p99: the median of what there is
    levels = compare(runs, orders(3))

    assert [entry["concurrency"] for entry in levels] == [5, 20]
    top = levels[-1]
    assert [entry["order"] for entry in top["rounds"]] == [[CURRENT, REV], [REV, CURRENT], [CURRENT, REV]]
    assert top["rounds"][0][REV] == {
        "concurrency": 20,
        "requests": 100,
        "errors": 0,
        "qps": 20,
        "p50_ms": 900,
        "p95_ms": 1800,
        "p99_ms": None,
        "app_cpu_ms_per_request": 40,
        "postgres_cpu_ms_per_request": 20.0,
        "load_generator_cpu_ms_per_request": 4.0,
        "load_average_1m": 1.5,
    }
    assert top["median"][CURRENT]["p50_ms"] == 600 and top["median"][CURRENT]["app_cpu_ms_per_request"] == 28
    assert top["median"][CURRENT]["p99_ms"] == 1000 and top["median"][REV]["p99_ms"] is None
    assert top["median"][REV]["p50_ms"] == 800 and top["median"][REV]["app_cpu_ms_per_request"] == 35
    assert top["median"][REV]["runs"] == 3
    assert top["ratio"] == {
        "p50_ms": 1.333,
        "app_cpu_ms_per_request": 1.25,
        "p95_ms": 1.333,
        "p99_ms": None,
        "qps": 0.8,
    }
    assert levels[0]["ratio"]["p50_ms"] == 1.2 and levels[0]["ratio"]["app_cpu_ms_per_request"] == 1.1

    against = {
        "rev": "HEAD~1",
        "rev_commit": "a" * 40,
        "current_commit": "b" * 40,
        "current_uncommitted_changes": True,
        "order": [side for sides in orders(3) for side in sides],
        "levels": levels,
    }
    shown = table(against)
    assert "HEAD~1 = aaaaaaa; ABBA order, 3 rounds" in shown and "bbbbbbb + uncommitted changes" in shown
    assert "ratio HEAD~1 / current: p50_ms 1.333, app_cpu_ms_per_request 1.25" in shown
    assert len([line for line in shown.splitlines() if line.startswith("median")]) == 4


def test_against_arguments() -> None:
    from assistant.tools.bench import argument_error, configurations_of

    plain = pipeline_args()
    assert argument_error(plain) is None and configurations_of(plain) == ["local", "scripted_llm"]
    against = pipeline_args("--against", "HEAD~1")
    assert argument_error(against) is None and configurations_of(against) == ["local"] and against.rounds is None
    assert argument_error(pipeline_args("--against", "HEAD~1", "--configurations", "local", "--rounds", "3")) is None
    for argv, message in (
        (("--against", "HEAD~1", "--configurations", "scripted_llm"), "local configuration only"),
        (("--against", "HEAD~1", "--configurations", "local,scripted_llm"), "local configuration only"),
        (("--against", "HEAD~1", "--rounds", "0"), "--rounds must be >= 1"),
        (("--rounds", "3"), "--rounds goes with --against"),
        (("--configurations", "remote"), "--configurations takes"),
    ):
        error = argument_error(pipeline_args(*argv))
        assert error is not None and message in error, (argv, error)


def test_against_refuses_a_revision_git_does_not_know(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    with pytest.raises(SystemExit, match="--against no-such-revision-here: not a revision"):
        main(["bench", "pipeline", "--against", "no-such-revision-here"])
    assert main(["bench", "pipeline", "--against", "HEAD", "--configurations", "scripted_llm"]) == 2
    assert "--against compares the local configuration only" in capsys.readouterr().err
