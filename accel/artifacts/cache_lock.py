"""The lock under which one process builds a cache entry while others wait: bounded, and never silent.

A run paused (Ctrl+Z, a debugger) or building slowly holds the lock; a second run used to wait an
hour without a word. The holder now writes its `<pid>@<host>` beside the lock, and a waiter says
whom it waits for after a few seconds and every minute after, then gives up after a limit
($ACCEL_CACHE_WAIT_S, or the cache's `lock_wait_s`) with an error that says how to change it.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from accel.artifacts.cache_errors import cache_io
from accel.artifacts.tempfiles import owner_tag
from accel.errors import ArtifactError, UsageError

LOCK_WAIT_ENV = "ACCEL_CACHE_WAIT_S"
DEFAULT_LOCK_WAIT_S = 1800.0
NOTICE_AFTER_S = 5.0
NOTICE_EVERY_S = 60.0


class CacheLockTimeout(ArtifactError):
    """Another process held a cache entry's lock for longer than the wait limit."""


def lock_wait_limit(seconds: float | None = None) -> float:
    """`seconds`, else $ACCEL_CACHE_WAIT_S, else the default: how long to wait for a held entry."""
    source, value = ("lock_wait_s", seconds) if seconds is not None else (LOCK_WAIT_ENV, os.environ.get(LOCK_WAIT_ENV))
    if value is None or value == "":
        return DEFAULT_LOCK_WAIT_S
    try:
        limit = float(value)
    except ValueError:
        limit = math.nan
    if not (math.isfinite(limit) and limit >= 0):
        raise UsageError(f"{source} must be a number of seconds >= 0 (how long to wait for a locked cache entry); got {value!r}")
    return limit


def holder_path(directory: Path) -> Path:
    """The file beside an entry's lock that names the process holding it."""
    return Path(f"{directory}.holder")


def _holder(directory: Path) -> str:
    with contextlib.suppress(OSError):
        tag = holder_path(directory).read_text().strip()
        if tag:
            return f"pid {tag}"
    return "a process that recorded no pid"


def _acquire(lock: FileLock, directory: Path, label: str, wait_s: float, progress: Callable[[str], None]) -> None:
    started = time.monotonic()
    deadline = started + wait_s
    notice_at = started + NOTICE_AFTER_S
    while True:
        with contextlib.suppress(Timeout):
            lock.acquire(timeout=max(0.0, min(notice_at, deadline) - time.monotonic()))
            return
        now = time.monotonic()
        if now >= deadline:
            raise CacheLockTimeout(
                f"gave up on the cache entry {label} after waiting {now - started:.0f} s: it is locked by "
                f"{_holder(directory)}, a run that is paused or still building it. Resume or stop that run, or wait "
                f"longer: set {LOCK_WAIT_ENV} to a number of seconds (the limit now is {wait_s:g} s)"
            )
        progress(
            f"waiting for the cache entry {label}: locked by {_holder(directory)} for {now - started:.0f} s; "
            f"giving up after {wait_s:g} s ({LOCK_WAIT_ENV} changes it)"
        )
        notice_at = now + NOTICE_EVERY_S


@contextlib.contextmanager
def entry_lock(
    directory: Path, label: str, root: Path, wait_s: float, progress: Callable[[str], None]
) -> Iterator[None]:
    """Hold the lock of the entry in `directory` (waiting at most `wait_s`), its holder file naming us."""
    lock = FileLock(f"{directory}.lock")
    holder = holder_path(directory)
    with cache_io("create the lock", Path(lock.lock_file), root):
        _acquire(lock, directory, label, wait_s, progress)
    try:
        with cache_io("write", holder, root):
            holder.unlink(missing_ok=True)  # a finished holder's file may belong to another user
            holder.write_text(owner_tag())
        yield
    finally:
        with contextlib.suppress(OSError):  # a leftover names a finished run; the next holder replaces it
            holder.unlink(missing_ok=True)
        lock.release()
