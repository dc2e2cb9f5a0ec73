"""`concierge bench pipeline --against REV`: this checkout's app and the app at git revision
REV, measured alternately in one run on the same world, and what the comparison says.

- `checkout`: REV in a `git worktree` of its own (a temporary directory; /work/main's
  working tree is not touched), removed at the end, also on an error or Ctrl-C.
- `orders`: which side runs first in each round, alternating (current, REV, REV, current,
  ...: ABBA), so that a drift of the machine's load or of the database's size during the
  run weighs on both sides alike.
- `compare`: the headline numbers of every run, their medians across rounds per side,
  and the ratios REV / current of the medians (above 1: REV is slower, or costs more).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.settings import PROJECT_ROOT

CURRENT, REV = "current", "rev"
#: The numbers of a run the comparison reads (flat; CPU per request is per process).
HEADLINE = (
    "requests",
    "errors",
    "qps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "app_cpu_ms_per_request",
    "postgres_cpu_ms_per_request",
    "load_generator_cpu_ms_per_request",
    "load_average_1m",
)
#: The medians compared as REV / current.
RATIOS = ("p50_ms", "app_cpu_ms_per_request", "p95_ms", "p99_ms", "qps")
#: Packages the app imports from the checkout: REV's copies must shadow this checkout's.
PACKAGES = ("assistant", "search", "sync", "sandbox")


@dataclass(frozen=True)
class Checkout:
    rev: str
    commit: str
    path: Path
    #: `current_state()` when REV was resolved (HEAD~1 means the HEAD of that moment).
    current: dict[str, Any]


def orders(rounds: int) -> list[tuple[str, str]]:
    """Which side runs first in each round: current first in odd rounds, REV first in even
    ones (A B, B A, A B, ...)."""
    return [(CURRENT, REV) if number % 2 == 0 else (REV, CURRENT) for number in range(rounds)]


def headline(level: dict[str, Any]) -> dict[str, Any]:
    """The comparison's numbers from one level of a run (`load.summary` plus CPU and load)."""
    cpu = level.get("cpu_ms_per_request", {})
    flat = level | {f"{part}_cpu_ms_per_request": value for part, value in cpu.items()}
    return {"concurrency": level["concurrency"]} | {key: flat.get(key) for key in HEADLINE}


def _median(values: list[Any]) -> float | None:
    present = [value for value in values if isinstance(value, int | float)]
    return round(statistics.median(present), 2) if present else None


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each headline number across runs (`headline` dicts of one level)."""
    return {"concurrency": runs[0]["concurrency"], "runs": len(runs)} | {
        key: _median([run[key] for run in runs]) for key in HEADLINE
    }


def ratios(current: dict[str, Any], rev: dict[str, Any]) -> dict[str, float | None]:
    """REV / current of each of `RATIOS` (None when a side has no figure)."""
    return {
        key: round(rev[key] / current[key], 3) if current.get(key) and rev.get(key) is not None else None
        for key in RATIOS
    }


def compare(runs: dict[str, list[list[dict[str, Any]]]], round_orders: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Per concurrency level: each round's headline per side, the medians across rounds and
    the ratios REV / current. `runs[side][round][level]` are the summaries `measure` returns."""
    levels = []
    for index in range(len(runs[CURRENT][0])):
        rounds: list[dict[str, Any]] = [
            {"round": number, "order": list(order)}
            | {side: headline(runs[side][number - 1][index]) for side in (CURRENT, REV)}
            for number, order in enumerate(round_orders, 1)
        ]
        median = {side: medians([entry[side] for entry in rounds]) for side in (CURRENT, REV)}
        levels.append(
            {
                "concurrency": runs[CURRENT][0][index]["concurrency"],
                "rounds": rounds,
                "median": median,
                "ratio": ratios(median[CURRENT], median[REV]),
            }
        )
    return levels


def table(against: dict[str, Any]) -> str:
    """The comparison for a terminal: each run, the medians and the ratios, per level."""
    current_name = f"this checkout ({against['current_commit'][:7]}"
    current_name += " + uncommitted changes)" if against["current_uncommitted_changes"] else ")"
    rounds = len(against["order"]) // 2
    label = {CURRENT: "current", REV: against["rev"]}
    width = max(len(name) for name in label.values()) + 2
    columns = ("QPS", "p50 ms", "p95 ms", "p99 ms", "app CPU ms/req", "PG CPU ms/req", "errors", "load")
    keys = (
        "qps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "app_cpu_ms_per_request",
        "postgres_cpu_ms_per_request",
        "errors",
        "load_average_1m",
    )

    def row(first: str, side: str, numbers: dict[str, Any]) -> str:
        cells = [_cell(numbers.get(key)).rjust(max(len(column), 6)) for key, column in zip(keys, columns, strict=True)]
        return f"{first:<8}{label[side]:<{width}}" + "  ".join(cells)

    header = f"{'run':<8}{'side':<{width}}" + "  ".join(column.rjust(6) for column in columns)
    lines = [
        f"current = {current_name}, {label[REV]} = {against['rev_commit'][:7]}; "
        f"ABBA order, {rounds} round{'s' if rounds > 1 else ''}"
    ]
    for level in against["levels"]:
        lines += ["", f"local, {level['concurrency']} concurrent users", header]
        for entry in level["rounds"]:
            lines += [row(str(entry["round"]), side, entry[side]) for side in entry["order"]]
        lines += [row("median", side, level["median"][side]) for side in (CURRENT, REV)]
        shown = ", ".join(f"{key} {_cell(value)}" for key, value in level["ratio"].items())
        lines.append(f"ratio {label[REV]} / current: {shown}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, check=False)


def current_state() -> dict[str, Any]:
    """This checkout's commit, and whether its working tree differs from it (what the
    `current` side runs is the working tree, uncommitted changes included)."""
    head = _git("rev-parse", "HEAD").stdout.strip()
    changed = bool(_git("status", "--porcelain").stdout.strip())
    return {"current_commit": head, "current_uncommitted_changes": changed}


@contextmanager
def checkout(rev: str) -> Iterator[Checkout]:
    """REV's files in a detached `git worktree` under a temporary directory, removed on exit
    (error and Ctrl-C included). Checks that a Python started as `processes.start` starts
    REV's app imports REV's packages, not this checkout's."""
    resolved = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if resolved.returncode != 0:
        raise SystemExit(f"concierge bench pipeline: --against {rev}: not a revision of {PROJECT_ROOT}")
    commit, current = resolved.stdout.strip(), current_state()
    parent = Path(tempfile.mkdtemp(prefix="concierge-bench-against-"))
    path = parent / "checkout"
    try:
        added = _git("worktree", "add", "--detach", str(path), commit)
        if added.returncode != 0:
            raise SystemExit(f"concierge bench pipeline: git worktree add {rev} failed: {added.stderr.strip()}")
        if (PROJECT_ROOT / ".env").is_file():  # the settings' file, read from the app's directory
            shutil.copy2(PROJECT_ROOT / ".env", path / ".env")
        _check_shadowing(rev, path)
        yield Checkout(rev, commit, path, current)
    finally:
        if path.exists():
            _git("worktree", "remove", "--force", str(path))
        shutil.rmtree(parent, ignore_errors=True)
        _git("worktree", "prune")


def _check_shadowing(rev: str, path: Path) -> None:
    from assistant.core.processes import start

    code = f"import importlib.util as u; print(*(u.find_spec(n).origin for n in {PACKAGES!r}), sep='\\n')"
    env = dict(os.environ)
    process = start([sys.executable, "-c", code], env, path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    origins = out.decode().split()
    if process.returncode != 0 or not all(Path(origin).is_relative_to(path) for origin in origins):
        raise SystemExit(
            f"concierge bench pipeline: --against {rev}: its packages do not shadow this checkout's "
            f"(found {origins or err.decode()[-500:]})"
        )
