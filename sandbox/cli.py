"""`concierge sandbox`: serve the Google Workspace stand-in, or script against it.

concierge sandbox [--port 8090] [--workspace FILE] [--state DIR] [--now ISO] [--control]
concierge sandbox accounts            # the accounts, the main one first
concierge sandbox token EMAIL         # {"base_url", "access_token", "expires_in"}
concierge sandbox load --reset        # (re)load the workspace into the state, timed
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.store import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090


def _add_state_options(parser: argparse.ArgumentParser) -> None:
    from sandbox.server import DEMO_WORKSPACE

    parser.add_argument("--state", type=Path, default=None, help="state directory (default: DATA_DIR/sandbox)")
    parser.add_argument(
        "--workspace",
        type=Path,
        default=DEMO_WORKSPACE,
        help="workspace fixture loaded into a new state (default: the demo)",
    )
    parser.add_argument(
        "--now", default=None, help="fixed clock, ISO date or date-time (tests, evaluations); default: real time"
    )
    parser.add_argument("--reset", action="store_true", help="discard the state and load the workspace again")


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="access token lifetime in seconds")
    parser.add_argument("--control", action="store_true", help="enable the control API under /_control (tests, demos)")
    parser.add_argument(
        "--quota",
        type=float,
        default=None,
        metavar="UNITS",
        help="per-user quota units per minute, as Gmail counts them (default: unlimited)",
    )
    parser.add_argument(
        "--pubsub-push",
        action="append",
        default=[],
        metavar="TOPIC=URL",
        help="deliver Gmail watch notifications for TOPIC to URL (repeatable)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_state_options(parser)
    _add_serve_options(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    serve = actions.add_parser("serve", help="serve the sandbox (the default)")
    _add_state_options(serve)
    _add_serve_options(serve)
    accounts = actions.add_parser("accounts", help="list the accounts, the main one first")
    _add_state_options(accounts)
    token = actions.add_parser("token", help="print a valid access token for an account as JSON")
    _add_state_options(token)
    token.add_argument("email")
    token.add_argument("--base-url", default=None, help="default: the URL the sandbox last served on")
    load = actions.add_parser("load", help="load the workspace into the state and report the time taken")
    _add_state_options(load)


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state is not None:
        return Path(args.state)
    from assistant.core.settings import get_settings

    return get_settings().data_dir / "sandbox"


def run(args: argparse.Namespace) -> int:
    from sandbox.server import open_store, parse_now
    from sandbox.workspace import WorkspaceError

    try:
        now = parse_now(args.now) if args.now else None
    except ValueError:
        print(f"--now: not an ISO date or date-time: {args.now}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        store = open_store(_state_dir(args), args.workspace, now=now, reset=args.reset)
    except WorkspaceError as error:
        print(f"workspace: {error}", file=sys.stderr)
        return 2
    loaded_seconds = time.perf_counter() - started
    action = args.action or "serve"
    if action == "accounts":
        from sandbox.oauth import accounts_in_order

        for account in accounts_in_order(store):
            print(f"{account['email']}\t{account['name']}")
        return 0
    if action == "token":
        return _print_token(store, args)
    if action == "load":
        counts = {kind: len(store.all(kind)) for kind in ("account", "message", "event", "file")}
        print(json.dumps({"seconds": round(loaded_seconds, 2), "state": str(store.path), **counts}))
        return 0
    return _serve(store, args)


def _print_token(store: Store, args: argparse.Namespace) -> int:
    from sandbox.oauth import ALL_SCOPES, issue_access_token

    email = args.email.lower()
    if store.get("account", "", email) is None:
        print(f"no sandbox account {email}; see `concierge sandbox accounts`", file=sys.stderr)
        return 1
    lifetime = 3600
    token = issue_access_token(store, email, "concierge-sandbox-cli", ALL_SCOPES, lifetime)
    base_url = args.base_url or store.meta("base_url") or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    print(json.dumps({"base_url": base_url, "access_token": token, "expires_in": lifetime}))
    return 0


def _serve(store: Store, args: argparse.Namespace) -> int:
    from sandbox.api import Sandbox
    from sandbox.quota import Quota
    from sandbox.server import serve

    quota = Quota(args.quota) if args.quota else None
    pubsub = dict(item.split("=", 1) for item in args.pubsub_push if "=" in item)
    sandbox = Sandbox(
        store, token_lifetime=args.token_lifetime, control_enabled=args.control, quota=quota, pubsub_push=pubsub
    )
    from sandbox.oauth import accounts_in_order

    accounts = ", ".join(account["email"] for account in accounts_in_order(store))
    control = "on, under /_control" if args.control else "off"
    print(f"Google Workspace sandbox on http://{args.host}:{args.port}  (state: {store.path.parent})", flush=True)
    print(f"accounts: {accounts}; control API {control}", flush=True)
    serve(sandbox, args.host, args.port)
    return 0
