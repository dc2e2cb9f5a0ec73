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
        line = next((l for l in lines if l.strip().startswith(name + " ")), None)
        assert line is not None, f"{name} missing from --help"
        assert len(line.split()) > 2, f"{name} has no summary"
