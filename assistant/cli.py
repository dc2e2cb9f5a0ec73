"""The `concierge` command: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from assistant.core.embedded import embedded_servers, service_urls
from assistant.core.logs import configure_logging
from assistant.core.processes import start, stop_children, wait_for_http, web_app_command
from assistant.core.settings import get_settings

log = logging.getLogger("concierge")

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000
SANDBOX_PORT = 8090


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply (or revert) database migrations."""
    from assistant.core import migrate  # deferred: Alembic adds 205 ms to every other command and `--help`

    urls = service_urls(get_settings())
    if args.downgrade:
        migrate.downgrade(urls.database_url, args.revision or "base")
    else:
        migrate.upgrade(urls.database_url, args.revision or "head")
    print(f"database at {'base' if args.downgrade and not args.revision else args.revision or 'head'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Start everything the demo needs and open the chat app; Ctrl-C stops it all.

    The Google sandbox (the demo workspace), an RQ worker, the sync scheduler and the
    chat app run as child processes sharing this process's database and Redis.
    """
    from assistant.core import migrate  # deferred: Alembic adds 205 ms to every other command and `--help`

    settings = get_settings()
    urls = service_urls(settings)
    migrate.upgrade(urls.database_url)
    sandbox_url = f"http://{args.host}:{args.sandbox_port}"
    # Children get the resolved URLs as configured ones: this process owns the embedded
    # servers' lifetime and stops them when the demo ends.
    env = os.environ | {
        "CONCIERGE_DATABASE_URL": urls.database_url,
        "CONCIERGE_REDIS_URL": urls.redis_url,
        "CONCIERGE_GOOGLE_API_BASE_URL": settings.google_api_base_url or sandbox_url,
    }
    concierge = [sys.executable, "-m", "assistant.cli"]
    children: list[subprocess.Popen[bytes]] = []
    # `kill` (SIGTERM) stops the demo as Ctrl-C does: children and embedded servers too.
    # Python's default would end this process at once and leave them running. SIGINT is
    # set too: a shell starting the demo in the background hands it over ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if settings.google_api_base_url is None:
            children.append(
                start([*concierge, "sandbox", "serve", "--host", args.host, "--port", str(args.sandbox_port)], env)
            )
            wait_for_http(sandbox_url + "/healthz", children[-1])
        children.append(start([*concierge, "worker"], env))
        children.append(start([*concierge, "cron"], env))
        app = start(web_app_command(args.host, args.port), env)
        children.append(app)
        print(
            f"\nConcierge is running at http://{args.host}:{args.port}  (Ctrl-C stops it)\n"
            "Sign in: 'Continue with Google', then pick Alex Rivera on the sandbox's consent screen.\n"
            "Link another account (e.g. Sarah Chen) from the composer's Tools menu: 'Link account'.\n",
            flush=True,
        )
        return app.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_children(children)
        servers = embedded_servers()
        if servers is not None:
            servers.stop()
            print("embedded PostgreSQL and Valkey stopped")


# Commands implemented in the module that owns the capability. Each module defines
# `add_arguments(parser)` and `run(args) -> int`, and keeps its top-level imports light
# (every `concierge` call imports it to build the help); `eval` and `bench` take a target
# (`concierge eval search`, `concierge bench sync`), each target a module of its own.
COMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("serve the local Google Workspace stand-in", "sandbox.cli"),
    "worker": ("run an RQ worker for sync jobs", "sync.worker"),
    "cron": ("enqueue periodic incremental syncs", "sync.cron"),
    "sync": ("sync one account now", "sync.cli"),
    "reindex": ("re-embed every cached item (after changing the embedding model)", "search.reindex"),
    "ask": ("ask a question from the terminal", "assistant.ask"),
}
EVAL_TARGETS: dict[str, tuple[str, str]] = {
    "intent": ("intent understanding on a labelled file", "assistant.tools.intent_eval"),
    "search": ("hybrid search on the demo workspace's labelled queries", "assistant.tools.search_eval"),
    "retrieval": ("hybrid search on an external email corpus with qrels", "assistant.tools.retrieval_eval"),
    "tasks": ("real requests on the demo workspace, judged by what they did", "assistant.tools.tasks.evaluate"),
}
BENCH_TARGETS: dict[str, tuple[str, str]] = {
    "search": ("search latency and index recall at scale", "assistant.tools.search_bench"),
    "sync": ("full and incremental sync throughput", "assistant.tools.sync_bench"),
    "pipeline": ("end-to-end latency under concurrent users", "assistant.tools.bench"),
}


def _add_module_command(
    commands: argparse._SubParsersAction, name: str, summary: str, module_name: str, prefix: str = ""
) -> None:
    parser = commands.add_parser(name, help=summary, description=summary)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise  # a missing dependency of a module that exists is a real error
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(run=lambda args: _not_built(prefix + name))
        return
    module.add_arguments(parser)
    parser.set_defaults(run=module.run)


def _not_built(name: str) -> int:
    print(f"`concierge {name}` is not available in this version yet.", file=sys.stderr)
    return 2


def _add_targets(
    commands: argparse._SubParsersAction, name: str, summary: str, targets: dict[str, tuple[str, str]]
) -> None:
    parser = commands.add_parser(name, help=summary, description=summary)
    sub = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    for target, (target_summary, module_name) in targets.items():
        _add_module_command(sub, target, target_summary, module_name, prefix=f"{name} ")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concierge",
        description="An assistant over your Gmail, Google Calendar and Google Drive.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the whole product locally with demo data")
    demo.add_argument("--host", default=DEMO_HOST)
    demo.add_argument("--port", type=int, default=DEMO_PORT)
    demo.add_argument("--sandbox-port", type=int, default=SANDBOX_PORT)
    demo.set_defaults(run=cmd_demo)

    migrate = commands.add_parser("migrate", help="apply database migrations (Alembic)")
    migrate.add_argument("revision", nargs="?", help="target revision (default: head / base)")
    migrate.add_argument("--downgrade", action="store_true", help="revert instead of apply")
    migrate.set_defaults(run=cmd_migrate)

    for name, (summary, module_name) in COMMANDS.items():
        _add_module_command(commands, name, summary, module_name)
    _add_targets(commands, "eval", "measure understanding and search quality", EVAL_TARGETS)
    _add_targets(commands, "bench", "measure speed (search, sync, pipeline)", BENCH_TARGETS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(get_settings())
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
