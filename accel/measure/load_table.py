"""The load-curve table of Server rows: offered load, measured p50/p99 with p99's interval, and each
queueing model's p99 beside the measured one (`python -m accel load-curve out.json`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MODELS = ("M/M/1", "M/D/1", "M/G/1", "M/G/1 + batching (simulated)")
HEADER = ("Row", "Load", "Max batch", "Offered QPS", "Achieved QPS", "Utilisation", "Mean batch", "Queries",
          "p50 (ms)", "p99 (ms)", "p99 95% CI (ms)", *(f"{model} p99" for model in MODELS))  # fmt: skip


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def load_curve_rows(records: Iterable[Mapping]) -> list[Mapping]:
    """Server rows (they carry a `load_curve`), by row and offered load."""
    rows = [record for record in records if record.get("load_curve")]
    return sorted(rows, key=lambda r: (r["model"], r["backend"], r["precision"], r["device"], r["batch"], r["load_curve"]["offered_qps"]))


def load_curve_table(records: Iterable[Mapping]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    for record in load_curve_rows(records):
        curve = record["load_curve"]
        p99 = curve["response_ms"]["p99"]
        row = f"{record['model']}-{record['backend']}-{record['precision']}-{record['device']}"
        load = "peak" if curve.get("peak") else record["notes"].get("load", "-")
        cells = (
            row, load, str(curve["policy"]["max_batch"]), f"{curve['offered_qps']:.1f}", f"{curve['achieved_qps']:.1f}",
            f"{curve['utilisation']:.2f}", f"{curve['mean_batch']:.2f}", str(curve["queries"]),
            _ms(curve["response_ms"]["p50"]["value"]), _ms(p99["value"]), f"{_ms(p99['low'])}-{_ms(p99['high'])}",
            *(_ms(curve["predicted_p99_ms"].get(model)) for model in MODELS),
        )  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
