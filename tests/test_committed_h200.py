"""docs/results/h200/README.md quotes its tables: they must be exactly what its commands print from
the committed JSON, so no figure there can drift from the run it cites."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results" / "h200"
RUNS = sorted(str(path) for path in RESULTS.glob("*.json.gz"))


def summary_module():
    spec = importlib.util.spec_from_file_location("h200_summary", RESULTS / "summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_holds_the_summary_tables_of_the_committed_runs():
    readme = (RESULTS / "README.md").read_text(encoding="utf-8")
    assert RUNS, "no committed JSON under docs/results/h200"
    printed = summary_module().main(RUNS)
    assert printed in readme


def test_readme_holds_the_load_curve_of_the_server_rows():
    readme = (RESULTS / "README.md").read_text(encoding="utf-8")
    table = subprocess.run([sys.executable, "-m", "accel", "load-curve", str(RESULTS / "server.json.gz")], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert table.strip() and table in readme


def test_gpu_preprocessing_is_at_least_five_times_faster_than_pil_in_every_pair():
    """The issue's done-criterion, on the committed rows: the GPU path's preprocess p50 at most one
    fifth of PIL's, same run, same model, backend, precision and batch."""
    module = summary_module()
    rows = module.records(RUNS)
    end_to_end = {(r["model"], r["backend"], r["precision"], r["batch"], r["preprocess"]): r for _, r in rows if r["kind"] == "end_to_end"}
    pairs = [(pil, end_to_end[(*key[:4], "torchvision-cuda")]) for key, pil in end_to_end.items()
             if key[4] == "pil" and (*key[:4], "torchvision-cuda") in end_to_end]  # fmt: skip
    assert len(pairs) >= 12
    for pil, gpu in pairs:
        assert module.stage_p50(gpu, "preprocess") * 5 <= module.stage_p50(pil, "preprocess"), (pil["model"], pil["backend"], pil["batch"])
