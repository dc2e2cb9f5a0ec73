"""`concierge bench pipeline`: end-to-end latency and throughput of `POST /query` under
concurrent users, in one run, with two model configurations.

1. Syncs the demo workspace from a sandbox for a bench user (enterprise tier; the app runs
   with its rate limits raised far above what it can serve, so no request is refused).
2. Starts the real app (`chainlit run chat_app.py`) with the `local` provider and drives
   it with N simulated users over HTTP on loopback (`load.drive`), for each concurrency
   asked (`--concurrency 1,5,10,20`).
3. Times the search stage of the mix's cross-service requests, as the app planned them,
   with the searches run concurrently (as the app runs them) and one after another.
4. Starts the scripted model server (classification after ~200 ms, answers streamed at
   ~50 tokens/s) and the app configured for it as an OpenAI-compatible provider, and
   drives it the same way.

Prints `{"local": {...}, "scripted_llm": {...}, "search_concurrent_vs_sequential": ratio,
"sweep": {...}}`: the first two at the highest concurrency asked; `sweep` has every level.

`--against REV [--rounds N]` compares this checkout's app with the app at git revision REV
(`local` configuration only): REV is checked out in a temporary `git worktree` (removed at
the end) and both apps run alternately on the same synced world (same database, Redis and
sandbox, same users, mix, concurrency, duration and warmup), N rounds (default 2) in ABBA
order: this checkout then REV, REV then this checkout, ... . The caches are dropped before
each run, as before each configuration. REV's app runs with this interpreter and installed
dependencies, from its worktree (its packages first on PYTHONPATH), on the database as
this checkout's migrations left it: migrations are additive, so an older revision's app
runs on a newer schema. The search stage is not measured. The current side is this
checkout's working tree as each of its runs starts its app. The JSON adds `against`: `rev`,
its commit, this checkout's commit when REV was resolved (and whether the working tree had
uncommitted changes; `current_commit_at_end` if HEAD moved during the run), the `order` of
the runs, then at the highest concurrency `rounds` (each run's QPS, p50/p95/p99,
CPU ms per request of the app, PostgreSQL and load generator, errors, load), `median` per
side and `ratio` (REV / this checkout: above 1 means REV is slower or costs more) of p50,
app CPU per request, p95, p99 and QPS; `levels` has the same for every level and `runs`
every run's full summaries. `local` and `sweep` are this checkout's run in the last round.
Without `--json`, a table of the comparison follows the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from assistant.tools.bench.against import Checkout

CONFIGURATIONS = ("local", "scripted_llm")
#: Rounds of `--against` by default: current, REV, REV, current.
ROUNDS = 2


def _levels(value: str) -> list[int]:
    try:
        levels = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from error
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError("concurrency levels must be whole numbers >= 1")
    return levels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sandbox.server import DEMO_WORKSPACE

    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--concurrency", type=_levels, default=[20], help="simulated users, or a list to sweep: 1,5,10,20"
    )
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds of load per concurrency level and configuration"
    )
    parser.add_argument(
        "--requests", type=int, default=None, help="stop after this many requests per level (default: by duration)"
    )
    parser.add_argument("--think", type=float, default=0.0, help="mean think time between a user's requests, seconds")
    parser.add_argument(
        "--warmup", type=int, default=10, help="requests before measuring each configuration (not counted)"
    )
    parser.add_argument(
        "--configurations",
        default=None,
        help=f"local, scripted_llm or both (default: {','.join(CONFIGURATIONS)}; local with --against)",
    )
    parser.add_argument("--classification-ms", type=float, default=200.0, help="the scripted model's time to an intent")
    parser.add_argument("--tokens-per-second", type=float, default=50.0, help="the scripted model's streaming rate")
    parser.add_argument("--answer-tokens", type=int, default=50, help="pieces in the scripted model's answer")
    parser.add_argument(
        "--workspace", type=Path, default=DEMO_WORKSPACE, help="the workspace to sync (default: the demo's)"
    )
    parser.add_argument("--chart", type=Path, default=None, help="also draw latency vs concurrency to this PNG")
    parser.add_argument(
        "--against",
        metavar="REV",
        default=None,
        help="also measure the app at git revision REV, alternating with this checkout's in one run on the same "
        "world (local configuration only; REV's app runs from a temporary git worktree on the database as this "
        "checkout's migrations left it, migrations being additive); reports medians and REV / current ratios",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="with --against: rounds of one run per side, in ABBA order (default 2: current, REV, REV, current)",
    )


def configurations_of(args: argparse.Namespace) -> list[str]:
    """The configurations asked: both by default, `local` by default with --against."""
    if args.configurations is None:
        return ["local"] if args.against is not None else list(CONFIGURATIONS)
    return [name.strip() for name in args.configurations.split(",") if name.strip()]


def argument_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, if anything (argparse checks only each alone)."""
    configurations = configurations_of(args)
    if set(configurations) - set(CONFIGURATIONS) or not configurations:
        return f"--configurations takes {', '.join(CONFIGURATIONS)}"
    if args.requests is not None and args.requests < 1:
        return "--requests must be >= 1"
    if args.against is not None:
        if configurations != ["local"]:
            return "--against compares the local configuration only: leave out --configurations or give local"
        if args.rounds is not None and args.rounds < 1:
            return "--rounds must be >= 1"
    elif args.rounds is not None:
        return "--rounds goes with --against"
    return None


def run(args: argparse.Namespace) -> int:
    error = argument_error(args)
    if error is not None:
        print(f"concierge bench pipeline: error: {error}", file=sys.stderr)
        return 2
    configurations = configurations_of(args)
    if args.against is None:
        result = asyncio.run(bench(args, configurations, progress=not args.json))
    else:
        from assistant.tools.bench.against import checkout

        with checkout(args.against) as rev:
            result = asyncio.run(bench(args, configurations, progress=not args.json, rev=rev))
    if args.chart is not None:
        from assistant.tools.bench.chart import draw

        draw(result["sweep"] if args.against is None else _median_sweeps(result["against"]), args.chart)
    print(json.dumps(result, indent=None if args.json else 2))
    if args.against is not None and not args.json:
        from assistant.tools.bench.against import table

        print()
        print(table(result["against"]))
    return 0


def _median_sweeps(against: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The medians of each side per level, for the chart: one panel per side."""
    return {
        f"local, {name}": [level["median"][side] for level in against["levels"]]
        for side, name in (("current", "this checkout"), ("rev", against["rev"]))
    }


async def bench(
    args: argparse.Namespace, configurations: list[str], *, progress: bool, rev: Checkout | None = None
) -> dict[str, Any]:
    """The run: the configurations asked, or with `rev` this checkout's `local` app and
    REV's alternately (the module's docstring)."""
    from assistant.tools.bench import against, load, search_stage
    from assistant.tools.bench.cpu import postmaster
    from assistant.tools.bench.mix import CROSS_SERVICE, build_mix
    from assistant.tools.bench.world import App, running_app, scripted_llm, synced_world
    from search.runtime import progress_printer

    say = progress_printer(progress)
    logs = Path(tempfile.mkdtemp(prefix="concierge-bench-pipeline-"))
    load_before = os.getloadavg()[0]
    sweep: dict[str, list[dict[str, Any]]] = {}
    search: dict[str, Any] = {}
    compared: dict[str, Any] = {}
    async with synced_world(args.workspace, say) as world:
        mix = await build_mix(world.database_url, world.user_id)
        tokens = world.tokens(max(args.concurrency))
        database = postmaster(world.settings.data_dir)

        async def measure(name: str, app: App) -> list[dict[str, Any]]:
            say(f"{name}: warming up ({args.warmup} requests)")
            await load.drive(app.url, tokens[:2], mix, duration=120, requests=args.warmup, seed=99)
            results = []
            for concurrency in args.concurrency:
                say(f"{name}: {concurrency} concurrent users")
                caches, cpu_before = await load.cache_lookups(app.url), _cpu_seconds(app, database)
                measured = await load.drive(
                    app.url,
                    tokens[:concurrency],
                    mix,
                    duration=args.duration,
                    requests=args.requests,
                    think=args.think,
                    seed=concurrency,
                )
                cpu_used = {part: seconds - cpu_before[part] for part, seconds in _cpu_seconds(app, database).items()}
                answered = max(1, sum(r.ok for r in measured.requests))
                results.append(
                    load.summary(measured)
                    | {
                        "cache_hit_rates": load.hit_rates(caches, await load.cache_lookups(app.url)),
                        "cpu_ms_per_request": {
                            part: round(seconds * 1000 / answered, 1) for part, seconds in cpu_used.items()
                        },
                        "load_average_1m": round(os.getloadavg()[0], 2),
                    }
                )
                say(f"  {_line(results[-1])}")
            return results

        if rev is not None:
            runs: dict[str, list[list[dict[str, Any]]]] = {against.CURRENT: [], against.REV: []}
            roots = {against.CURRENT: PROJECT_ROOT, against.REV: rev.path}
            names = {
                against.CURRENT: "this checkout's app",
                against.REV: f"the app at {rev.rev} ({rev.commit[:7]}, checked out in {rev.path})",
            }
            rounds = ROUNDS if args.rounds is None else args.rounds
            order = against.orders(rounds)
            for number, sides in enumerate(order, 1):
                for side in sides:
                    label = f"round {number}/{rounds}, local, {'current' if side == against.CURRENT else rev.rev}"
                    world.forget_caches()
                    env = world.app_env({"CONCIERGE_LLM_PROVIDER": "local"})
                    log = logs / f"app-local-round{number}-{side}.log"
                    with running_app(env, log, roots[side], names[side]) as app:
                        runs[side].append(await measure(label, app))
            sweep["local"] = runs[against.CURRENT][-1]
            per_level = against.compare(runs, order)
            compared = (
                {"rev": rev.rev, "rev_commit": rev.commit}
                | rev.current
                | {"order": [side for sides in order for side in sides]}
                | per_level[-1]
                | {"levels": per_level, "runs": runs}
            )
            moved = against.current_state()["current_commit"]
            if moved != rev.current["current_commit"]:  # someone committed meanwhile: say so
                compared["current_commit_at_end"] = moved
                say(f"note: this checkout's HEAD moved during the run, to {moved[:7]}")
        elif "local" in configurations:
            world.forget_caches()
            with running_app(world.app_env({"CONCIERGE_LLM_PROVIDER": "local"}), logs / "app-local.log") as app:
                sweep["local"] = await measure("local", app)
                levels = await load.parallel_searches(app.url, tokens[0], CROSS_SERVICE)
            say(f"search stage: {len(levels)} multi-service plans, concurrent vs sequential")
            search = await search_stage.compare(
                world.settings, world.database_url, world.redis_url, world.user_id, levels
            )
        if "scripted_llm" in configurations:
            config = await _scripted_replies(world.settings, mix.texts(), args)
            world.forget_caches()
            with scripted_llm(config) as llm_url:
                env = world.app_env(
                    {
                        "CONCIERGE_LLM_PROVIDER": "openai",
                        "OPENAI_API_KEY": "sk-bench",
                        "OPENAI_BASE_URL": f"{llm_url}/v1",
                    }
                )
                with running_app(env, logs / "app-scripted.log") as app:
                    sweep["scripted_llm"] = await measure("scripted_llm", app)
    say(f"app logs in {logs}")
    return {
        **{name: results[-1] for name, results in sweep.items()},
        **({"against": compared} if rev is not None else {}),
        "search_concurrent_vs_sequential": search.get("ratio"),
        "search_stage": search,
        "sweep": sweep,
        "workspace_items": world.items,
        "sync_seconds": round(world.sync_seconds, 2),
        "rate_limits": "bench user on the enterprise tier; app run with CONCIERGE_API_QUERY_REQUESTS_PER_MINUTE, "
        "CONCIERGE_API_GLOBAL_REQUESTS_PER_SECOND and the enterprise hourly allowance raised: no request is refused",
        "scripted_model": {
            "classification_ms": args.classification_ms,
            "tokens_per_second": args.tokens_per_second,
            "answer_tokens": args.answer_tokens,
        },
        "load_average_1m_before": round(load_before, 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def _cpu_seconds(app: Any, database: int | None) -> dict[str, float]:
    """CPU seconds so far of the app, the embedded PostgreSQL (every client's: give the
    bench a data directory of its own for a figure of its own) and this process (the load
    generator)."""
    from assistant.tools.bench.cpu import own_seconds, tree_seconds

    used = {"app": tree_seconds(app.pid), "load_generator": own_seconds()}
    if database is not None:
        used["postgres"] = tree_seconds(database)
    return used


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['requests']} requests, {result['qps']} QPS, "
        f"p50 {result.get('p50_ms')} ms, p99 {result.get('p99_ms')} ms, "
        f"ttft p50 {result.get('ttft_p50_ms')} ms, errors {result['errors']}, load {result['load_average_1m']}, "
        f"CPU ms per request {result['cpu_ms_per_request']}"
    )


async def _scripted_replies(settings: Any, texts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """The scripted model's replies: for each request of the mix, the frame the offline
    reader gives it (so both configurations run the same plans), after the
    classification delay; for each rerank, the fused order after the same delay; for
    anything else (the answer), a streamed answer."""
    from assistant import rerank
    from assistant.tools.bench.mix import FOLLOW_UP_WRITES, FOLLOW_UPS
    from assistant.understanding.context import ConversationContext, Turn
    from assistant.understanding.local import local_understanding
    from assistant.understanding.reader import FrameReader
    from assistant.understanding.schema import ItemRef

    reader = FrameReader(local_understanding(settings))
    # Follow-ups are read after a lookup that showed five emails, as they are asked.
    shown = [ItemRef(service="gmail", id=f"m{n}", title=f"Message {n}", position=n) for n in range(1, 6)]
    after_lookup = ConversationContext(
        turns=[Turn(role="user", text="emails about the budget"), Turn(role="assistant", text="", items=shown)]
    )
    by_line = {}
    for text in texts:
        context = after_lookup if text in FOLLOW_UPS + FOLLOW_UP_WRITES else ConversationContext()
        frame, _ = await asyncio.to_thread(reader.read, text, context)
        by_line[f"Request: {text}"] = {"content": frame.model_dump_json(), "delay": args.classification_ms / 1000}
    # Reranking a search's results: a call as long as a classification, keeping the fused order.
    by_line[rerank.QUESTION] = {
        "content": rerank.RankedResults(order=[]).model_dump_json(),
        "delay": args.classification_ms / 1000,
    }
    words = (
        "I found what you asked for [1]: the most relevant items are listed below with their dates, "
        "senders and a short summary of each, newest first [2] [3]. "
    ).split(" ")
    pieces = [(words[n % len(words)] or ".") + " " for n in range(args.answer_tokens)]
    return {"by_line": by_line, "script": [{"pieces": pieces, "piece_interval": 1 / args.tokens_per_second}]}
