"""How many calibration samples INT8 needs, and what they cost: percentile ranges (the default
method) from 64, 128 and 256 photos (256 is the default `--calib-size`) for the three ImageNet
models, timed on a cold ranges entry, then each recipe's drift against FP32 and ORT CPU p50 at batch 1
(`accel.tools.compare_calibration`). Calibration is a third of a cold main job on the 2-core machine.

    ACCEL_CACHE_DIR=/tmp/calib-study python docs/results/calibration/calib_size.py   # writes calib_size.json beside itself
"""

import json
import subprocess
import time
from pathlib import Path

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.measure.sysinfo import collect
from accel.tools.compare_calibration import compare

MODELS = ("resnet18", "mobilenet_v3_small", "efficientnet_b0")
SIZES = (64, 128, 256)


def main() -> None:
    rows = []
    cache = ArtifactCache()
    for model in MODELS:
        # weights, FP32 export and the quantization-ready model, shared by every size: built before any timing
        ArtifactStore(cache, calib_method="percentile", calib_size=8).ranges_entry(model)
        for size in SIZES:
            store = ArtifactStore(cache, calib_method="percentile", calib_size=size)
            store.calibration_entry(model)  # the photos, preprocessed: not part of what is timed
            started = time.perf_counter()
            store.ranges_entry(model)
            seconds = time.perf_counter() - started
            for row in compare([model], methods=("percentile",), calib_size=size):
                rows.append({**row, "ranges_s": round(seconds, 1)})
                print(json.dumps({k: rows[-1][k] for k in ("model", "calib_size", "recipe", "ranges_s")} |
                                 {"top1": row["drift"]["top1_agreement"], "cosine_mean": round(row["drift"]["cosine_mean"], 5)}), flush=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip())
    out = Path(__file__).with_name("calib_size.json")
    out.write_text(json.dumps({"command": "ACCEL_CACHE_DIR=/tmp/calib-study python docs/results/calibration/calib_size.py",
                               "commit": commit, "dirty": dirty, "rows": rows, "machine_info": collect()}, indent=1) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
