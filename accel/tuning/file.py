"""The tuning file: per machine, per row, the configuration that won and what it was measured
against. JSON, written atomically after every row, so an interrupted tuning run keeps what it
measured and the suite never reads half a file.

    {"format": 1, "machines": {KEY: {"machine": {...}, "rows": {ROW_ID: {"config": {...}, ...}}}}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from accel.artifacts.cache import default_cache_dir
from accel.errors import UsageError
from accel.matrix import BATCH_IN_ID, Combination
from accel.measure.output_files import write_atomically

FORMAT = 1
FILE_NAME = "tuning.json"


def default_tuning_path() -> Path:
    """Beside the artifact cache ($ACCEL_CACHE_DIR): tuned configs are machine-local, like engines."""
    return default_cache_dir() / FILE_NAME


class TuningFile:
    """Read, query and update one tuning file; `option` names where the path came from in errors."""

    def __init__(self, path: str | Path, option: str = "--tuning") -> None:
        self.path = Path(path)
        self.option = option
        self.data: dict = {"format": FORMAT, "machines": {}}
        if self.path.exists():
            self.data = self._read()

    def _read(self) -> dict:
        where = f"{self.option} {self.path}"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{where}: cannot read it ({exc})") from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not JSON (line {exc.lineno}: {exc.msg}); delete it or run `python -m accel tune` again") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("machines"), dict):
            raise UsageError(f"{where}: not a tuning file of format {FORMAT} (written by `python -m accel tune`)")
        for key, machine in data["machines"].items():
            rows = machine.get("rows") if isinstance(machine, dict) else None
            if not isinstance(rows, dict) or not all(isinstance(e, dict) and isinstance(e.get("config"), dict) for e in rows.values()):
                raise UsageError(f"{where}: machine {key} has no 'rows' of {{row id: {{'config': {{...}}}}}}")
        return data

    def rows(self, machine_key: str) -> dict[str, dict]:
        """Every tuned row of one machine (empty when this machine was never tuned here)."""
        return self.data["machines"].get(machine_key, {}).get("rows", {})

    def machines(self) -> dict[str, dict]:
        """Fingerprint per machine key."""
        return {key: machine.get("machine", {}) for key, machine in self.data["machines"].items()}

    def apply(self, combo: Combination, machine_key: str) -> Combination:
        """`combo` with its tuned config for this machine, or unchanged when it has none. A row tuned at
        other batch sizes only (tuning every batch of a sweep costs more than the sweep) runs the config of
        the nearest tuned batch on a log scale, ties to the larger; `tuned_from` names that row."""
        rows = self.rows(machine_key)
        row_id = combo.test_id if combo.test_id in rows else nearest_tuned_batch(combo, rows)
        if row_id is None:
            return combo
        return combo.with_config(rows[row_id]["config"], source=f"{self.option} {self.path}", tuned_from=row_id)

    def put(self, machine_key: str, fingerprint: Mapping[str, object], row_id: str, entry: Mapping[str, object]) -> None:
        """Record one row's result and save the whole file atomically."""
        machine = self.data["machines"].setdefault(machine_key, {"machine": dict(fingerprint), "rows": {}})
        machine["machine"] = dict(fingerprint)
        machine["rows"][row_id] = dict(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(self.data, indent=1, sort_keys=True) + "\n")


def nearest_tuned_batch(combo: Combination, rows: Mapping[str, object]) -> str | None:
    """The id of `combo`'s row at the tuned batch nearest to its own (log scale, ties to the larger), or None."""
    tuned = {}
    for row_id in rows:
        match = BATCH_IN_ID.search(row_id)
        if match and replace(combo, batch=int(match[1])).test_id == row_id:
            tuned[int(match[1])] = row_id
    if not tuned:
        return None
    return tuned[min(tuned, key=lambda batch: (abs(math.log(batch / combo.batch)), -batch))]


def open_tuning(value: str, option: str = "--tuning") -> TuningFile | None:
    """The tuning file a run uses: `off` none; `auto` the default file when it exists; else a path
    that must exist."""
    if value == "off":
        return None
    if value == "auto":
        path = default_tuning_path()
        return TuningFile(path, f"{option} auto") if path.exists() else None
    if not Path(value).is_file():
        raise UsageError(f"`{option}` {value}: no such file (write one with `python -m accel tune --tuning {value}`, or pass auto or off)")
    return TuningFile(value, option)


class Tuned:
    """What a run applies: the rows of this machine's section of a tuning file (nothing without one)."""

    def __init__(self, tuning: TuningFile | None, machine_key: str) -> None:
        self.tuning = tuning
        self.machine_key = machine_key

    def __call__(self, combo: Combination) -> Combination:
        return combo if self.tuning is None else self.tuning.apply(combo, self.machine_key)

    def summary(self, combos: list[Combination]) -> str | None:
        """One line for the terminal: which file, how many selected rows it tunes; None without a file."""
        if self.tuning is None:
            return None
        applied = [self(combo) for combo in combos]
        tuned = sum(1 for combo in applied if combo.config)
        borrowed = sum(1 for combo in applied if combo.config and combo.tuned_from != combo.test_id)
        line = f"tuning: {tuned} of {len(combos)} rows run tuned configs from {self.tuning.path}"
        if borrowed:
            line += f" ({borrowed} of them the config of the nearest tuned batch)"
        if not self.tuning.rows(self.machine_key) and self.tuning.machines():
            line += f" (it has no section for this machine, key {self.machine_key}: other CPU, GPU or runtime versions)"
        return line
