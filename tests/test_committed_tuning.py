"""The committed tuning runs: every row of the tables in docs/results/tuning/README.md is the
tuning file's own entry, rendered by the command's table writer (a hand-edited or stale figure fails)."""

from pathlib import Path

import pytest

from accel.tools.tune import markdown
from accel.tuning.file import TuningFile

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results" / "tuning"


@pytest.mark.parametrize("name", ["cpu.json", "h200.json"])
def test_every_tuning_table_row_comes_from_its_file(name):
    tuning = TuningFile(RESULTS / name)
    readme_lines = set((RESULTS / "README.md").read_text().splitlines())
    (key,) = tuning.machines()
    rendered = markdown(sorted(tuning.rows(key).items())).splitlines()[2:]
    assert rendered, f"{name} has no rows"
    missing = [line for line in rendered if line not in readme_lines]
    assert not missing, f"rows of {name} absent from (or different in) README.md: {missing[:3]}"


def test_the_h200_run_meets_the_issue_target_and_records_where_it_ran():
    tuning = TuningFile(RESULTS / "h200.json")
    ((key, machine),) = tuning.machines().items()
    rows = tuning.rows(key)
    assert machine["gpus"] == ["NVIDIA H200"] and "system" in machine
    resnet_fp16_b1 = [entry["tuned_p50_ms"] for row, entry in rows.items() if row.startswith("resnet18-") and row.endswith("-fp16-cuda-b1")]
    assert len(resnet_fp16_b1) == 5 and min(resnet_fp16_b1) <= 0.30
    assert all(entry["command"].startswith("python -m accel tune") and entry["commit"] for entry in rows.values())
