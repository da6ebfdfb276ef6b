"""Temporary files and folders that name their owner, so a later run can remove a dead owner's.

A build killed by SIGKILL or SIGTERM runs no `finally`: its `.build.*` file stays in the cache
folder and its calibration folder (a 47 MB augmented model for efficientnet_b0) stays in $TMPDIR.
Every temporary we make carries `<pid>@<host>` in its name; a sweep removes those whose owner
is on this host and no longer alive, and leaves everything else (a live build, another host's
build on a shared cache folder, names it cannot parse) alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

WORK_DIR_PREFIX = "accel-tmp."
_OWNER = re.compile(r"\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]+)\.")


def host_token() -> str:
    """This host's name with only letters, digits and dashes (it sits between dots in names)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", platform.node()) or "localhost"


def owner_tag() -> str:
    """`<pid>@<host>` of the calling process (read at each call: forked children differ)."""
    return f"{os.getpid()}@{host_token()}"


def owned_prefix(prefix: str) -> str:
    """`prefix` followed by this process's owner tag, for temporary file and folder names."""
    return f"{prefix.rstrip('.')}.{owner_tag()}."


def owned_temp_file(directory: Path, prefix: str, suffix: str = "") -> Path:
    """Create an empty file named with our owner tag, its mode following the umask.

    mkstemp makes 0600 files: a cache folder shared by a group would be unreadable to all but the
    user who built each entry."""
    path = directory / f"{owned_prefix(prefix)}{secrets.token_hex(8)}{suffix}"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return path


def owner_is_dead(name: str) -> bool:
    """True when `name` carries an owner tag of this host whose process no longer exists."""
    match = _OWNER.search(name)
    if match is None or match["host"] != host_token():
        return False
    return not psutil.pid_exists(int(match["pid"]))


def remove_dead_owners(paths: Iterable[Path]) -> list[Path]:
    """Delete the files and folders among `paths` whose owner is dead; returns what was removed."""
    removed = []
    for path in paths:
        if not owner_is_dead(path.name):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:  # another sweeper got there first
            continue
        except OSError as exc:  # a read-only shared cache: its leftovers are harmless, and not ours to fail on
            log.warning("cannot remove %s, left by a dead process: %s", path, exc)
            continue
        removed.append(path)
    if removed:
        log.info("removed %d temporaries left by dead processes: %s", len(removed), ", ".join(map(str, removed)))
    return removed


@contextlib.contextmanager
def owned_work_dir() -> Iterator[Path]:
    """A private folder in $TMPDIR that also holds every temporary the libraries called inside make.

    onnxruntime's quantization tools make their own `tempfile` folders (`pre.quant.*`,
    `ort.quant.*`); pointing `tempfile.tempdir` at our owned folder puts those under our name too,
    so a killed run's leftovers are all found by the next sweep. Dead owners' folders go first."""
    base = Path(tempfile.gettempdir())
    remove_dead_owners(base.glob(f"{WORK_DIR_PREFIX}*"))
    previous = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix=owned_prefix(WORK_DIR_PREFIX), dir=base) as work:
        tempfile.tempdir = work
        try:
            yield Path(work)
        finally:
            tempfile.tempdir = previous
