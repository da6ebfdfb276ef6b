"""dali-gate-run2.json from the H200 run's second session: its DALI rows stopped at their
preprocessing gate before timing, so pytest-benchmark wrote no rows for them; the gate's
measurements are in the step logs, and this collects them with the session's machine info.

    python docs/results/h200/dali_gate.py
"""

import gzip
import json
import re
import tarfile

HERE = "docs/results/h200"
GATE = re.compile(r"PreprocessGateError: (\S+): dali preprocessing differs from PIL by max ([\d.]+) / mean ([\d.]+) levels "
                  r"\(tolerance max ([\d.]+) / mean ([\d.]+)")  # fmt: skip
COMMON = "-p no:cacheprovider --device cuda --max-time 0.2 --warmup 3 -q -rs --no-html-report --tuning /tmp/h200-run/tuning.json"
STEPS = {  # docs/results/h200/run.sh, steps e2e-dali-torch and e2e-dali-ort
    "e2e-dali-torch": "torch,torch-cudagraph",
    "e2e-dali-ort": "onnxruntime,onnxruntime-cudagraph",
}

rows = []
with tarfile.open(f"{HERE}/logs-run2.tar.gz") as logs:
    for step in STEPS:
        for match in GATE.finditer(logs.extractfile(f"{step}.log").read().decode()):
            row, pixel_max, pixel_mean, tolerance_max, tolerance_mean = match.groups()
            rows.append({"step": step, "row": row, "pixel_max_abs": float(pixel_max), "pixel_mean_abs": float(pixel_mean),
                         "tolerance_max_abs": float(tolerance_max), "tolerance_mean_abs": float(tolerance_mean)})  # fmt: skip
session = json.load(gzip.open(f"{HERE}/e2e-fp32.json.gz"))
result = {
    "command": "python docs/results/h200/dali_gate.py",
    "source": "logs-run2.tar.gz: e2e-dali-torch.log (12 rows errored at the gate), e2e-dali-ort.log (10 errored, 2 not reached: cut short)",
    "step_commands": {
        step: f"pytest benchmarks --backends {backends} --models resnet18,mobilenet_v3_small,efficientnet_b0 --precisions fp16 "
              f"--batch 1,32 --preprocess dali -k test_end_to_end {COMMON}"
        for step, backends in STEPS.items()
    },  # fmt: skip
    "rows": rows,
    "machine_info_from": "e2e-fp32.json.gz: the same machine in the same device session (written 14:11 UTC; the DALI steps ran 14:15-14:19)",
    "machine_info": session["machine_info"],
    "commit_info": session["commit_info"],
}
with open(f"{HERE}/dali-gate-run2.json", "w") as handle:
    json.dump(result, handle, indent=1)
print(len(rows), "rows:", sorted({(row["pixel_max_abs"], row["pixel_mean_abs"]) for row in rows}))
