"""Why torch fp16 is not in the CPU matrix: resnet18 batch 1 eager latency in fp32, bf16 and fp16."""
import json, sys, torch
from accel.artifacts.store import ArtifactStore
from accel.artifacts.cache import ArtifactCache
from accel.measure.stats import Stats
from accel.measure.sysinfo import collect
from accel.measure.timing import time_calls
store = ArtifactStore(ArtifactCache())
x = torch.from_numpy(store.workload("resnet18").batch_of(1))
rows = {}
for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16)):
    model = store.torch_model("resnet18").to(dtype)
    inputs = x.to(dtype)
    with torch.inference_mode():
        rows[name] = Stats(time_calls(lambda: model(inputs), iterations=10, warmup=3)).as_dict()
print(json.dumps({k: round(v["p50"], 2) for k, v in rows.items()}))
json.dump({"command": "ACCEL_CACHE_DIR=/tmp/cache2 python docs/results/probes/torch_cpu_half.py", "resnet18_b1_torch_cpu_ms": rows,
           "machine_info": collect()}, open("docs/results/probes/torch_cpu_half.json", "w"), indent=2)
