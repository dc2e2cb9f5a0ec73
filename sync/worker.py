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
    from assistant.settings import get_settings

    connection = redis_client()
    worker = Worker(
        [Queue(name, connection=connection) for name in args.queues],
        connection=connection,
        name=args.name,
        # A killed worker's job must be found and re-run within a couple of minutes, not
        # RQ's default of ten: heartbeat every 10 s (a dead job's entry expires 70 s after
        # its last one), and wake from an idle wait every 25 s to look every 30 s.
        job_monitoring_interval=10,
        worker_ttl=40,
        maintenance_interval=30,
    )
    worker.work(burst=args.burst, with_scheduler=True, logging_level=get_settings().log_level.upper())
    return 0
