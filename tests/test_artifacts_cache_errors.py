"""A cache folder that cannot be written fails with one message naming ACCEL_CACHE_DIR, the path and
the problem; cache files follow the umask so that a group can share a cache folder."""

import errno
import os
import stat
from pathlib import Path

import pytest

from accel.artifacts import cache, cache_lock, tempfiles
from accel.artifacts.cache import META_NAME, ArtifactCache
from accel.errors import ArtifactError


def write(payload: bytes = b"x"):
    return lambda path: path.write_bytes(payload)


def os_error(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.fixture
def env_root(tmp_path, monkeypatch):
    """The cache folder, chosen through ACCEL_CACHE_DIR as a user would."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ACCEL_CACHE_DIR", str(root))
    return root


def assert_clear(excinfo, path: Path, *words: str) -> None:
    message = str(excinfo.value)
    assert "ACCEL_CACHE_DIR" in message and str(path) in message, message
    for word in words:
        assert word in message, message


def test_a_file_where_the_cache_folder_should_be(env_root):
    env_root.write_text("not a folder")
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root, "create the cache folder", "is a file where a folder should be")


def test_a_file_above_the_cache_folder(env_root):
    env_root.parent.joinpath("blocker").write_text("")
    root = env_root.parent / "blocker" / "cache"
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache(root).get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, root, f"{env_root.parent / 'blocker'} is a file where a folder should be")


def test_a_file_where_an_entry_folder_should_be(env_root):
    env_root.mkdir()
    (env_root / "onnx").write_text("")
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root / "onnx", "create the entry folder", "is a file where a folder should be")


@pytest.mark.parametrize(
    ("code", "problem"), [(errno.EROFS, "read-only file system"), (errno.EACCES, "permission denied")], ids=["EROFS", "EACCES"]
)
def test_a_cache_folder_that_cannot_be_created(env_root, monkeypatch, code, problem):
    monkeypatch.setattr(Path, "mkdir", os_error(code))  # as root, chmod would not stop the write
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root, "create the cache folder", problem)


def test_a_disk_full_while_building_names_the_file_and_leaves_nothing(env_root):
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, os_error(errno.ENOSPC), ".bin")
    assert_clear(excinfo, env_root, "disk full", ".build.")
    assert [p for p in env_root.rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []


def test_a_disk_full_while_flushing(env_root, monkeypatch):
    monkeypatch.setattr(os, "fsync", os_error(errno.ENOSPC))
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root, "disk full")


def test_a_failed_rename(env_root, monkeypatch):
    monkeypatch.setattr(os, "replace", os_error(errno.EACCES))
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root, "rename", "artifact.bin", "permission denied")


@pytest.mark.parametrize(
    ("module", "step", "code", "words"),
    [
        (cache, "owned_temp_file", errno.EACCES, ("create a temporary file in", "permission denied")),
        (cache, "atomic_write_bytes", errno.ENOSPC, (META_NAME, "disk full")),
        (cache_lock, "_acquire", errno.EROFS, (".lock", "read-only file system")),
    ],
    ids=["temporary", "metadata", "lock"],
)
def test_every_write_step_names_its_path(env_root, monkeypatch, module, step, code, words):
    monkeypatch.setattr(module, step, os_error(code))
    with pytest.raises(ArtifactError) as excinfo:
        ArtifactCache().get_or_build("onnx", {"m": 1}, write(), ".bin")
    assert_clear(excinfo, env_root, *words)


def test_an_unrelated_error_of_the_builder_is_not_blamed_on_the_cache(env_root):
    def build(path: Path) -> None:
        path.write_bytes((env_root.parent / "missing-input.txt").read_bytes())

    with pytest.raises(FileNotFoundError, match="missing-input"):
        ArtifactCache().get_or_build("onnx", {"m": 1}, build, ".bin")


def test_leftovers_that_cannot_be_removed_do_not_stop_a_read_only_cache(tmp_path, monkeypatch):
    dead = tmp_path / f".build.999999999@{tempfiles.host_token()}.abc.bin"
    dead.write_bytes(b"partial")
    monkeypatch.setattr(Path, "unlink", os_error(errno.EROFS))
    ArtifactCache(tmp_path)
    assert dead.exists()


@pytest.mark.parametrize("umask", [0o022, 0o002], ids=["022", "002"])
def test_cache_files_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        entry = ArtifactCache(tmp_path).get_or_build("onnx", {"m": 1}, write(), ".bin")
    finally:
        os.umask(previous)
    for path in (entry.path, entry.path.parent / META_NAME):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
