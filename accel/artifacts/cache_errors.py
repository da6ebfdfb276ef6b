"""OS errors met while writing the cache, turned into one message naming ACCEL_CACHE_DIR.

A read-only cache folder, a file where a folder should be or a full disk used to surface as a bare
`OSError` from deep inside a build, which says nothing about the variable that chose the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Collection, Iterator
from pathlib import Path

from accel.errors import ArtifactError

CACHE_ENV = "ACCEL_CACHE_DIR"
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_NOT_WRITABLE = {errno.EROFS: "read-only file system", errno.EACCES: "permission denied", errno.EPERM: "operation not permitted"}


class CacheAccessError(ArtifactError):
    """The cache folder cannot be created or written; names the path, the problem and ACCEL_CACHE_DIR."""


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest of `path` and its parents that exists but is not a folder."""
    return next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)


def describe(exc: OSError, path: Path) -> tuple[str, str]:
    """(problem, remedy) for `exc`, met while creating or writing `path`."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and (blocker := _file_in_the_way(path)) is not None:
        return f"{blocker} is a file where a folder should be", f"move it away or set {CACHE_ENV} to another folder"
    if exc.errno in DISK_FULL:
        problem = "disk full" if exc.errno == errno.ENOSPC else "disk quota exceeded"
        return problem, f"free some space there or set {CACHE_ENV} to a folder on another disk"
    if exc.errno in _NOT_WRITABLE:
        return _NOT_WRITABLE[exc.errno], f"make it writable or set {CACHE_ENV} to a writable folder"
    return exc.strerror or str(exc), f"set {CACHE_ENV} to another folder"


@contextlib.contextmanager
def cache_io(action: str, path: Path, root: Path, only: Collection[int] | None = None) -> Iterator[None]:
    """Re-raise an OSError from inside as a CacheAccessError: "cannot `action` `path`: problem ...".

    With `only`, just those errnos are converted, and only when the error names no file or one in
    the cache (a builder's missing input is its own error, not the cache's)."""
    try:
        yield
    except OSError as exc:
        if only is not None and (exc.errno not in only or not _in_cache(exc.filename, root)):
            raise
        problem, remedy = describe(exc, path)
        setting = os.environ.get(CACHE_ENV)
        source = f"{CACHE_ENV}={setting}" if setting else f"{CACHE_ENV} is not set"
        raise CacheAccessError(
            f"cannot {action} {path}: {problem}. The artifact cache is {root} ({source}); {remedy}. [{exc}]"
        ) from exc


def _in_cache(filename: str | bytes | None, root: Path) -> bool:
    return filename is None or Path(os.fsdecode(filename)).resolve().is_relative_to(root.resolve())
