"""The `concierge` command lists its subcommands, one line each."""

import subprocess
import sys

SUBCOMMANDS = ["demo", "migrate", "sandbox", "worker", "cron", "sync", "ask", "eval", "bench"]


def test_help_lists_every_subcommand_with_a_summary() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--help"], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    for name in SUBCOMMANDS:
        line = next((line for line in lines if line.strip().startswith(name + " ")), None)
        assert line is not None, f"{name} missing from --help"
        assert len(line.split()) > 2, f"{name} has no summary"


def test_children_that_ignore_sigterm_are_killed_after_one_shared_grace_period() -> None:
    import time

    from assistant.core.processes import stop_children

    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    polite = "import time; print('ready', flush=True); time.sleep(60)"
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for code in (stubborn, stubborn, polite)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"  # handlers are in place
    started = time.monotonic()
    stop_children(children, grace=1.5)
    elapsed = time.monotonic() - started
    assert all(child.poll() is not None for child in children)
    assert [child.returncode for child in children] == [-9, -9, -15]  # killed, killed, terminated
    assert elapsed < 3  # one grace period for all, not 1.5 s each
