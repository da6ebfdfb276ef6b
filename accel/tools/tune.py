"""`python -m accel tune`: measure every row's tuning variants and file the winners by machine.

The main job reads the file (`--tuning`, default `$ACCEL_CACHE_DIR/tuning.json`) and runs each
row with its winner; rows absent from it run untuned. Each row's entry keeps the default's and
the winner's latency from the same interleaved measurement, which is the tuned-vs-default table.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.backends.registry import create_runner, skip_reason
from accel.errors import UsageError
from accel.matrix import MODELS, Combination
from accel.measure.evaluate import evaluate
from accel.quality.drift import DriftGateError
from accel.quality.gates import enforce
from accel.measure.sysinfo import collect
from accel.quality.thresholds import load_thresholds
from accel.tuning.file import TuningFile, default_tuning_path
from accel.tuning.machine import fingerprint, machine_key
from accel.tuning.search import Variant, tune_row
from accel.tuning.space import describe, variants

SUITE_THRESHOLDS = Path(__file__).resolve().parents[2] / "benchmarks" / "drift_thresholds.toml"


def tunable(combos: Sequence[Combination], options: RunnerOptions) -> tuple[list[Combination], list[str]]:
    """Rows with a tuning space that can run here, and one line per row left out (with why)."""
    kept, left_out = [], []
    for combo in combos:
        reason = None if combo.tuning_space else "its backend has no tuning space"
        reason = reason or ("it times itself" if not combo.spec.timed_by_runner else skip_reason(combo, options))
        if reason:
            left_out.append(f"{combo.test_id}: {reason}")
        else:
            kept.append(combo)
    return kept, left_out


def quality_judge(store: ArtifactStore, thresholds_path: Path) -> Callable[[Runner], str | None]:
    """Why a prepared runner fails the suite's drift/accuracy gates for its row, or None."""
    table = load_thresholds(thresholds_path, MODELS)

    def judge(runner: Runner) -> str | None:
        combo = runner.combo
        quality = evaluate(runner, store.workload(combo.model, combo.input_size), store.reference_logits(combo.model, combo.input_size), combo.precision)
        try:
            enforce(quality, table.get((combo.model, combo.precision, store.weights_kind(combo.model))),
                    store.reference_accuracy(combo.model, combo.input_size), combo.precision, combo.test_id,
                    str(thresholds_path), tuned=bool(combo.config))  # fmt: skip
        except DriftGateError as exc:
            return str(exc)
        return None

    return judge


def git_commit() -> str | None:
    """The checkout's commit, for the record (None outside a git checkout)."""
    import subprocess

    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def entry(winner: Variant, found: Sequence[Variant], rounds: int) -> dict[str, object]:
    """A row's record in the tuning file, with the command and commit that measured it."""
    default_p50, winner_p50 = found[0].p50, winner.p50
    return {
        "config": winner.config,
        "default_p50_ms": default_p50,
        "tuned_p50_ms": winner_p50,
        "speedup": default_p50 / winner_p50,
        "rounds": rounds,
        "variants": [variant.as_dict() for variant in found],
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "python -m accel " + " ".join(sys.argv[1:]),
        "commit": git_commit(),
    }


def markdown(rows: Sequence[tuple[str, dict]]) -> str:
    """The tuned-vs-default table: one line per row."""
    lines = ["| Row | Default p50 (ms) | Tuned p50 (ms) | Speedup | Config | Variants (rejected) |", "|---|---|---|---|---|---|"]
    for row_id, found in rows:
        rejected = sum(1 for variant in found["variants"] if variant["rejected"])
        lines.append(f"| {row_id} | {found['default_p50_ms']:.4g} | {found['tuned_p50_ms']:.4g} | {found['speedup']:.2f}x | "
                     f"{describe(found['config'])} | {len(found['variants'])} ({rejected}) |")  # fmt: skip
    return "\n".join(lines) + "\n"


def tune(
    combos: Sequence[Combination],
    store: ArtifactStore,
    options: RunnerOptions,
    tuning: TuningFile,
    rounds: int,
    warmup: int,
    thresholds_path: Path = SUITE_THRESHOLDS,
    progress: Callable[[str], None] = print,
) -> list[tuple[str, dict[str, object]]]:
    """Tune every row of `combos` that can be tuned here; each result is saved as soon as it is measured."""
    if not thresholds_path.is_file():
        raise UsageError(f"--drift-thresholds: {thresholds_path} does not exist")
    rows, left_out = tunable(combos, options)
    for line in left_out:
        progress(f"not tuned: {line}")
    if not rows:
        raise UsageError("no row of this selection can be tuned here (see the lines above)")
    judge = quality_judge(store, thresholds_path)
    machine = fingerprint()
    key = machine_key(machine)
    machine = {**machine, "system": collect()}  # the full system info beside the key's fields
    done = []
    for number, combo in enumerate(rows, 1):
        progress(f"[{number}/{len(rows)}] {combo.test_id}")
        batch = store.workload(combo.model, combo.input_size).batch_of(combo.batch)
        winner, found = tune_row(variants(combo), lambda c: create_runner(c, store, options), judge, batch, rounds, warmup, progress)
        result = entry(winner, found, rounds)
        tuning.put(key, machine, combo.test_id, result)
        progress(f"{combo.test_id}: {describe(winner.config)} ({result['speedup']:.2f}x the default's p50) -> {tuning.path}")
        done.append((combo.test_id, result))
    return done


def main_tune(selection_args: dict[str, str | None], tuning_path: str | None, rounds: int, warmup: int, threads: int | None) -> int:
    """The command: parse the selection, tune, print the tuned-vs-default table."""
    from accel.backends.registry import cuda_available
    from accel.matrix import combinations, parse_selection

    selection = parse_selection(**selection_args, cuda_present=cuda_available())
    store = ArtifactStore(ArtifactCache(progress=print))
    tuning = TuningFile(tuning_path or default_tuning_path())
    results = tune(combinations(selection), store, RunnerOptions(threads=threads), tuning, rounds, warmup)
    sys.stdout.write(markdown(results))
    print(f"written: {tuning.path} (the main job reads it{'' if tuning_path is None else f' with --tuning {tuning.path}'})")
    return 0
