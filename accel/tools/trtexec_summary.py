"""`python -m accel trtexec-log`: a saved trtexec log as JSON (the seed's `parse_trtexec_log.py`),
under the record contract's names so it reads like any row, for logs of runs made outside the suite."""

from __future__ import annotations

from pathlib import Path

from accel.backends.tensorrt.trtexec_log import TrtexecLogError, parse_log, record_fields
from accel.errors import UsageError, invalid_choice
from accel.matrix import PRECISIONS


def summarize_log(log: str | Path, model: str, precision: str, batch: int) -> dict[str, object]:
    """The log's latency (per inference of one batch), throughput, breakdown and TensorRT version,
    labelled with the row identity the log itself does not carry."""
    if precision not in PRECISIONS:
        raise invalid_choice("--precision", precision, PRECISIONS)
    if batch < 1:
        raise UsageError(f"`--batch` must be >= 1; got {batch}")
    if not model:
        raise UsageError("`--model` must name the model the log timed")
    path = Path(log)
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        raise UsageError(f"trtexec-log: no such file {str(path)!r}") from None
    except IsADirectoryError:
        raise UsageError(f"trtexec-log: {str(path)!r} is a folder, not a trtexec log") from None
    try:
        summary = parse_log(text)
    except TrtexecLogError as exc:
        raise TrtexecLogError(f"{path}: {exc}") from None
    return {
        "model": model, "backend": "trtexec", "precision": precision, "device": "cuda", "batch": batch, "kind": "inference",
        **record_fields(summary, batch), "throughput_qps": summary.throughput_qps, "trt_version": summary.trt_version,
        "log": str(path),
    }  # fmt: skip
