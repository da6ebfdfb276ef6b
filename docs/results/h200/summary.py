"""The tables of docs/results/h200/README.md, printed from the committed JSON of that run
(`tests/test_committed_h200.py` checks that the README holds exactly what this prints).

    python docs/results/h200/summary.py docs/results/h200/*.json.gz
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from accel.measure.report import load_json, records_from_json

BATCHES = (1, 8, 32, 128, 256)
MODELS = ("resnet18", "mobilenet_v3_small", "efficientnet_b0", "digits_cnn", "digits_mlp")


def by_time_written(paths: Iterable[str]) -> list[str]:
    """The files in the order they were measured (each JSON's `datetime`, written when its pytest
    session ended; the steps ran one after another, so this is also the order they started in)."""
    return sorted(paths, key=lambda path: load_json(path)["datetime"])


def records(paths: Iterable[str]) -> list[dict]:
    """The record of every row that ran, oldest file first: where two runs measured the same row, the
    tables below (dicts keyed by the row) keep the later measurement."""
    return [record for path in by_time_written(paths) for record in records_from_json(path)]


def row_key(record: Mapping) -> tuple:
    return (record["kind"], record["model"], record["backend"], record["precision"], record["batch"], record.get("preprocess"))


def files_table(paths: list[str]) -> str:
    """Per file, newest last: when it was written, its rows, how many of them a later file measured again."""
    measured_later: set[tuple] = set()
    lines = []
    for path in reversed(by_time_written(paths)):
        data = load_json(path)
        keys = [row_key(record) for record in records_from_json(path)]
        again = sum(key in measured_later for key in keys)
        measured_later.update(keys)
        lines.append(f"| `{Path(path).name}` | {data['datetime'][:16].replace('T', ' ')} | {len(data['benchmarks'])} | {again or '-'} "
                     f"| {len(data.get('accel', {}).get('skipped', []))} |")  # fmt: skip
    header = ["| file | written (UTC) | rows | of them measured again later | skipped rows (reasons in the file's `accel.skipped`) |",
              "|---|---|---|---|---|"]  # fmt: skip
    return "\n".join(header + lines[::-1])


def p50(record: Mapping) -> float:
    return record["latency_ms"]["p50"]


def stage_p50(record: Mapping, stage: str) -> float:
    return record["breakdown_ms"][stage]["p50"]


def end_to_end_table(rows: list[dict]) -> str:
    """PIL vs torchvision-cuda (and DALI where it ran) per model, backend, precision and batch: end-to-end
    and preprocess p50."""
    e2e = {(r["model"], r["backend"], r["precision"], r["batch"], r["preprocess"]): r for r in rows if r["kind"] == "end_to_end"}
    lines = ["| model | backend | precision | batch | end-to-end p50, PIL (ms) | of which preprocess | end-to-end p50, torchvision-cuda (ms) "
             "| of which preprocess | preprocess PIL / GPU | end-to-end speedup | end-to-end p50, DALI (ms) | of which preprocess |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for (model, backend, precision, batch, path), pil in sorted(e2e.items(), key=lambda item: (MODELS.index(item[0][0]), *item[0][1:4])):
        gpu = e2e.get((model, backend, precision, batch, "torchvision-cuda"))
        if path != "pil" or gpu is None:
            continue
        dali = e2e.get((model, backend, precision, batch, "dali"))
        dali_cells = f"{p50(dali):.3f} | {stage_p50(dali, 'preprocess'):.3f}" if dali else "- | -"
        lines.append(f"| {model} | {backend} | {precision} | {batch} | {p50(pil):.3f} | {stage_p50(pil, 'preprocess'):.3f} | {p50(gpu):.3f} | "
                     f"{stage_p50(gpu, 'preprocess'):.3f} | {stage_p50(pil, 'preprocess') / stage_p50(gpu, 'preprocess'):.1f}x | "
                     f"{p50(pil) / p50(gpu):.1f}x | {dali_cells} |")  # fmt: skip
    return "\n".join(lines)


def inference(rows: list[dict]) -> dict[tuple, dict]:
    return {(r["model"], r["backend"], r["precision"], r["batch"]): r for r in rows if r["kind"] == "inference" and r["device"] == "cuda"}


def fastest_table(rows: list[dict]) -> str:
    """Per model and batch: the fastest inference row by p50, the runner-up, and the energy of both."""
    by_cell: dict[tuple, list[dict]] = defaultdict(list)
    for (model, _, _, batch), record in inference(rows).items():
        by_cell[(model, batch)].append(record)
    lines = ["| model | batch | fastest (p50 ms, mJ/image) | runner-up (p50 ms, mJ/image) | margin | rows |", "|---|---|---|---|---|---|"]
    for model in MODELS:
        for batch in BATCHES:
            ranked = sorted(by_cell.get((model, batch), []), key=p50)
            if len(ranked) < 2:
                continue
            first, second = ranked[:2]
            lines.append(f"| {model} | {batch} | {_cell(first)} | {_cell(second)} | {p50(second) / p50(first):.2f}x | {len(ranked)} |")
    return "\n".join(lines)


def _cell(record: Mapping) -> str:
    joules = (record.get("energy") or {}).get("joules_per_image")
    energy = f"{joules * 1e3:.3g}" if joules else "not metered"
    return f"{record['backend']} {record['precision']} ({p50(record):.4g}, {energy})"


def energy_table(rows: list[dict]) -> str:
    """mJ per image per model x backend x precision across the batch sweep ('-' not run, '0 J' where the
    counter did not move over the row's short window)."""
    cells = inference(rows)
    series = sorted({key[:3] for key in cells}, key=lambda key: (MODELS.index(key[0]), key[1], key[2]))
    lines = ["| model | backend | precision | " + " | ".join(f"b{batch}" for batch in BATCHES) + " | avg W at b1 |",
             "|---|---|---|" + "---|" * (len(BATCHES) + 1)]  # fmt: skip
    for model, backend, precision in series:
        values = []
        for batch in BATCHES:
            energy = (cells.get((model, backend, precision, batch)) or {}).get("energy")
            values.append("-" if energy is None else "0 J" if not energy.get("joules_per_image") else f"{energy['joules_per_image'] * 1e3:.3g}")
        at_b1 = (cells.get((model, backend, precision, 1)) or {}).get("energy") or {}
        watts = f"{at_b1['avg_power_w']:.0f}" if at_b1.get("joules_per_image") else "-"
        lines.append(f"| {model} | {backend} | {precision} | " + " | ".join(values) + f" | {watts} |")
    return "\n".join(lines)


def main(paths: list[str]) -> str:
    rows = records(paths)
    metered = [r for r in inference(rows).values() if (r.get("energy") or {}).get("joules_per_image")]
    return "\n\n".join([
        "### Files\n\n" + files_table(paths),
        "### End to end, PIL vs GPU decoding (p50 per round)\n\n" + end_to_end_table(rows),
        "### Fastest inference row per model and batch\n\n" + fastest_table(rows),
        f"### Energy per image (mJ), inference rows ({len(metered)} of {len(inference(rows))} metered)\n\n" + energy_table(rows),
    ]) + "\n"  # fmt: skip


if __name__ == "__main__":
    sys.stdout.write(main(sys.argv[1:]))
