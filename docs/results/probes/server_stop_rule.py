"""Does the Server loop's stop rule (sort every response so far: is p99 tight yet?) land in the
response times it measures? A synthetic server (a spin of 0.1 ms or 0.5 ms per query, no model) at
30/60/85% of its capacity, the same Poisson arrivals for every arm, 4 s each:

- `no check`: the rule never runs (the floor);
- `check in the loop`: the rule every 100 completions whether or not queries wait, as the loop did
  before (emulated by running it inside the service call: queries wait for it the same way);
- `check, time stopped`: the loop as it is now (accel.measure.server.serve): every query not yet
  served moves later by the rule's duration, checks spaced by a tenth of the completions so far.

    python docs/results/probes/server_stop_rule.py   # writes server_stop_rule.json beside itself
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from accel.measure.server import BatchingPolicy, WallClock, serve
from accel.measure.serving import ServerPlan
from accel.measure.sysinfo import collect
from accel.measure.timing import now_ns

LOADS = (0.3, 0.6, 0.85)
SERVICES_MS = (0.1, 0.5)
PLAN = ServerPlan(time_cap_s=4.0, min_duration_s=5.0)  # never tight before the cap: every arm serves the same queries


def spin(seconds: float):
    def execute(size: int) -> None:
        end = now_ns() + seconds * 1e9
        while now_ns() < end:
            pass

    return execute


def checking_inside(execute, rule, every: int = 100):
    """The old loop: the rule after every `every` completions, while the queue waits, on as many
    responses as were served (drawn: sorting them costs what sorting the real ones does)."""
    responses = np.random.default_rng(0).exponential(1e-3, 200_000)
    served = 0

    def run(size: int) -> None:
        nonlocal served
        execute(size)
        served += size
        if served % every == 0:
            rule(responses[:served], 10.0)

    return run


def arm(name: str, service_s: float, rate: float) -> dict:
    execute, stop = spin(service_s), None
    if name == "check in the loop":
        execute = checking_inside(execute, PLAN.stop_rule())
    elif name == "check, time stopped":
        stop = PLAN.stop_rule()
    trace = serve(PLAN.arrivals(rate), BatchingPolicy(), execute, WallClock(), stop=stop)
    response = trace.response_s * 1e3
    return {"arm": name, "service_ms": service_s * 1e3, "load": rate * service_s, "queries": len(response),
            "p50_ms": float(np.percentile(response, 50)), "p99_ms": float(np.percentile(response, 99)),
            "utilisation": trace.utilisation, "paused_ms": trace.paused_s * 1e3}  # fmt: skip


def main() -> None:
    rows = []
    for service_ms in SERVICES_MS:
        for load in LOADS:
            for name in ("no check", "check in the loop", "check, time stopped"):
                rows.append(arm(name, service_ms * 1e-3, load / (service_ms * 1e-3)))
                print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip())
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps({"command": "python docs/results/probes/server_stop_rule.py", "commit": commit, "dirty": dirty,
                               "rows": rows, "machine_info": collect()}, indent=1) + "\n")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
