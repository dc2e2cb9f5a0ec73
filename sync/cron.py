"""`concierge cron`: RQ's cron scheduler, enqueueing the periodic sync sweep every minute
and the push-channel pass every ten.

The sweep itself (`sync.schedule.enqueue_due_syncs`) runs on a worker and decides which
accounts are due; this process only keeps time, so several can run without double syncs
(the queue de-duplicates waiting jobs). The push-channel pass (`sync.watch.run_watch_pass`)
opens and renews Google's watch channels while a public URL is configured (and stops them
once it is not); passes never overlap (a lock), and the sweep runs either way.
"""

from __future__ import annotations

import argparse

from sync.queues import Priority

SWEEP_INTERVAL_SECONDS = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=int, default=SWEEP_INTERVAL_SECONDS, help="seconds between sweeps")


def run(args: argparse.Namespace) -> int:
    # deferred: these add 406 ms to every `concierge` call, `--help` included, which imports
    # this module to build its help (timed after build_parser(), median of 7).
    from rq.cron import CronScheduler

    from assistant.core.runtime import redis_client
    from sync.schedule import enqueue_due_syncs
    from sync.watch import PASS_INTERVAL_SECONDS, PASS_TIMEOUT_SECONDS, run_watch_pass

    scheduler = CronScheduler(connection=redis_client())
    scheduler.register(enqueue_due_syncs, queue_name=Priority.HIGH.value, interval=args.interval)
    scheduler.register(
        run_watch_pass,
        queue_name=Priority.DEFAULT.value,
        interval=PASS_INTERVAL_SECONDS,
        job_timeout=PASS_TIMEOUT_SECONDS,
    )
    scheduler.start()
    return 0
