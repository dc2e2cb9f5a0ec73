"""`concierge cron`: RQ's cron scheduler, enqueueing the periodic sync sweep every minute.

The sweep itself (`sync.schedule.enqueue_due_syncs`) runs on a worker and decides which
accounts are due; this process only keeps time, so several can run without double syncs
(the queue de-duplicates waiting jobs).
"""

from __future__ import annotations

import argparse

SWEEP_INTERVAL_SECONDS = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=int, default=SWEEP_INTERVAL_SECONDS, help="seconds between sweeps")


def run(args: argparse.Namespace) -> int:
    from rq.cron import CronScheduler

    from assistant.core.runtime import redis_client
    from sync.queues import Priority
    from sync.schedule import enqueue_due_syncs

    scheduler = CronScheduler(connection=redis_client())
    scheduler.register(enqueue_due_syncs, queue_name=Priority.HIGH.value, interval=args.interval)
    scheduler.start()
    return 0
