"""`concierge worker`: an RQ worker taking sync jobs from the high, default and low queues."""

from __future__ import annotations

import argparse

from rq import Queue, Worker
from rq.job import Job

from assistant.core.settings import get_settings
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


class SyncWorker(Worker):
    """RQ's worker, with a killed worker's job taken over within `liveness_seconds`.

    RQ keeps a running job's entry alive for its heartbeat interval plus a fixed 60 s, so
    a job whose worker was SIGKILLed waits over a minute before another worker re-runs
    it. Heartbeats come from the worker's main process (not the busy work horse) every
    third of `liveness_seconds`, so an entry that outlives two missed heartbeats belongs
    to a dead worker.
    """

    def __init__(self, *args: object, liveness_seconds: int, **kwargs: object) -> None:
        # Maintenance (which re-queues abandoned jobs) runs every `liveness_seconds`, and
        # an idle worker wakes from its wait for a job that often to look (RQ waits
        # worker_ttl - 15 s).
        super().__init__(
            *args,
            job_monitoring_interval=max(1, liveness_seconds // 3),
            maintenance_interval=liveness_seconds,
            worker_ttl=liveness_seconds + 15,
            **kwargs,  # type: ignore[arg-type]
        )
        self.liveness_seconds = liveness_seconds

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.liveness_seconds


def run(args: argparse.Namespace) -> int:
    # deferred: assistant.core.runtime (SQLAlchemy, the database layer) adds 178 ms to every
    # `concierge` call, `--help` included, which imports this module to build its help.
    from assistant.core.runtime import redis_client

    settings = get_settings()
    connection = redis_client()
    worker = SyncWorker(
        [Queue(name, connection=connection) for name in args.queues],
        connection=connection,
        name=args.name,
        liveness_seconds=settings.worker_liveness_seconds,
    )
    worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level.upper())
    return 0
