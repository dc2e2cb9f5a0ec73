"""CPU time used by the processes a bench run involves, read from /proc (Linux).

Dividing what the app, PostgreSQL and the load generator used during a level by the
requests served says where a request's cost goes: on a machine of 2 shared cores the
sum bounds the throughput, whatever the event loop does.
"""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and its descendants, live or ended (0 when unreadable)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        # utime, stime, and cutime, cstime: what its children that have ended used.
        times[pid] = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        total += times.get(pid, 0.0)
        pending.extend(children.get(pid, []))
    return total


def own_seconds() -> float:
    """This process's user + system CPU seconds (all threads)."""
    used = os.times()
    return used.user + used.system


def postmaster(data_dir: Path) -> int | None:
    """The embedded PostgreSQL's main process, if this data directory runs one."""
    try:
        return int((data_dir / "embedded" / "postgres" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
