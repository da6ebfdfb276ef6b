"""The one table of valid model x backend x precision x device combinations.

Pytest parametrization is derived from it. A combination absent here is never generated
(TensorRT on CPU); one present but not runnable on this machine is generated and skipped
with the reason its backend plugin gives (`accel.backends.registry`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from accel.errors import UsageError, invalid_choice

IMAGENET_MODELS = ("resnet18", "mobilenet_v3_small", "efficientnet_b0")
DIGITS_MODELS = ("digits_cnn", "digits_mlp")
MODELS = IMAGENET_MODELS + DIGITS_MODELS
DEVICES = ("cpu", "cuda", "fpga")
PRECISIONS = ("fp32", "fp16", "bf16", "int8")
DEFAULT_PRECISIONS = ("fp32", "fp16", "bf16", "int8")
# Digits models take 8x8 inputs; --input-size sweeps only the ImageNet models.
NATIVE_INPUT_SIZES = {"digits_cnn": 8, "digits_mlp": 8}


@dataclass(frozen=True)
class BackendSpec:
    """Everything the suite needs to know about one backend; nothing parses backend names.

    `plugin` names the module (imported lazily, so optional runtimes stay optional) that answers
    `missing(combo, options) -> reason | None` and `create(combo, artifacts, options) -> Runner`.
    `mode` is the plugin's execution mode (eager, cudagraph, compile, ...). `per_batch`: a prepared
    runner serves one batch size (captured CUDA graphs, fixed-shape engines). `timed_by_runner`:
    False for backends that time themselves (trtexec, the FPGA link) and have a test module of their own.
    `tuning`: per device, the knobs an expert would try and the values `python -m accel tune`
    measures; the first value of each is what the suite runs untuned.
    """

    runtime: str
    mode: str
    plugin: str
    precisions_by_device: Mapping[str, tuple[str, ...]]
    models: tuple[str, ...] = MODELS
    max_batch: int | None = None
    per_batch: bool = False
    timed_by_runner: bool = True
    tuning: Mapping[str, Mapping[str, tuple[object, ...]]] = field(default_factory=dict)


_TORCH = "accel.backends.torch.plugin"
_ORT = "accel.backends.onnxruntime.plugin"
_TRT = "accel.backends.tensorrt.plugin"
# torch fp16 on CPU is left out: resnet18 b1 took 957 ms vs 17.9 ms fp32 (no fp16 CPU kernels;
# docs/results/probes/torch_cpu_half.json).
# "cudagraph" modes replay one captured CUDA graph per round (batch-1 GPU work is bound by
# kernel launches); "trtexec" times NVIDIA's CLI instead of the Python runtime.
_TORCH_CUDA = {"cuda": ("fp32", "fp16", "bf16")}
# Tuning spaces. channels_last "auto" is the --channels-last rule (NHWC for CUDA fp16/bf16 conv
# models); fold_bn folds BatchNorm into the preceding convolution (torch.fx); inductor folds it
# already when it freezes weights, so compiled backends do not list it.
_TORCH_EAGER_TUNING = {device: {"channels_last": ("auto", "on", "off"), "fold_bn": (False, True)} for device in ("cpu", "cuda")}
_TORCH_COMPILE_TUNING = {"cuda": {"channels_last": ("auto", "on", "off")}}
_ORT_TUNING = {
    # intra_op_threads 0: --threads, else one per core
    "cpu": {"intra_op_threads": (0, 1), "execution_mode": ("sequential", "parallel"),
            "graph_optimization_level": ("all", "extended", "basic")},
    "cuda": {"prefer_nhwc": (False, True), "cudnn_conv_algo_search": ("EXHAUSTIVE", "HEURISTIC")},
}  # fmt: skip
_ORT_GRAPH_TUNING = {"cuda": _ORT_TUNING["cuda"]}
_TRT_TUNING = {"cuda": {"optimization_level": (3, 5)}}
_OPENVINO_TUNING = {"cpu": {"performance_hint": ("LATENCY", "THROUGHPUT"), "num_streams": (0, 1)}}  # 0: the hint decides
_ONNX_CUDA = {"cuda": ("fp32", "fp16", "int8")}
BACKENDS: dict[str, BackendSpec] = {
    "torch": BackendSpec("torch", "eager", _TORCH, {"cpu": ("fp32", "bf16"), **_TORCH_CUDA}, tuning=_TORCH_EAGER_TUNING),
    "torch-cudagraph": BackendSpec("torch", "cudagraph", _TORCH, _TORCH_CUDA, per_batch=True,
                                   tuning={"cuda": _TORCH_EAGER_TUNING["cuda"]}),
    "torch-compile": BackendSpec("torch", "compile", _TORCH, _TORCH_CUDA, tuning=_TORCH_COMPILE_TUNING),
    "torch-compile-cudagraph": BackendSpec("torch", "compile-cudagraph", _TORCH, _TORCH_CUDA, tuning=_TORCH_COMPILE_TUNING),
    "onnxruntime": BackendSpec("onnxruntime", "session", _ORT, {"cpu": ("fp32", "fp16", "int8"), **_ONNX_CUDA}, tuning=_ORT_TUNING),
    # int8 is left out: the CUDA provider has no kernel for the per-channel weight DequantizeLinear,
    # so those nodes fall back to the CPU and graph capture is refused (measured on the H100).
    "onnxruntime-cudagraph": BackendSpec("onnxruntime", "cudagraph", _ORT, {"cuda": ("fp32", "fp16")}, per_batch=True,
                                         tuning=_ORT_GRAPH_TUNING),
    "tensorrt": BackendSpec("tensorrt", "execute", _TRT, _ONNX_CUDA, per_batch=True, tuning=_TRT_TUNING),
    "tensorrt-cudagraph": BackendSpec("tensorrt", "cudagraph", _TRT, _ONNX_CUDA, per_batch=True, tuning=_TRT_TUNING),
    "trtexec": BackendSpec("tensorrt", "trtexec", "accel.backends.tensorrt.trtexec_plugin", _ONNX_CUDA, timed_by_runner=False),
    # The INT8 MLP in Verilog, simulated (or a real board on --fpga-port); one sample per frame.
    "fpga": BackendSpec("fpga", "link", "accel.backends.fpga", {"fpga": ("int8",)}, models=("digits_mlp",),
                        max_batch=1, timed_by_runner=False),
    # OpenVINO's CPU plugin, LATENCY hint; bf16/fp16 rows skip on CPUs without those kernels.
    "openvino": BackendSpec("openvino", "latency", "accel.backends.openvino.plugin", {"cpu": ("fp32", "fp16", "bf16", "int8")},
                            tuning=_OPENVINO_TUNING),
}
CPU_BACKENDS = ("torch", "onnxruntime", "openvino", "fpga")  # the default --backends without CUDA
GPU_BATCHES = (1, 8, 32, 128, 256)

DEFAULT_BATCHES = (1, 8)
DEFAULT_INPUT_SIZES = (224,)
DEFAULT_INPUT_SIZE = 224
# Preprocessing paths of end-to-end photo rows (`--preprocess`), and the device each needs beyond
# the PIL reference: a GPU path feeds CUDA runners only, so it is never generated for other rows.
PREPROCESS_PATHS = ("pil", "torchvision-cuda", "dali")
DEFAULT_PREPROCESS = "pil"
PREPROCESS_DEVICE = {"torchvision-cuda": "cuda", "dali": "cuda"}


def native_input_size(model: str) -> int:
    """The input size a model is benchmarked at unless --input-size sweeps it."""
    return NATIVE_INPUT_SIZES.get(model, DEFAULT_INPUT_SIZE)


BATCH_IN_ID = re.compile(r"-b(\d+)(?=-|$)")  # the batch part of a row id (Combination.test_id)
Config = tuple[tuple[str, object], ...]  # knob settings, sorted by name; () is the untuned default


@dataclass(frozen=True, order=True)
class Combination:
    """One benchmark row's identity, and the tuning `config` it runs with (not part of its id)."""

    model: str
    backend: str
    precision: str
    device: str
    batch: int
    input_size: int = DEFAULT_INPUT_SIZE
    config: Config = ()
    preprocess: str | None = None  # end-to-end photo rows: the path that decodes and preprocesses
    tuned_from: str | None = None  # the tuning file's row whose config this row runs (another batch's when it has none)

    @property
    def spec(self) -> BackendSpec:
        return BACKENDS[self.backend]

    @property
    def tuning_space(self) -> Mapping[str, tuple[object, ...]]:
        """The knobs this row's backend can tune on its device, first value the default (none for
        the harness floor row, which has no backend)."""
        spec = BACKENDS.get(self.backend)
        return spec.tuning.get(self.device, {}) if spec is not None else {}

    @property
    def knobs(self) -> dict[str, object]:
        """Every knob of the tuning space at the value this row runs: its config over the defaults."""
        return {name: values[0] for name, values in self.tuning_space.items()} | dict(self.config)

    def with_config(self, settings: Mapping[str, object], source: str = "tuning config", tuned_from: str | None = None) -> Combination:
        """This row with `settings` (validated against the space; `source` names them in errors; `tuned_from`
        the row id they were measured on)."""
        for name, value in settings.items():
            if name not in self.tuning_space:
                known = ", ".join(self.tuning_space) or "none"
                raise UsageError(f"{source}: {self.test_id} has no knob {name!r} (its knobs: {known})")
            allowed = self.tuning_space[name]
            if not any(value == v and type(value) is type(v) for v in allowed):
                raise invalid_choice(f"{source}: {self.test_id} knob {name}", value, [repr(v) for v in allowed])
        return replace(self, config=tuple(sorted(settings.items())), tuned_from=tuned_from)

    @property
    def test_id(self) -> str:
        """Readable id for `-k`, e.g. ``resnet18-onnxruntime-fp32-cpu-b1``, ``...-b1-s160``, ``...-b1-torchvision-cuda``."""
        base = f"{self.model}-{self.backend}-{self.precision}-{self.device}-b{self.batch}"
        if self.input_size != native_input_size(self.model):
            base = f"{base}-s{self.input_size}"
        return base if self.preprocess in (None, DEFAULT_PREPROCESS) else f"{base}-{self.preprocess}"


@dataclass(frozen=True)
class Selection:
    """The user's narrowing of the matrix; every field already validated."""

    models: tuple[str, ...] = MODELS
    backends: tuple[str, ...] = CPU_BACKENDS
    precisions: tuple[str, ...] = DEFAULT_PRECISIONS
    devices: tuple[str, ...] = ("cpu", "fpga")
    batches: tuple[int, ...] = DEFAULT_BATCHES
    input_sizes: tuple[int, ...] = DEFAULT_INPUT_SIZES
    preprocess: tuple[str, ...] = (DEFAULT_PREPROCESS,)
    extra: dict[str, object] = field(default_factory=dict, compare=False)


def parse_names(option: str, text: str | None, valid: Sequence[str], default: Sequence[str]) -> tuple[str, ...]:
    """Parse a comma list of names; 'all' means every valid one; unknown names are a UsageError."""
    if text is None or text.strip() == "":
        return tuple(default)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return tuple(valid)
    for name in names:
        if name not in valid:
            raise invalid_choice(option, name, [*valid, "all"])
    return tuple(dict.fromkeys(names))


def parse_positive_ints(option: str, text: str | None, default: Sequence[int]) -> tuple[int, ...]:
    """Parse a comma list of positive integers such as ``1,8,32``."""
    if text is None or text.strip() == "":
        return tuple(default)
    values = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            value = int(part)
        except ValueError:
            raise UsageError(f"`{option}` takes comma-separated positive integers; got {part!r}") from None
        if value < 1:
            raise UsageError(f"`{option}` values must be >= 1; got {value}")
        values.append(value)
    return tuple(dict.fromkeys(values))


def combinations(selection: Selection) -> list[Combination]:
    """Every valid combination inside the selection, in a stable order."""
    rows = []
    for model in selection.models:
        for backend in selection.backends:
            spec = BACKENDS[backend]
            if model not in spec.models:
                continue
            for device in selection.devices:
                allowed = spec.precisions_by_device.get(device, ())
                for precision in selection.precisions:
                    if precision not in allowed:
                        continue
                    sizes = (NATIVE_INPUT_SIZES[model],) if model in NATIVE_INPUT_SIZES else selection.input_sizes
                    for size in sizes:
                        for batch in selection.batches:
                            if spec.max_batch is not None and batch > spec.max_batch:
                                continue
                            rows.append(Combination(model, backend, precision, device, batch, size))
    return rows


def _backend_reach(name: str) -> str:
    """What a backend runs: devices and precisions, and its models and batch limit where it has them."""
    spec = BACKENDS[name]
    reach = f"{name} runs " + ", ".join(f"{device} {'/'.join(precisions)}" for device, precisions in spec.precisions_by_device.items())
    if spec.models != MODELS:
        reach += f" on {','.join(spec.models)}"
    if spec.max_batch is not None:
        reach += f" at batch <= {spec.max_batch}"
    return reach


def no_rows_reason(selection: Selection, backends: Sequence[str]) -> str:
    """Why `selection` makes no row of `backends`: what each of them runs, against what was asked."""
    runs = "; ".join(_backend_reach(name) for name in backends)
    asked = (f"--backends {','.join(selection.backends)} --models {','.join(selection.models)} --device {','.join(selection.devices)} "
             f"--precisions {','.join(selection.precisions)} --batch {','.join(map(str, selection.batches))}")  # fmt: skip
    return f"no rows in this selection ({asked}): {runs or 'no backend selected runs in this module'}"


def with_preprocess(combos: Sequence[Combination], paths: Sequence[str]) -> list[Combination]:
    """End-to-end rows: each photo-model row once per preprocessing path it can take (GPU paths on
    their device only); digits rows, whose inputs are not photos, unchanged."""
    rows = []
    for combo in combos:
        if combo.model not in IMAGENET_MODELS:
            rows.append(combo)
            continue
        rows += [replace(combo, preprocess=path) for path in paths if PREPROCESS_DEVICE.get(path, combo.device) == combo.device]
    return rows


def parse_devices(text: str | None, cuda_present: bool) -> tuple[str, ...]:
    """`auto` (default): every device this machine has; otherwise an explicit list (may be skipped)."""
    if text is None or text.strip() in ("", "auto"):
        return ("cpu", "cuda", "fpga") if cuda_present else ("cpu", "fpga")
    return parse_names("--device", text, DEVICES, DEVICES)


def parse_selection(
    models: str | None = None,
    backends: str | None = None,
    precisions: str | None = None,
    device: str | None = None,
    batch: str | None = None,
    input_size: str | None = None,
    cuda_present: bool = False,
    preprocess: str | None = None,
) -> Selection:
    """Turn the command-line strings into a validated Selection (UsageError lists valid values)."""
    devices = parse_devices(device, cuda_present)
    return Selection(
        models=parse_names("--models", models, MODELS, MODELS),
        backends=parse_names("--backends", backends, tuple(BACKENDS), tuple(BACKENDS) if "cuda" in devices else CPU_BACKENDS),
        precisions=parse_names("--precisions", precisions, PRECISIONS, DEFAULT_PRECISIONS),
        devices=devices,
        batches=parse_positive_ints("--batch", batch, DEFAULT_BATCHES),
        input_sizes=parse_positive_ints("--input-size", input_size, DEFAULT_INPUT_SIZES),
        preprocess=parse_names("--preprocess", preprocess, PREPROCESS_PATHS, (DEFAULT_PREPROCESS,)),
    )
