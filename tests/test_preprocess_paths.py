"""Preprocessing as an axis of end-to-end rows (`--preprocess`): the JPEG re-encode, ids and option
parsing, the checks against the PIL reference and their gates, and the stage bookkeeping of a
device path. The torchvision path's arithmetic runs here on CPU tensors (decode_jpeg on CPU): the
same code the GPU runs with device="cuda"."""

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from accel.backends import registry
from accel.backends.base import Runner
from accel.errors import UsageError
from accel.inputs.gpu_preprocess import DevicePreprocess, TorchvisionPreprocess, serves_jpeg
from accel.inputs.images import EncodedImage, image_source
from accel.inputs.jpeg import JPEG_QUALITY, as_jpeg, reencode_jpeg
from accel.inputs.workloads import PhotoWorkload
from accel.matrix import Combination, combinations, parse_selection, with_preprocess
from accel.measure import end_to_end
from accel.measure.end_to_end import DEVICE_PREPROCESS_STAGES, EndToEnd
from accel.measure.preprocess_check import compare_with_pil, row_preprocessing
from accel.measure.record import MEMORY_FIELDS, SKIPPED_FIELDS, Timing, benchmark_record, skipped_row
from accel.quality.drift import Drift, DriftGateError
from accel.quality.preprocessing import (
    PIXEL_TOLERANCES,
    PixelDifference,
    PreprocessCheck,
    PreprocessGateError,
    gate_preprocessing,
    pixel_difference,
)

ROOT = Path(__file__).resolve().parents[1]
STD_LEVELS = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1) * 255
GPU_ROW = Combination("resnet18", "torch", "fp16", "cuda", 4, 224, preprocess="torchvision-cuda")


def png_bytes(size=(40, 30), mode="RGB", seed=0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], len(mode)), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photos() -> list[EncodedImage]:
    return image_source(None)


@pytest.fixture(scope="module")
def workload(photos) -> PhotoWorkload:
    return PhotoWorkload("resnet18", 224, photos)


# ---- the JPEG re-encode ---------------------------------------------------------------------


def test_reencode_gives_a_jpeg_of_the_same_photo_at_the_stated_quality():
    original = EncodedImage("a.png", png_bytes())
    jpeg = reencode_jpeg(original)
    with Image.open(io.BytesIO(jpeg.data)) as opened:
        assert opened.format == "JPEG" and opened.size == (40, 30) and opened.mode == "RGB"
    assert jpeg.name == f"a.png (jpeg q{JPEG_QUALITY})"
    assert len(reencode_jpeg(original, quality=50).data) < len(jpeg.data)  # the quality is the one asked for


def test_reencode_composites_transparency_as_the_pil_path_decodes_it():
    transparent = np.zeros((8, 8, 4), dtype=np.uint8)  # fully transparent black: white on the page
    buffer = io.BytesIO()
    Image.fromarray(transparent, "RGBA").save(buffer, format="PNG")
    jpeg = reencode_jpeg(EncodedImage("t.png", buffer.getvalue()))
    assert np.asarray(Image.open(io.BytesIO(jpeg.data))).min() >= 250


def test_every_photo_is_re_encoded_once_and_only_in_runs_with_a_gpu_path(photos, workload):
    assert any(photo.name.endswith(".jpg") for photo in photos)  # JPEG files are re-encoded too: one encoder, one quality
    served = workload.end_to_end_items(jpeg=True)
    assert len(served) == len(photos) and all(item.data[:2] == b"\xff\xd8" for item in served)
    assert workload.end_to_end_items(jpeg=True) is served  # once per workload
    assert workload.end_to_end_items(jpeg=False) == photos  # default runs decode the files as given
    assert [item.name for item in as_jpeg(photos[:2])] == [item.name for item in served[:2]]
    assert serves_jpeg(("pil", "torchvision-cuda")) and serves_jpeg(("dali",)) and not serves_jpeg(("pil",))


# ---- ids, the axis and the option ---------------------------------------------------------------


def test_ids_gain_the_path_only_where_it_is_not_the_default():
    assert GPU_ROW.test_id == "resnet18-torch-fp16-cuda-b4-torchvision-cuda"
    assert Combination("resnet18", "torch", "fp16", "cuda", 4, 160, preprocess="dali").test_id == "resnet18-torch-fp16-cuda-b4-s160-dali"
    assert Combination("resnet18", "torch", "fp16", "cuda", 4, preprocess="pil").test_id == "resnet18-torch-fp16-cuda-b4"
    assert Combination("resnet18", "torch", "fp16", "cuda", 4).test_id == "resnet18-torch-fp16-cuda-b4"


def test_gpu_paths_expand_cuda_photo_rows_only():
    selection = parse_selection(models="resnet18,digits_mlp", backends="torch", precisions="fp32", device="cpu,cuda", batch="1",
                                preprocess="pil,torchvision-cuda")  # fmt: skip
    ids = [combo.test_id for combo in with_preprocess(combinations(selection), selection.preprocess)]
    assert ids == ["resnet18-torch-fp32-cpu-b1", "resnet18-torch-fp32-cuda-b1", "resnet18-torch-fp32-cuda-b1-torchvision-cuda",
                   "digits_mlp-torch-fp32-cpu-b1", "digits_mlp-torch-fp32-cuda-b1"]  # fmt: skip
    digits = with_preprocess(combinations(selection), selection.preprocess)[-1]
    assert digits.preprocess is None  # digits inputs are not photos: no path
    only_gpu = with_preprocess(combinations(selection), ("torchvision-cuda",))
    assert [combo.test_id for combo in only_gpu if combo.model == "resnet18"] == ["resnet18-torch-fp32-cuda-b1-torchvision-cuda"]


def test_preprocess_option_defaults_to_pil_and_names_valid_values():
    assert parse_selection().preprocess == ("pil",)
    assert parse_selection(preprocess="all").preprocess == ("pil", "torchvision-cuda", "dali")
    assert parse_selection(preprocess="dali, pil,dali").preprocess == ("dali", "pil")
    with pytest.raises(UsageError, match=r"`--preprocess` must be one of pil, torchvision-cuda, dali, all; got 'nvjpeg'"):
        parse_selection(preprocess="pil,nvjpeg")


def test_gpu_path_rows_skip_with_the_reason_where_they_cannot_run(monkeypatch):
    monkeypatch.setattr(registry, "cuda_available", lambda: False)
    assert registry.skip_reason(GPU_ROW) == "no CUDA device: torch.cuda.is_available() is False on this machine"
    monkeypatch.setattr(registry, "cuda_available", lambda: True)
    assert registry.skip_reason(GPU_ROW) is None

    monkeypatch.setitem(sys.modules, "nvidia.dali", None)  # what an install without DALI looks like to `import`
    reason = registry.skip_reason(Combination("resnet18", "torch", "fp16", "cuda", 4, preprocess="dali"))
    assert reason.startswith("--preprocess dali needs NVIDIA DALI: `import nvidia.dali` failed (")
    assert reason.endswith("); pip install nvidia-dali-cuda130")


@pytest.mark.slow
def test_suite_collects_the_axis_on_end_to_end_rows_and_refuses_a_bad_value(tmp_path):
    def collect(*args):
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(ROOT / "benchmarks" / "test_latency.py"), "-p", "no:cacheprovider", "--collect-only", "-q",
             "--models", "resnet18", "--backends", "torch", "--precisions", "fp32", "--device", "cuda", "--batch", "1", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "ACCEL_CACHE_DIR": str(tmp_path)},
        )  # fmt: skip

    result = collect("--preprocess", "pil,torchvision-cuda")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = [line.split("::")[1] for line in result.stdout.splitlines() if "::" in line]
    assert rows == ["test_inference[resnet18-torch-fp32-cuda-b1]", "test_end_to_end[resnet18-torch-fp32-cuda-b1]",
                    "test_end_to_end[resnet18-torch-fp32-cuda-b1-torchvision-cuda]"]  # fmt: skip
    bad = collect("--preprocess", "gpu")
    assert bad.returncode == 4 and "`--preprocess` must be one of pil, torchvision-cuda, dali, all; got 'gpu'" in bad.stderr


# ---- the record -----------------------------------------------------------------------------


def check_of(max_abs=0.5, mean_abs=0.1, cosine_mean=0.9999, yardstick_cosine=0.999) -> PreprocessCheck:
    def drift(cosine):
        return Drift(top1_agreement=1.0, top5_overlap=1.0, cosine_mean=cosine, cosine_min=cosine, max_abs=0.1, worst_index=0, n=18)

    return PreprocessCheck("torchvision-cuda", PixelDifference(max_abs, mean_abs, 18), PIXEL_TOLERANCES["torchvision-cuda"],
                           drift(cosine_mean), drift(yardstick_cosine))  # fmt: skip


def test_records_carry_the_path_as_identity_and_the_check_as_a_section():
    memory = dict.fromkeys(MEMORY_FIELDS, 0.0)
    extra = {"preprocess_check": check_of().record()}
    record = benchmark_record(GPU_ROW, "end_to_end", "w", Timing.from_samples([0.001, 0.002], 4), memory, {}, 0, extra)
    assert record["preprocess"] == "torchvision-cuda"
    assert record["preprocess_check"]["drift_bound"]["cosine_mean"] == 0.999
    inference = benchmark_record(Combination("resnet18", "torch", "fp16", "cuda", 4), "inference", "w", Timing.from_samples([0.001], 4), memory, {}, 0)
    assert inference["preprocess"] is None  # rows that time no photo preprocessing
    skipped = skipped_row(GPU_ROW, "test_end_to_end", "no CUDA device")
    assert set(skipped) == set(SKIPPED_FIELDS) and skipped["preprocess"] == "torchvision-cuda"


# ---- the tolerance check --------------------------------------------------------------------


def test_pixel_difference_is_in_8_bit_levels():
    reference = np.zeros((2, 3, 4, 4), dtype=np.float32)
    candidate = reference.copy()
    candidate[0, :, 0, 0] = 3.0 / STD_LEVELS[0, :, 0, 0]  # three levels in every channel of one pixel
    difference = pixel_difference(reference, candidate)
    assert difference.max_abs == pytest.approx(3.0) and difference.mean_abs == pytest.approx(3.0 * 3 / reference.size) and difference.n == 2
    with pytest.raises(ValueError, match="shape mismatch"):
        pixel_difference(reference, candidate[:1])


def test_gate_passes_within_tolerance_and_fails_outside_it_naming_the_bound():
    gate_preprocessing(check_of(), "row", "photo")
    tolerance = PIXEL_TOLERANCES["torchvision-cuda"]
    gate_preprocessing(check_of(max_abs=tolerance.max_abs, mean_abs=tolerance.mean_abs), "row", "photo")  # bounds are inclusive
    with pytest.raises(PreprocessGateError, match=r"row: torchvision-cuda preprocessing differs from PIL by max 0.5 / mean 2.5 levels"):
        gate_preprocessing(check_of(mean_abs=2.5), "row", "photo")
    with pytest.raises(PreprocessGateError, match="max 65"):
        gate_preprocessing(check_of(max_abs=65.0), "row", "photo")
    gate_preprocessing(check_of(max_abs=17.0, mean_abs=0.2435), "row", "photo")  # what nvJPEG gave on the H200
    for max_abs, mean_abs in ((50.0, 0.2), (17.0, 1.15), (141.0, 4.8)):  # a q75 re-encode's max, its mean; the mildest broken path
        with pytest.raises(PreprocessGateError):
            gate_preprocessing(check_of(max_abs=max_abs, mean_abs=mean_abs), "row", "photo")
    gate_preprocessing(check_of(cosine_mean=0.999, yardstick_cosine=0.999), "row", "photo")
    with pytest.raises(DriftGateError, match=r"row: drift against the PIL preprocessing \(torchvision-cuda inputs\) outside threshold: "
                                             r"cosine_mean=0.99800 < 0.999 \(worst input: photo"):  # fmt: skip
        gate_preprocessing(check_of(cosine_mean=0.998), "row", "photo")


# ---- the torchvision path's arithmetic, on the CPU ----------------------------------------------


def test_torchvision_path_on_cpu_matches_pil_within_one_level(workload):
    items = workload.end_to_end_items(jpeg=True)
    path = TorchvisionPreprocess(224, device="cpu")
    batch = path(path.load(items))
    assert batch.dtype == torch.float32 and tuple(batch.shape) == (len(items), 3, 224, 224)
    difference = pixel_difference(workload.preprocess(items), batch.numpy())
    # Measured here: max 1.0, mean 0.00066 levels (the same libjpeg-turbo decode; uint8 resizes that round apart).
    assert difference.max_abs <= 1.0 + 1e-4 and difference.mean_abs < 0.01


class ConvRunner(Runner):
    """A small seeded convnet that takes host batches (`upload`) and CPU tensors (`adopt`), standing in
    for a CUDA runner: the check drives it exactly as it drives a torch or ONNX Runtime CUDA runner."""

    def __init__(self, combo: Combination) -> None:
        super().__init__(combo)
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 7, stride=4), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten(), torch.nn.Linear(256, 20)
        ).eval()
        self.adopted = 0

    @property
    def takes_device_batch(self) -> bool:
        return True

    def upload(self, batch):
        return torch.from_numpy(np.ascontiguousarray(batch))

    def adopt(self, batch):
        self.adopted += 1
        return batch

    def enqueue(self, inputs):
        with torch.inference_mode():
            return self.net(inputs)

    def download(self, outputs):
        return outputs.numpy()

    def describe(self):
        return {"engine": "conv"}


class SwappedChannels(TorchvisionPreprocess):
    """A broken path: BGR instead of RGB."""

    def __call__(self, loaded):
        return super().__call__(loaded).flip(1)


def test_check_compares_every_photo_through_the_runner_and_fails_a_broken_path(workload):
    items = workload.end_to_end_items(jpeg=True)
    runner = ConvRunner(GPU_ROW)  # batch 4: 18 photos in five batches, the last one cycled
    check, worst = compare_with_pil(runner, TorchvisionPreprocess(224, device="cpu"), workload, items)
    assert runner.adopted == 5 and check.pixels.n == check.drift.n == check.yardstick.n == len(items)
    assert check.pixels.max_abs <= 1.0 + 1e-4
    assert check.drift.cosine_mean > check.yardstick.cosine_mean  # closer to PIL than a JPEG q75 re-encode
    assert worst in {item.name for item in items}
    gate_preprocessing(check, GPU_ROW.test_id, worst)
    broken, worst = compare_with_pil(runner, SwappedChannels(224, device="cpu"), workload, items)
    with pytest.raises(PreprocessGateError, match="differs from PIL"):
        gate_preprocessing(broken, GPU_ROW.test_id, worst)


def test_pil_rows_keep_the_workloads_preprocessing_and_say_what_they_decode(workload):
    pil = Combination("resnet18", "torch", "fp16", "cuda", 4, preprocess="pil")
    plan = row_preprocessing(pil, ConvRunner(pil), workload, jpeg=True)
    assert plan.on_device is None and plan.check is None and plan.record() == {}
    assert plan.items == workload.end_to_end_items(jpeg=True)
    assert plan.notes == {"images": "jpeg-q95 (each photo re-encoded once with PIL)", "decode": "PIL (CPU)"}
    default = row_preprocessing(pil, ConvRunner(pil), workload, jpeg=False)
    assert default.items == workload.raw_items and default.notes["images"] == "as given"


# ---- stage bookkeeping of a device path ---------------------------------------------------------


class VirtualClock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


class FakeDevicePath(DevicePreprocess):
    """Takes 2 ms per batch and leaves a tensor 'on the device'."""

    path = "torchvision-cuda"

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(8)
        self.clock = clock
        self.loaded: list = []

    def load(self, items):
        self.loaded = [f"bytes of {item}" for item in items]
        return self.loaded

    def __call__(self, loaded):
        assert all(item in self.loaded for item in loaded)
        self.clock.ns += 2_000_000
        return torch.zeros(len(loaded), 3, 8, 8)

    def describe(self):
        return {}


class FakeCudaRunner(Runner):
    """A runner with a stream: hand-over 0.1 ms, inference 1 ms, download 0.3 ms; upload must not run."""

    def __init__(self, combo, clock, takes_device_batch=True) -> None:
        super().__init__(combo)
        self.clock = clock
        self.device_batches = takes_device_batch

    @property
    def stream(self):
        return "stream"

    @property
    def takes_device_batch(self) -> bool:
        return self.device_batches

    def upload(self, batch):
        raise AssertionError("a device path hands its batch over with adopt, never upload")

    def adopt(self, batch):
        self.clock.ns += 100_000
        return batch

    def enqueue(self, inputs):
        self.clock.ns += 1_000_000
        return inputs

    def download(self, outputs):
        self.clock.ns += 300_000
        return np.tile(np.arange(10, dtype=np.float32), (len(outputs), 1))

    def describe(self):
        return {}


class TinyWorkload:
    raw_items = ("a", "b", "c")

    def batch_of(self, batch):
        return np.zeros((batch, 3, 8, 8), dtype=np.float32)


def test_device_path_stages_are_preprocess_d2d_inference_d2h_postprocess(monkeypatch):
    clock = VirtualClock()
    monkeypatch.setattr(end_to_end, "now_ns", clock)
    path = FakeDevicePath(clock)
    pipeline = EndToEnd(FakeCudaRunner(GPU_ROW, clock), TinyWorkload(), batch=2, items=["x", "y", "z"], on_device=path)
    for _ in range(3):
        pipeline()
    assert path.loaded == ["bytes of x", "bytes of y", "bytes of z"]  # the given items, loaded once
    assert pipeline.stages == DEVICE_PREPROCESS_STAGES
    samples = pipeline.stage_samples(2)
    assert samples["preprocess"] == [pytest.approx(0.002)] * 2 and samples["d2d"] == [pytest.approx(0.0001)] * 2
    assert samples["inference"] == [pytest.approx(0.001)] * 2 and samples["d2h"] == [pytest.approx(0.0003)] * 2
    assert samples["postprocess"] == [0.0, 0.0] and pipeline.last_top5.shape == (2, 5)


def test_a_runner_that_takes_host_batches_only_refuses_a_device_path():
    clock = VirtualClock()
    with pytest.raises(ValueError, match="takes host batches only: it cannot run after torchvision-cuda preprocessing"):
        EndToEnd(FakeCudaRunner(GPU_ROW, clock, takes_device_batch=False), TinyWorkload(), 2, on_device=FakeDevicePath(clock))
    with pytest.raises(NotImplementedError, match="takes host batches only"):
        Runner.adopt(FakeCudaRunner(GPU_ROW, clock), torch.zeros(1))
