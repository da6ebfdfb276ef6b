"""DALI's preprocessing against the PIL reference, on DALI's CPU operators (no GPU needed).

The H200 run's DALI rows all stopped at their pixel gate: max 90 / mean 1.11 levels against PIL
(docs/results/h200). This measures, on the same JPEG bytes, the pipeline as it ran there (DALI's own
`resize_shorter` and default centre crop) and as `accel.inputs.dali` runs it now (the reference's
resized size and crop origin, read from each JPEG header), both on DALI's CPU decoder (libjpeg-turbo,
so nvJPEG's own share of the GPU difference is not in these numbers).

Run from the repository root, with nvidia-dali-cuda130 installed:
    ACCEL_CACHE_DIR=/tmp/cache python docs/results/preprocess/dali_cpu_probe.py
"""

import json
import subprocess

import numpy as np
import nvidia.dali
from nvidia.dali import fn, pipeline_def, types

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.inputs.dali import DaliPreprocess
from accel.inputs.preprocess import IMAGENET_MEAN, IMAGENET_STD
from accel.measure.sysinfo import collect
from accel.quality.preprocessing import pixel_difference

OUT = "docs/results/preprocess/dali_cpu_probe.json"
store = ArtifactStore(ArtifactCache())
items = store.workload("resnet18").end_to_end_items(jpeg=True)
reference = store.workload("resnet18").preprocess(items)
encoded = [np.frombuffer(item.data, dtype=np.uint8) for item in items]


def dali_own_geometry() -> np.ndarray:
    """The pipeline the H200 rows ran, on the CPU operators: DALI's resize_shorter and centre crop."""

    @pipeline_def(batch_size=len(items), num_threads=2, device_id=None, prefetch_queue_depth=1, exec_async=False, exec_pipelined=False)
    def pipeline():
        jpegs = fn.external_source(name="jpegs", dtype=types.UINT8)
        images = fn.decoders.image(jpegs, device="cpu", output_type=types.RGB)
        images = fn.resize(images, resize_shorter=256, interp_type=types.INTERP_LINEAR, antialias=True)
        return fn.crop_mirror_normalize(images, crop=(224, 224), mean=list(IMAGENET_MEAN * 255.0), std=list(IMAGENET_STD * 255.0),
                                        dtype=types.FLOAT, output_layout="CHW")  # fmt: skip

    pipe = pipeline()
    pipe.build()
    pipe.feed_input("jpegs", encoded)
    (output,) = pipe.run()
    return output.as_array()


def accel_dali() -> np.ndarray:
    path = DaliPreprocess(224, len(items), device="cpu")
    return path(path.load(items)).numpy()


def levels(candidate: np.ndarray) -> dict[str, float]:
    difference = pixel_difference(reference, candidate)
    return {"max_abs": round(difference.max_abs, 4), "mean_abs": round(difference.mean_abs, 4)}


result = {
    "command": "ACCEL_CACHE_DIR=/tmp/cache python docs/results/preprocess/dali_cpu_probe.py",
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "dali_version": nvidia.dali.__version__,
    "images": len(items),
    "pixels_vs_pil_levels": {"dali_own_geometry_cpu": levels(dali_own_geometry()), "accel_dali_cpu": levels(accel_dali())},
    "machine_info": collect(),
}
with open(OUT, "w") as handle:
    json.dump(result, handle, indent=1)
print(json.dumps(result["pixels_vs_pil_levels"], indent=1))
