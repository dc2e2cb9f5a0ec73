"""`concierge worker`: an RQ worker taking sync jobs from the high, default and low queues."""

from __future__ import annotations

import argparse

from sync.queues import QUEUE_ORDER


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queues",
        nargs="+",
        default=[priority.value for priority in QUEUE_ORDER],
        help="queues to take jobs from, highest priority first (default: high default low)",
    )
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("--name", help="worker name (default: RQ's host.pid)")


def run(args: argparse.Namespace) -> int:
    from rq import Queue, Worker

    from assistant.runtime import redis_client

    connection = redis_client()
    worker = Worker(
        [Queue(name, connection=connection) for name in args.queues],
        connection=connection,
        name=args.name,
        # Look for jobs abandoned by a killed worker every minute, not every ten.
        maintenance_interval=60,
    )
    worker.work(burst=args.burst, with_scheduler=True)
    return 0
