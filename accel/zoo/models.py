"""Model zoo and weights policy.

`random` (default, offline): seeded initialisation, then BatchNorm running statistics
recalibrated on real photos, because raw random init gives NaN or constant logits for
mobilenet/efficientnet and makes drift meaningless. `pretrained`: torchvision's DEFAULT weights,
read only from the local torch hub cache (nothing is downloaded at run time).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from accel.errors import DegenerateModelError, UsageError, invalid_choice

WEIGHTS_POLICIES = ("random", "pretrained")
DEFAULT_SEED = 0
BN_RECALIBRATION_BATCH = 16
MAX_LISTED = 5  # keys named per kind of checkpoint mismatch


def torchvision_builder(name: str) -> Callable[..., torch.nn.Module]:
    """The torchvision constructor for an ImageNet model name."""
    import torchvision

    from accel.matrix import IMAGENET_MODELS

    if name not in IMAGENET_MODELS:
        raise invalid_choice("model", name, IMAGENET_MODELS)
    return getattr(torchvision.models, name)


def build_random(name: str, seed: int = DEFAULT_SEED) -> torch.nn.Module:
    """Seeded random initialisation, without touching the caller's global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torchvision_builder(name)(weights=None).eval()


def pretrained_weights_enum(name: str):
    """torchvision's DEFAULT weights enum member for `name`."""
    import torchvision

    return torchvision.models.get_model_weights(name).DEFAULT


def pretrained_checkpoint_path(name: str) -> Path:
    """Where torch hub keeps the DEFAULT checkpoint for `name`."""
    weights = pretrained_weights_enum(name)
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name


def checked_checkpoint(name: str) -> Path:
    """The hub cache's DEFAULT checkpoint for `name`, present and with the sha256 its file name promises.

    torchvision names its files `name-<sha256 prefix>.pth`; torch.hub checks that prefix only while
    downloading (`check_hash`), so a wrong or damaged file put under the name would otherwise be
    loaded and labelled pretrained. Hashing is cheap next to a benchmark run (~0.1 s per 50 MB).
    """
    path = pretrained_checkpoint_path(name)
    url = pretrained_weights_enum(name).url
    if not path.is_file():
        raise UsageError(
            f"--weights pretrained: {name} weights are not in the local torch hub cache ({path}). "
            f"On a machine with internet run: python -c \"import torchvision; "
            f"torchvision.models.{name}(weights='DEFAULT')\" and copy {path.name} into {path.parent} "
            f"(or download {url}); set TORCH_HOME to use another cache folder."
        )
    match = torch.hub.HASH_REGEX.search(path.name)
    if match:
        digest = file_sha256(path)
        if not digest.startswith(match.group(1)):
            raise UsageError(
                f"--weights pretrained: {path} is not the {name} checkpoint torchvision published: its sha256 is "
                f"{digest}, and the file name promises one starting with {match.group(1)}. Delete it and download {url} again."
            )
    return path


def check_pretrained_checkpoints(names: Sequence[str]) -> None:
    """Startup check for --weights pretrained: every ImageNet model's checkpoint present and intact."""
    from accel.matrix import IMAGENET_MODELS

    for name in names:
        if name in IMAGENET_MODELS:
            checked_checkpoint(name)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_dict_mismatch(state: object, expected: Mapping[str, torch.Tensor]) -> str | None:
    """What keeps `state` from loading strictly into a model with `expected` (None when nothing)."""
    if not isinstance(state, Mapping):
        return f"it holds a {type(state).__name__}, not a state dict"
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [
        f"{key} {tuple(getattr(state[key], 'shape', ()))} (expected {tuple(tensor.shape)})"
        for key, tensor in expected.items()
        if key in state and tuple(getattr(state[key], "shape", ())) != tuple(tensor.shape)
    ]
    problems = [
        f"{len(items)} {label}: {', '.join(items[:MAX_LISTED])}{', ...' if len(items) > MAX_LISTED else ''}"
        for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", shapes))
        if items
    ]
    return "; ".join(problems) or None


def build_pretrained(name: str) -> torch.nn.Module:
    """DEFAULT pretrained weights from the local hub cache, checked; a clear error names the file and the fault."""
    path = checked_checkpoint(name)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--weights pretrained: {path} is not a readable torch checkpoint: {reason}") from exc
    model = torchvision_builder(name)(weights=None)
    problem = state_dict_mismatch(state, model.state_dict())
    if problem:
        raise UsageError(f"--weights pretrained: {path} does not hold {name}'s weights: {problem}")
    model.load_state_dict(state)
    return model.eval()


def recalibrate_batchnorm(model: torch.nn.Module, batches: np.ndarray) -> torch.nn.Module:
    """Replace BatchNorm running statistics with the exact mean/var over `batches` (N x C x H x W)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over all calibration batches
    model.train()
    with torch.no_grad():
        for chunk in np.array_split(batches, max(1, len(batches) // BN_RECALIBRATION_BATCH)):
            model(torch.from_numpy(np.ascontiguousarray(chunk)))
    for norm in norms:
        norm.momentum = 0.1
    return model.eval()


def check_healthy_outputs(logits: np.ndarray, model: str) -> None:
    """Refuse models whose outputs make measurements meaningless: NaN, constant, or one class for all."""
    if not np.all(np.isfinite(logits)):
        raise DegenerateModelError(f"{model}: logits contain NaN or inf")
    spread = logits.std(axis=-1)
    if np.any(spread < 1e-6):
        raise DegenerateModelError(f"{model}: logits are constant for image(s) {np.flatnonzero(spread < 1e-6).tolist()}")
    top1 = logits.argmax(axis=-1)
    if len(top1) > 1 and np.all(top1 == top1[0]):
        raise DegenerateModelError(f"{model}: top-1 is class {int(top1[0])} for every image")


def state_dict_sha256(model: torch.nn.Module) -> str:
    """Hash of parameters and buffers, to key artifacts on the exact weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def validate_policy(policy: str) -> str:
    if policy not in WEIGHTS_POLICIES:
        raise invalid_choice("--weights", policy, WEIGHTS_POLICIES)
    return policy
