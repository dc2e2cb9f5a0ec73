"""Latency vs concurrency from `concierge bench pipeline --concurrency 1,5,10,20 --chart`
(matplotlib, a dev/bench dependency: imported only when a chart is asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TITLES = {"local": "local provider (no LLM)", "scripted_llm": "scripted LLM (200 ms intent, 50 tokens/s)"}


def draw(sweep: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """One panel per configuration: p50/p95/p99 end to end (and time to first token with a
    model) against concurrent users, with throughput on the right axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(sweep), figsize=(6 * len(sweep), 4.2), squeeze=False)
    for axis, (name, results) in zip(axes[0], sweep.items(), strict=True):
        users = [r["concurrency"] for r in results]
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s--"), ("p99_ms", "^:")):
            axis.plot(users, [r.get(key) for r in results], style, label=f"end to end {key[:3]}")
        if name == "scripted_llm":
            axis.plot(users, [r.get("ttft_p50_ms") for r in results], "d-", label="first token p50")
        axis.set_title(TITLES.get(name, name))
        axis.set_xlabel("concurrent users")
        axis.set_ylabel("latency (ms)")
        axis.set_xticks(users)
        axis.grid(alpha=0.3)
        throughput = axis.twinx()
        throughput.bar(users, [r["qps"] for r in results], width=0.8, alpha=0.15, color="grey", label="QPS")
        throughput.set_ylabel("requests per second (bars)")
        axis.set_zorder(throughput.get_zorder() + 1)
        axis.patch.set_visible(False)
        axis.legend(loc="upper left", fontsize=8)
    loads = [r["load_average_1m"] for results in sweep.values() for r in results if "load_average_1m" in r]
    if loads:  # the numbers mean little without how busy the machine was
        figure.suptitle(f"1-minute load average during the levels: {min(loads):.1f} to {max(loads):.1f}", fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
