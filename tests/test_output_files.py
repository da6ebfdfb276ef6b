"""Result files beside --benchmark-json: checked at startup, atomic, never over a foreign file."""

import os
import subprocess
import sys

import pytest

from accel.errors import UsageError
from accel.measure import output_files
from accel.measure.output_files import MARKER, OutputPaths, plan_outputs, write_atomically


def test_plan_names_the_table_and_the_interrupted_pair(tmp_path):
    outputs = plan_outputs(tmp_path / "run.json")
    assert outputs == OutputPaths(tmp_path / "run.json", tmp_path / "run.md")
    assert outputs.interrupted() == OutputPaths(tmp_path / "run.interrupted.json", tmp_path / "run.interrupted.md")


@pytest.mark.parametrize(
    ("name", "message"),
    [("results.md", "give the JSON a .json name"), ("report.HTML", "give the JSON a .json name"),
     ("missing/out.json", "does not exist"), ("folder", "is a folder")],
)  # fmt: skip
def test_bad_json_paths_are_usage_errors(tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError, match=message) as raised:
        plan_outputs(tmp_path / name)
    assert "--benchmark-json" in str(raised.value)


def test_unwritable_folder_is_a_usage_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output_files, "owned_temp_file", refuse)
    with pytest.raises(UsageError, match=f"cannot write in {tmp_path}: Permission denied"):
        plan_outputs(tmp_path / "out.json")


@pytest.mark.parametrize("table", ["notes.md", "notes.interrupted.md"])
def test_a_foreign_file_where_the_table_goes_is_refused_and_left_alone(tmp_path, table):
    (tmp_path / table).write_text("my own notes\n")
    with pytest.raises(UsageError, match=f"{tmp_path / table} exists and was not written by accel-bench"):
        plan_outputs(tmp_path / "notes.json")
    assert (tmp_path / table).read_text() == "my own notes\n"


def test_a_table_the_suite_wrote_may_be_replaced(tmp_path):
    write_atomically(tmp_path / "out.md", output_files.table_file_text("| a |\n"))
    assert (tmp_path / "out.md").read_text().splitlines()[0] == MARKER
    assert plan_outputs(tmp_path / "out.json").table == tmp_path / "out.md"


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("previous")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(output_files.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "new")
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # the temporary is gone too


def test_a_killed_runs_temporary_is_removed_by_the_next_plan(tmp_path):
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(child.stdout)
    leftover = tmp_path / f".out.json.{dead}@{output_files.remove_dead_owners.__globals__['host_token']()}.abcd"
    leftover.write_text("half")
    live = tmp_path / f".out.json.{os.getpid()}@{output_files.remove_dead_owners.__globals__['host_token']()}.ef01"
    live.write_text("in progress")
    plan_outputs(tmp_path / "out.json")
    assert not leftover.exists() and live.exists()


def test_only_finished_rows_survive_an_interruption():
    finished = {"name": "a", "extra_info": {"latency_ms": {"p50": 1.0}}}
    half = {"name": "b", "extra_info": {}}
    assert output_files.complete_benchmarks([finished, half]) == [finished]


def test_an_empty_placeholder_is_discarded_and_nothing_else(tmp_path):
    from accel.measure.output_files import discard_empty_placeholder

    empty, full = tmp_path / "out.json", tmp_path / "kept.json"
    empty.write_bytes(b"")
    full.write_text("{}")
    assert discard_empty_placeholder(empty) and not empty.exists()
    assert not discard_empty_placeholder(full) and full.read_text() == "{}"  # results are never removed
    assert not discard_empty_placeholder(tmp_path / "absent.json") and not discard_empty_placeholder(tmp_path)
