"""Temporaries left by a killed build are removed by the next run; a live or foreign owner's are kept."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from accel.artifacts import ranges, tempfiles
from accel.artifacts.cache import ArtifactCache, cache_key

KILLED_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from accel.artifacts.cache import ArtifactCache

    def build(path):
        path.write_bytes(b"half")
        print("building", flush=True)
        time.sleep(60)

    ArtifactCache(sys.argv[1]).get_or_build("onnx", {"m": 1}, build, ".bin")
    """
)

KILLED_WORK_DIR = textwrap.dedent(
    """
    import time
    from accel.artifacts.tempfiles import owned_work_dir

    with owned_work_dir() as work:
        (work / "augmented.onnx").write_bytes(b"x" * 1000)
        print("building", flush=True)
        time.sleep(60)
    """
)


def run_until_building_then(kill: signal.Signals, script: str, *args: str, env: dict | None = None) -> None:
    child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "building"
    finally:
        child.send_signal(kill)
        child.wait(timeout=30)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_build_leaves_a_temporary_that_the_next_cache_removes(tmp_path, kill):
    run_until_building_then(kill, KILLED_BUILD, str(tmp_path))
    kind_dir = tmp_path / "onnx"
    assert len(list(kind_dir.rglob(".build.*"))) == 1  # the killed process could not clean up

    cache = ArtifactCache(tmp_path)
    assert list(kind_dir.rglob(".build.*")) == []
    entry = cache.get_or_build("onnx", {"m": 1}, lambda path: path.write_bytes(b"whole"), ".bin")
    assert entry.built and entry.path.read_bytes() == b"whole"


def test_only_dead_owners_on_this_host_are_swept(tmp_path):
    folder = ArtifactCache(tmp_path).entry_dir("onnx", cache_key({"m": 1}))
    folder.mkdir(parents=True)
    host = tempfiles.host_token()
    dead = folder / f".build.{dead_pid()}@{host}.abc.bin"
    live = folder / f".build.{os.getpid()}@{host}.def.bin"  # a build in progress elsewhere in this process tree
    foreign = folder / f".build.{dead_pid()}@{host}x-other-host.ghi.bin"  # a shared cache folder: not ours to judge
    unowned = folder / ".build.jkl.bin"  # no owner tag: left alone
    for path in (dead, live, foreign, unowned):
        path.write_bytes(b"partial")

    ArtifactCache(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (live, foreign, unowned))


def test_killed_calibration_folder_is_removed_by_the_next_work_dir(tmp_path, monkeypatch):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run_until_building_then(signal.SIGKILL, KILLED_WORK_DIR, env=env)
    left = list(tmp_path.glob(f"{tempfiles.WORK_DIR_PREFIX}*/augmented.onnx"))
    assert len(left) == 1

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with tempfiles.owned_work_dir() as work:
        assert list(tmp_path.glob(f"{tempfiles.WORK_DIR_PREFIX}*")) == [work]  # the dead one is gone, ours stays


def test_work_dir_holds_the_libraries_temporaries_and_restores_tempdir(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with tempfiles.owned_work_dir() as work:
        assert Path(tempfile.mkdtemp(prefix="pre.quant.")).parent == work  # what onnxruntime's tools do
        assert tempfiles.owner_tag() in work.name
    assert tempfile.tempdir == str(tmp_path) and not work.exists()


def test_calibration_writes_its_augmented_model_in_an_owned_folder(tmp_path, monkeypatch):
    calibrate = pytest.importorskip("onnxruntime.quantization.calibrate")
    seen = []

    def fake_create_calibrator(model, op_types, augmented_model_path, calibrate_method):
        seen.append(Path(augmented_model_path))
        raise RuntimeError("stop here")

    monkeypatch.setattr(calibrate, "create_calibrator", fake_create_calibrator)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError, match="stop here"):
        ranges.compute_ranges(tmp_path / "model.onnx", None, "minmax", tmp_path / "ranges.json", "input")
    assert seen[0].parent.parent == tmp_path
    assert seen[0].parent.name.startswith(f"{tempfiles.WORK_DIR_PREFIX}{tempfiles.owner_tag()}.")
