"""What sets the GPU preprocessing checks' bounds, measured on the CPU (accel.quality.preprocessing).

1. The torchvision path's arithmetic against PIL on the suite's JPEG re-encodes, on CPU tensors:
   as it runs on the CPU (torchvision's uint8 resize) and with the float resize the GPU runs.
2. Which input changes the logit-drift yardstick (PIL on a JPEG q75 re-encode) lets through and which
   it stops: benign ones (+-k levels of noise, the float resize) and broken paths (BGR, a 1-pixel crop
   shift, no antialiasing, resize to 224), through each ImageNet model in fp32 torch, seeded weights.

Run from the repository root: ACCEL_CACHE_DIR=/tmp/cache python docs/results/preprocess/cpu_probe.py
"""

import io
import json
import warnings

import numpy as np
import torch
from PIL import Image
from torchvision.transforms.v2 import functional

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.inputs.gpu_preprocess import TorchvisionPreprocess
from accel.inputs.images import decode
from accel.inputs.jpeg import reencode_jpeg
from accel.inputs.preprocess import IMAGENET_STD, center_crop, normalize, resize_shorter_side
from accel.matrix import IMAGENET_MODELS
from accel.measure.sysinfo import collect
from accel.quality.drift import measure_drift
from accel.quality.preprocessing import YARDSTICK_QUALITY, pixel_difference

warnings.simplefilter("ignore")  # torchvision 0.29 deprecates its image decoders on every call
OUT = "docs/results/preprocess/cpu_probe.json"
store = ArtifactStore(ArtifactCache())
items = store.workload("resnet18").end_to_end_items(jpeg=True)
photos = [decode(item) for item in items]
reference = store.workload("resnet18").preprocess(items)


def torchvision_path(float_resize: bool) -> np.ndarray:
    """The suite's torchvision path on CPU tensors; `float_resize`: resize in float and round, as on CUDA."""
    resize = functional.resize

    def resize_in_float(image, size, antialias):
        return resize(image.float(), size, antialias=antialias).round_().clamp_(0, 255).byte()

    if float_resize:
        functional.resize = resize_in_float
    try:
        path = TorchvisionPreprocess(224, device="cpu")
        return path(path.load(items)).numpy()
    finally:
        functional.resize = resize


def shifted(image: Image.Image) -> np.ndarray:
    resized = resize_shorter_side(image, 256)
    left, top = (resized.size[0] - 224) // 2 + 1, (resized.size[1] - 224) // 2
    return normalize(resized.crop((left, top, left + 224, top + 224)))


rng = np.random.default_rng(0)
noise = {f"noise +-{k} levels": reference + rng.integers(-k, k + 1, reference.shape).astype(np.float32) / (IMAGENET_STD.reshape(1, 3, 1, 1) * 255) for k in (1, 2)}
variants = {
    **noise,
    "torchvision path, float resize (the GPU's arithmetic)": torchvision_path(True),
    f"yardstick: JPEG q{YARDSTICK_QUALITY} re-encode": store.workload("resnet18").preprocess([reencode_jpeg(item, YARDSTICK_QUALITY) for item in items]),
    "broken: BGR": np.ascontiguousarray(reference[:, ::-1]),
    "broken: crop 1 pixel right": np.stack([shifted(image) for image in photos]),
    "broken: nearest resize (no antialias)": np.stack([normalize(center_crop(image.resize(resize_shorter_side(image, 256).size, Image.NEAREST), 224)) for image in photos]),
    "broken: shorter side 224": np.stack([normalize(center_crop(resize_shorter_side(image, 224), 224)) for image in photos]),
}  # fmt: skip
result = {
    "command": "ACCEL_CACHE_DIR=/tmp/cache python docs/results/preprocess/cpu_probe.py",
    "images": len(items),
    "pixels_vs_pil_levels": {
        name: pixel_difference(reference, batch).__dict__
        for name, batch in (("torchvision path on CPU (uint8 resize)", torchvision_path(False)), *variants.items())
    },
    "drift_vs_pil": {},
    "machine_info": collect(),
}
for model in IMAGENET_MODELS:
    net = store.torch_model(model).eval()
    with torch.inference_mode():
        logits = {name: net(torch.from_numpy(batch)).numpy() for name, batch in {"pil": reference, **variants}.items()}
    result["drift_vs_pil"][model] = {name: measure_drift(logits["pil"], value).as_dict() for name, value in logits.items() if name != "pil"}
    print(model)
    for name, drift in result["drift_vs_pil"][model].items():
        print(f"  {name:55s} cosine_mean {drift['cosine_mean']:.5f} cosine_min {drift['cosine_min']:.5f} top5 {drift['top5_overlap']:.3f}")
for name, pixels in result["pixels_vs_pil_levels"].items():
    print(f"{name:55s} pixels max {pixels['max_abs']:.2f} mean {pixels['mean_abs']:.4f}")
with open(OUT, "w") as out:
    json.dump(result, out, indent=2)
