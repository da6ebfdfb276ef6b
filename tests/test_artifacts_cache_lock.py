"""A run that waits on another's cache lock says whom it waits for, and gives up after a limit it names."""

import os
import subprocess
import sys
import textwrap

import pytest

from accel.artifacts import cache_lock
from accel.artifacts.cache import ArtifactCache, cache_key
from accel.artifacts.tempfiles import owner_tag
from accel.errors import UsageError

HELD_FIELDS = {"m": "held"}

HOLDER = textwrap.dedent(
    """
    import sys, time
    from accel.artifacts.cache import ArtifactCache

    def build(path):
        print("building", flush=True)
        time.sleep(120)

    ArtifactCache(sys.argv[1]).get_or_build("onnx", {"m": "held"}, build, ".bin")
    """
)

# Short notice intervals so the test sees the first notice and a repeat within a two-second wait.
WAITER = textwrap.dedent(
    """
    import sys, time
    from accel.artifacts import cache_lock
    from accel.artifacts.cache import ArtifactCache
    from accel.errors import ArtifactError

    cache_lock.NOTICE_AFTER_S, cache_lock.NOTICE_EVERY_S = 0.3, 0.5
    wait = None if sys.argv[2] == "env" else float(sys.argv[2])
    cache = ArtifactCache(sys.argv[1], progress=lambda line: print("NOTICE", line, flush=True), lock_wait_s=wait)
    started = time.monotonic()
    try:
        cache.get_or_build("onnx", {"m": "held"}, lambda path: path.write_bytes(b"x"), ".bin")
    except ArtifactError as exc:
        print("ERROR", exc)
    print("ELAPSED", time.monotonic() - started)
    """
)


@pytest.fixture(scope="module")
def held_cache(tmp_path_factory):
    """A cache whose entry HELD_FIELDS is being built, for two minutes, by another process."""
    root = tmp_path_factory.mktemp("held")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "building"
        yield root, holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=30)


def run_waiter(root, wait: str, env_wait: str) -> tuple[list[str], str, float]:
    env = {**os.environ, cache_lock.LOCK_WAIT_ENV: env_wait}
    done = subprocess.run(
        [sys.executable, "-c", WAITER, str(root), wait], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    lines = done.stdout.splitlines()
    notices = [line for line in lines if line.startswith("NOTICE")]
    errors = [line for line in lines if line.startswith("ERROR")]
    elapsed = [float(line.split()[1]) for line in lines if line.startswith("ELAPSED")]
    assert len(errors) == 1 and elapsed, done.stdout + done.stderr
    return notices, errors[0], elapsed[0]


def test_waiter_names_the_holder_then_fails_after_the_wait_from_the_environment(held_cache):
    root, holder_pid = held_cache
    entry = str(ArtifactCache(root).entry_dir("onnx", cache_key(HELD_FIELDS)))
    notices, error, elapsed = run_waiter(root, "env", "2")
    assert len(notices) >= 2, notices  # a first notice after a moment, then reminders
    assert all(f"pid {holder_pid}@" in line and entry in line for line in notices), notices
    assert f"pid {holder_pid}@" in error and entry in error
    assert "after waiting" in error and "the limit now is 2 s" in error and cache_lock.LOCK_WAIT_ENV in error
    assert 1.5 < elapsed < 30


def test_constructor_wait_overrides_the_environment(held_cache):
    root, holder_pid = held_cache
    _, error, elapsed = run_waiter(root, "1", "600")
    assert f"pid {holder_pid}@" in error and "the limit now is 1 s" in error
    assert 0.5 < elapsed < 30


def test_holder_is_recorded_beside_the_lock_while_building_and_removed_after(tmp_path):
    cache = ArtifactCache(tmp_path)
    holder_file = cache_lock.holder_path(cache.entry_dir("onnx", cache_key({"m": 1})))
    seen = []
    cache.get_or_build("onnx", {"m": 1}, lambda path: seen.append(holder_file.read_text()) or path.write_bytes(b"x"), ".bin")
    assert seen == [owner_tag()]
    assert not holder_file.exists()


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_bad_wait_in_the_environment_is_a_usage_error_naming_it(monkeypatch, tmp_path, value):
    monkeypatch.setenv(cache_lock.LOCK_WAIT_ENV, value)
    with pytest.raises(UsageError, match=f"{cache_lock.LOCK_WAIT_ENV}.*{value!r}"):
        ArtifactCache(tmp_path)


def test_default_wait_is_bounded(monkeypatch, tmp_path):
    monkeypatch.delenv(cache_lock.LOCK_WAIT_ENV, raising=False)
    assert 60 <= ArtifactCache(tmp_path).lock_wait_s <= 3600
