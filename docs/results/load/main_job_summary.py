"""Summarise the default main job before and after the p99-driven round plan: rows, samples,
measured seconds, and how many rows' p99 95% interval is within ±5% (and within looser bounds).

    python docs/results/load/main_job_summary.py docs/results/load/main-job-before.json.gz \
        docs/results/load/main-job-after.json.gz > docs/results/load/main-job-summary.json

The before run predates the intervals, so they are computed here from its samples.
"""

import json
import sys

import numpy as np

from accel.measure.report import load_json
from accel.measure.stats import Stats


def summary(path: str) -> dict:
    rows = load_json(path)["benchmarks"]
    widths = []
    for bench in rows:
        width = Stats(bench["stats"]["data"]).interval("p99").relative_half_width()
        widths.append(width)
    samples = [len(bench["stats"]["data"]) for bench in rows]
    return {
        "file": path,
        "command": load_json(path)["accel"]["command"],
        "rows": len(rows),
        "samples": int(sum(samples)),
        "measured_s": round(float(sum(np.sum(bench["stats"]["data"]) for bench in rows)), 1),
        "rows_p99_unbounded": sum(width is None for width in widths),
        "rows_under_368_samples": sum(n < 368 for n in samples),
        "rows_p99_within": {f"{t:.0%}": sum(w is not None and w <= t for w in widths) for t in (0.05, 0.10, 0.20, 0.50)},
        "loose_at_5_percent": sorted(bench["name"] for bench, w in zip(rows, widths) if w is None or w > 0.05),
    }


if __name__ == "__main__":
    json.dump([summary(path) for path in sys.argv[1:]], sys.stdout, indent=1)
