"""The checked-in drift thresholds file: loading and validation.

Entries are keyed by (model, precision, weights); `weights` is the policy (`random`,
`pretrained`) or `trained` for the digits models, which always use trained weights.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from accel.quality.drift import DriftThreshold
from accel.errors import UsageError

WEIGHT_KINDS = ("random", "pretrained", "trained")
GATED_PRECISIONS = ("fp16", "bf16", "int8")
METRIC_KEYS = {f.name for f in fields(DriftThreshold)} - {"source"}


def load_thresholds(path: str | Path, models: tuple[str, ...]) -> dict[tuple[str, str, str], DriftThreshold]:
    """Parse and validate; every problem names the file, the entry and the valid values."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"drift thresholds file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"drift thresholds file {str(path)!r} is not valid TOML: {exc}") from None
    table: dict[tuple[str, str, str], DriftThreshold] = {}
    for index, entry in enumerate(data.get("threshold", [])):
        where = f"{path}: threshold #{index + 1}"
        model, precision, weights = entry.get("model"), entry.get("precision"), entry.get("weights")
        if model not in models:
            raise UsageError(f"{where}: unknown model {model!r}; valid: {', '.join(models)}")
        if precision not in GATED_PRECISIONS:
            raise UsageError(f"{where}: precision must be one of {', '.join(GATED_PRECISIONS)}; got {precision!r}")
        if weights not in WEIGHT_KINDS:
            raise UsageError(f"{where}: weights must be one of {', '.join(WEIGHT_KINDS)}; got {weights!r}")
        unknown = set(entry) - METRIC_KEYS - {"model", "precision", "weights", "source"}
        if unknown:
            raise UsageError(f"{where}: unknown keys {sorted(unknown)}; valid metrics: {', '.join(sorted(METRIC_KEYS))}")
        if not entry.get("source"):
            raise UsageError(f"{where}: every threshold needs a `source` saying where its numbers come from")
        key = (model, precision, weights)
        if key in table:
            raise UsageError(f"{where}: duplicate entry for {key}")
        table[key] = DriftThreshold(**{k: v for k, v in entry.items() if k in METRIC_KEYS}, source=entry["source"])
    return table
