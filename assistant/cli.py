"""The `concierge` command: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

from assistant.embedded import embedded_servers, service_urls
from assistant.logs import configure_logging
from assistant.settings import PROJECT_ROOT, get_settings

log = logging.getLogger("concierge")

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply (or revert) database migrations."""
    from assistant import migrate

    urls = service_urls(get_settings())
    if args.downgrade:
        migrate.downgrade(urls.database_url, args.revision or "base")
    else:
        migrate.upgrade(urls.database_url, args.revision or "head")
    print(f"database at {'base' if args.downgrade and not args.revision else args.revision or 'head'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Start everything the demo needs and open the chat app; Ctrl-C stops it all."""
    from assistant import migrate

    settings = get_settings()
    urls = service_urls(settings)
    migrate.upgrade(urls.database_url)
    # Children get the resolved URLs as configured ones: this process owns the embedded
    # servers' lifetime and stops them when the demo ends.
    env = os.environ | {
        "CONCIERGE_DATABASE_URL": urls.database_url,
        "CONCIERGE_REDIS_URL": urls.redis_url,
    }
    command = [
        sys.executable, "-m", "chainlit", "run", str(PROJECT_ROOT / "chat_app.py"),
        "--headless", "--host", args.host, "--port", str(args.port),
    ]  # fmt: skip
    app = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    print(f"\nConcierge is running at http://{args.host}:{args.port}  (Ctrl-C stops it)\n", flush=True)
    try:
        return app.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop_child(app)
        servers = embedded_servers()
        if servers is not None:
            servers.stop()
            print("embedded PostgreSQL and Valkey stopped")


def _stop_child(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def not_built(issue: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        print(f"`concierge {args.command}` is not available yet: {issue}.", file=sys.stderr)
        return 2

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concierge",
        description="An assistant over your Gmail, Google Calendar and Google Drive.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the whole product locally with demo data")
    demo.add_argument("--host", default=DEMO_HOST)
    demo.add_argument("--port", type=int, default=DEMO_PORT)
    demo.set_defaults(run=cmd_demo)

    migrate = commands.add_parser("migrate", help="apply database migrations (Alembic)")
    migrate.add_argument("revision", nargs="?", help="target revision (default: head / base)")
    migrate.add_argument("--downgrade", action="store_true", help="revert instead of apply")
    migrate.set_defaults(run=cmd_migrate)

    planned = {
        "sandbox": ("serve the local Google Workspace stand-in", "the Google stand-in issue"),
        "worker": ("run an RQ worker for sync jobs", "the sync issue"),
        "cron": ("enqueue periodic incremental syncs", "the sync issue"),
        "sync": ("sync one account now", "the sync issue"),
        "ask": ("ask a question from the terminal", "the planning and execution issue"),
        "eval": ("measure understanding and search quality", "the understanding and search issues"),
        "bench": ("measure speed (search, sync, pipeline)", "the search, sync and scale issues"),
    }
    for name, (summary, issue) in planned.items():
        sub = commands.add_parser(name, help=summary)
        sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        sub.set_defaults(run=not_built(issue))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(get_settings())
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
