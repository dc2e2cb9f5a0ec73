"""`concierge bench pipeline` at a tiny scale: the command runs end to end (sandbox, sync,
the real app with the local provider and with the scripted model server, the load
generator) and prints the documented shape, with every request answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
