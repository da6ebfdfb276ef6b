import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from accel.artifacts.cache import META_NAME, ArtifactCache, CacheRebuildWarning, cache_key


def write_payload(payload: bytes):
    def build(path: Path) -> None:
        path.write_bytes(payload)

    return build


def test_key_is_order_independent_and_sensitive():
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    assert cache_key({"a": 1, "b": 2}) != cache_key({"a": 1, "b": 3})
    assert cache_key({"shape": (1, 3, 224, 224)}) != cache_key({"shape": (1, 3, 160, 160)})


def test_build_once_then_reuse(tmp_path):
    cache = ArtifactCache(tmp_path)
    first = cache.get_or_build("onnx", {"m": 1}, write_payload(b"one"), ".bin")
    second = cache.get_or_build("onnx", {"m": 1}, write_payload(b"two"), ".bin")
    assert first.built and not second.built
    assert second.path.read_bytes() == b"one"
    meta = json.loads((second.path.parent / META_NAME).read_text())
    assert meta["fields"] == {"m": 1} and meta["size_bytes"] == 3


def test_changed_fields_build_a_new_entry(tmp_path):
    cache = ArtifactCache(tmp_path)
    a = cache.get_or_build("onnx", {"opset": 17}, write_payload(b"a"), ".bin")
    b = cache.get_or_build("onnx", {"opset": 18}, write_payload(b"b"), ".bin")
    assert a.path != b.path and b.built and a.path.read_bytes() == b"a"


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: entry.path.write_bytes(entry.path.read_bytes()[:2]),  # truncated file
        lambda entry: (entry.path.parent / META_NAME).unlink(),  # lost sidecar
        lambda entry: (entry.path.parent / META_NAME).write_text("{not json"),  # corrupt sidecar
        lambda entry: entry.path.unlink(),  # lost artifact
    ],
)
def test_damaged_entry_is_rebuilt(tmp_path, damage):
    cache = ArtifactCache(tmp_path)
    entry = cache.get_or_build("onnx", {"m": 1}, write_payload(b"payload"), ".bin")
    damage(entry)
    with pytest.warns(CacheRebuildWarning, match="unusable"):
        again = cache.get_or_build("onnx", {"m": 1}, write_payload(b"payload"), ".bin")
    assert again.built and again.path.read_bytes() == b"payload"


def test_failed_load_check_rebuilds(tmp_path):
    cache = ArtifactCache(tmp_path)
    cache.get_or_build("onnx", {"m": 1}, write_payload(b"bad"), ".bin")

    def check(path: Path) -> None:
        if path.read_bytes() != b"good":
            raise ValueError("does not load")

    with pytest.warns(CacheRebuildWarning, match="does not load"):
        entry = cache.get_or_build("onnx", {"m": 1}, write_payload(b"good"), ".bin", check=check)
    assert entry.built and entry.path.read_bytes() == b"good"


def test_failed_or_interrupted_build_leaves_nothing(tmp_path):
    cache = ArtifactCache(tmp_path)

    def interrupted(path: Path) -> None:
        path.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.get_or_build("onnx", {"m": 1}, interrupted, ".bin")
    directory = cache.entry_dir("onnx", cache_key({"m": 1}))
    assert list(directory.iterdir()) == []
    entry = cache.get_or_build("onnx", {"m": 1}, write_payload(b"whole"), ".bin")
    assert entry.built and entry.path.read_bytes() == b"whole"


CHUNKS = 20
CHUNK = b"x" * 1000
SHARED_FIELDS = {"m": "shared"}


def _concurrent_worker(root: str, counter_dir: str, result_queue) -> None:
    def slow_build(path: Path) -> None:
        (Path(counter_dir) / f"build-{os.getpid()}").touch()
        with open(path, "wb") as handle:
            for _ in range(CHUNKS):  # written slowly so a reader would see a partial file
                handle.write(CHUNK)
                handle.flush()
                time.sleep(0.01)

    entry = ArtifactCache(root).get_or_build("onnx", SHARED_FIELDS, slow_build, ".bin")
    result_queue.put(entry.path.read_bytes() == CHUNK * CHUNKS)


def test_concurrent_processes_build_once_and_never_see_partial_files(tmp_path):
    """Builders run in child processes while this process polls the final path: whenever it
    exists it must be whole (a builder writing in place would show it growing)."""
    context = multiprocessing.get_context("spawn")
    counter_dir = tmp_path / "builds"
    counter_dir.mkdir()
    root = tmp_path / "cache"
    final = ArtifactCache(root).entry_dir("onnx", cache_key(SHARED_FIELDS)) / "artifact.bin"
    results = context.Queue()
    workers = [context.Process(target=_concurrent_worker, args=(str(root), str(counter_dir), results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    seen_sizes = set()
    while any(worker.is_alive() for worker in workers):
        try:
            seen_sizes.add(len(final.read_bytes()))
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    seen_sizes.add(len(final.read_bytes()))
    assert seen_sizes == {len(CHUNK) * CHUNKS}  # never partial
    assert [results.get(timeout=5) for _ in workers] == [True] * 3
    assert len(list(counter_dir.iterdir())) == 1


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCEL_CACHE_DIR", str(tmp_path / "here"))
    assert ArtifactCache().root == tmp_path / "here"
