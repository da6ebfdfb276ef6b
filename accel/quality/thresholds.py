"""The checked-in drift thresholds file: loading and schema validation.

Entries are keyed by (model, precision, weights); `weights` is the policy (`random`,
`pretrained`) for the torchvision models, `trained` for the digits models, which always use
trained weights. A value that slips through (NaN compares False, so `cosine_min = nan` gates
nothing) silently turns a check off, so every value is checked here with its file and line.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import fields
from pathlib import Path

from accel.errors import UsageError
from accel.matrix import IMAGENET_MODELS
from accel.quality.drift import DriftThreshold

WEIGHT_KINDS = ("random", "pretrained", "trained")
IMAGENET_WEIGHT_KINDS = ("random", "pretrained")
DIGITS_WEIGHT_KINDS = ("trained",)
GATED_PRECISIONS = ("fp16", "bf16", "int8")
METRIC_KEYS = {f.name for f in fields(DriftThreshold)} - {"source"}
IDENTITY_KEYS = ("model", "precision", "weights")
# Agreements and cosines are lower bounds on fractions; max_abs is an upper bound on |diff|.
UNIT_INTERVAL_METRICS = ("top1_agreement", "top5_overlap", "cosine_mean", "cosine_min")
ENTRY_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*threshold[ \t]*\]\]", re.MULTILINE)


class _Locator:
    """Line numbers of `[[threshold]]` headers and their keys (tomllib reports none)."""

    def __init__(self, path: Path, text: str, entries: int) -> None:
        self.path = path
        self.lines = text.splitlines()
        headers = [text.count("\n", 0, match.start()) for match in ENTRY_HEADER.finditer(text)]
        # Entries written inline (`threshold = [{...}]`) have no headers: then report no line.
        self.headers = headers if len(headers) == entries else []

    def line_of(self, index: int, key: str | None) -> int | None:
        if not self.headers:
            return None
        header = self.headers[index]
        if key is not None:
            assignment = re.compile(rf"[ \t]*\"?{re.escape(key)}\"?[ \t]*=")
            for number in range(header + 1, len(self.lines)):
                if self.lines[number].lstrip().startswith("["):
                    break
                if assignment.match(self.lines[number]):
                    return number + 1
        return header + 1

    def error(self, index: int, entry: dict, key: str | None, reason: str) -> UsageError:
        line = self.line_of(index, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        identity = "/".join(str(entry.get(name, "?")) for name in IDENTITY_KEYS)
        key_path = f"threshold #{index + 1} ({identity})" + (f", key `{key}`" if key else "")
        return UsageError(f"{where}: {key_path}: {reason}")


def _read(path: Path) -> tuple[str, dict]:
    try:
        text = path.read_text()
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise UsageError(f"drift thresholds file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"drift thresholds file {str(path)!r} is not valid TOML: {exc}") from None


def _entries(path: Path, data: dict) -> list:
    """The `[[threshold]]` array, refusing any other shape of file."""
    unknown = sorted(set(data) - {"threshold"})
    if unknown:
        raise UsageError(f"{path}: unknown top-level keys {unknown}; the file holds only [[threshold]] entries")
    entries = data.get("threshold")
    if not isinstance(entries, list):
        if isinstance(entries, dict):
            got = f"one table with keys {sorted(entries)} (each entry starts with its own [[threshold]] line)"
        else:
            got = "nothing" if entries is None else repr(entries)
        raise UsageError(f"{path}: expected [[threshold]] entries (an array of tables); got {got}")
    if not entries:
        raise UsageError(f"{path}: no [[threshold]] entries: nothing would be gated")
    return entries


def _metric_problem(name: str, value: object) -> str | None:
    """Why `value` is not a usable bound for metric `name`, or None when it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number; got {value!r} ({type(value).__name__})"
    if not math.isfinite(value):
        return f"must be a finite number (leave the key out to leave the metric ungated); got {value!r}"
    if name in UNIT_INTERVAL_METRICS and not 0.0 <= value <= 1.0:
        return f"must be in [0, 1]; got {value!r}"
    if name == "max_abs" and value < 0:
        return f"must be >= 0; got {value!r}"
    return None


def _check_entry(locator: _Locator, index: int, entry: object, models: tuple[str, ...]) -> DriftThreshold:
    if not isinstance(entry, dict):
        raise locator.error(index, {}, None, f"must be a table of `key = value` lines; got {entry!r}")
    unknown = sorted(set(entry) - METRIC_KEYS - {*IDENTITY_KEYS, "source"})
    if unknown:  # nested tables ([threshold.x], [[threshold.x]]) land here too
        raise locator.error(index, entry, unknown[0], f"unknown keys {unknown}; valid metrics: {', '.join(sorted(METRIC_KEYS))}")
    model, precision, weights = (entry.get(name) for name in IDENTITY_KEYS)
    if model not in models:
        raise locator.error(index, entry, "model", f"unknown model {model!r}; valid: {', '.join(models)}")
    if precision not in GATED_PRECISIONS:
        raise locator.error(index, entry, "precision", f"precision must be one of {', '.join(GATED_PRECISIONS)}; got {precision!r}")
    if weights not in WEIGHT_KINDS:
        raise locator.error(index, entry, "weights", f"weights must be one of {', '.join(WEIGHT_KINDS)}; got {weights!r}")
    kinds = IMAGENET_WEIGHT_KINDS if model in IMAGENET_MODELS else DIGITS_WEIGHT_KINDS
    if weights not in kinds:
        raise locator.error(index, entry, "weights", f"{model} runs with weights {', '.join(kinds)} only; got {weights!r} (the entry would never apply)")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise locator.error(index, entry, "source" if "source" in entry else None, "every threshold needs a `source` saying where its numbers come from")
    metrics = {name: value for name, value in entry.items() if name in METRIC_KEYS}
    if not metrics:
        raise locator.error(index, entry, None, f"gates nothing: set at least one of {', '.join(sorted(METRIC_KEYS))}")
    for name, value in metrics.items():
        problem = _metric_problem(name, value)
        if problem:
            raise locator.error(index, entry, name, problem)
    return DriftThreshold(**{name: float(value) for name, value in metrics.items()}, source=source)


def load_thresholds(path: str | Path, models: tuple[str, ...]) -> dict[tuple[str, str, str], DriftThreshold]:
    """Parse and validate; every problem names the file, the line, the entry and the valid values."""
    path = Path(path)
    text, data = _read(path)
    entries = _entries(path, data)
    locator = _Locator(path, text, len(entries))
    table: dict[tuple[str, str, str], DriftThreshold] = {}
    for index, entry in enumerate(entries):
        threshold = _check_entry(locator, index, entry, models)
        key = (entry["model"], entry["precision"], entry["weights"])
        if key in table:
            raise locator.error(index, entry, None, f"duplicate entry for {key}")
        table[key] = threshold
    return table
