"""Content-addressed artifact cache: atomic writes under a file lock, with a metadata sidecar.

The key hashes every field that changes the artifact (model, weights, opset, shapes, precision,
library versions...). An entry is trusted only if its sidecar names the same key and fields and
the file's SHA-256 matches; anything else (truncated file, missing sidecar, failed load check) is
rebuilt, never used. Temporaries carry their owner's pid (`accel.artifacts.tempfiles`), and a new
cache removes those a killed process left behind. Files follow the umask, so a group can share a
cache folder; a folder that cannot be written fails with a message naming $ACCEL_CACHE_DIR
(`cache_errors`), and a wait on another run's lock is bounded and reported (`cache_lock`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from accel.artifacts.cache_errors import CACHE_ENV, DISK_FULL, cache_io
from accel.artifacts.cache_lock import entry_lock, lock_wait_limit
from accel.artifacts.tempfiles import owned_temp_file, remove_dead_owners
from accel.errors import ArtifactError

log = logging.getLogger(__name__)


class CacheRebuildWarning(UserWarning):
    """A cache entry was unusable (corrupt, stale, failed its load check) and is being rebuilt."""

META_NAME = "meta.json"


def default_cache_dir() -> Path:
    """$ACCEL_CACHE_DIR, else the user's cache directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("accel-bench"))


def cache_key(fields: Mapping[str, object]) -> str:
    """SHA-256 over the canonical JSON of `fields` (order-independent)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = owned_temp_file(path.parent, f".{path.name}", ".tmp")
    try:
        tmp.write_bytes(data)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _summary(fields: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in fields.items() if k in ("model", "precision", "input_shape", "recipe"))


@dataclass(frozen=True)
class CacheEntry:
    """A validated artifact on disk."""

    path: Path
    key: str
    meta: dict
    built: bool  # True when this call built it, False when it came from the cache


class ArtifactCache:
    """Build-once storage for exported models, quantized artifacts and engines."""

    def __init__(
        self, root: str | Path | None = None, progress: Callable[[str], None] | None = None, lock_wait_s: float | None = None
    ) -> None:
        """`lock_wait_s`: how long to wait for an entry another run is building ($ACCEL_CACHE_WAIT_S, else 30 min)."""
        self.root = Path(root) if root is not None else default_cache_dir()
        self.progress = progress or log.info
        self.lock_wait_s = lock_wait_limit(lock_wait_s)
        if self.root.is_dir():
            remove_dead_owners(self.root.rglob(".*"))

    def entry_dir(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def get_or_build(
        self,
        kind: str,
        fields: Mapping[str, object],
        build: Callable[[Path], None],
        suffix: str,
        check: Callable[[Path], None] | None = None,
    ) -> CacheEntry:
        """Return a valid entry for `fields`, building it with `build(tmp_path)` when needed.

        `check(path)` must raise if the file is unusable (used before trusting a cached file and
        before publishing a fresh one).
        """
        key = cache_key(fields)
        directory = self.entry_dir(kind, key)
        artifact = directory / f"artifact{suffix}"
        entry = self._valid_entry(artifact, key, fields, check)
        if entry is not None:
            return entry
        with cache_io("create the cache folder", self.root, self.root):
            self.root.mkdir(parents=True, exist_ok=True)
        with cache_io("create the entry folder", directory, self.root):
            directory.mkdir(parents=True, exist_ok=True)
        summary = _summary(fields)
        label = f"{kind} ({summary}) at {directory}" if summary else f"{kind} at {directory}"
        with entry_lock(directory, label, self.root, self.lock_wait_s, self.progress):
            entry = self._valid_entry(artifact, key, fields, check)  # another process may have built it
            if entry is not None:
                return entry
            return self._build(kind, artifact, key, fields, build, suffix, check)

    def _valid_entry(self, artifact: Path, key: str, fields: Mapping[str, object], check) -> CacheEntry | None:
        meta_path = artifact.parent / META_NAME
        if not artifact.exists() and not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("key") != key or meta.get("fields") != json.loads(json.dumps(fields, default=str)):
                raise ArtifactError("metadata names a different key or fields")
            if not artifact.is_file():
                raise ArtifactError("artifact file is missing")
            if file_sha256(artifact) != meta.get("sha256"):
                raise ArtifactError("artifact checksum does not match its metadata")
            if check is not None:
                check(artifact)
        except Exception as exc:  # any failure means: do not trust, rebuild
            warnings.warn(f"cache entry {artifact.parent} is unusable ({exc}); rebuilding", CacheRebuildWarning, stacklevel=3)
            return None
        return CacheEntry(artifact, key, meta, built=False)

    def _build(self, kind, artifact: Path, key: str, fields, build, suffix: str, check) -> CacheEntry:
        summary = _summary(fields)
        self.progress(f"building {kind} ({summary}) in {artifact.parent} ...")
        meta_path = artifact.parent / META_NAME
        with cache_io("remove the stale", meta_path, self.root):
            meta_path.unlink(missing_ok=True)  # invalidate before replacing the file
        with cache_io("create a temporary file in", artifact.parent, self.root):
            tmp = owned_temp_file(artifact.parent, ".build", suffix)
        started = time.perf_counter()
        try:
            with cache_io("write", tmp, self.root, only=DISK_FULL):
                build(tmp)
            if check is not None:
                check(tmp)
            digest = file_sha256(tmp)
            with cache_io("write", tmp, self.root):
                _fsync(tmp)
            with cache_io(f"rename {tmp} to", artifact, self.root):
                os.replace(tmp, artifact)
        finally:
            tmp.unlink(missing_ok=True)
        meta = {
            "key": key,
            "kind": kind,
            "fields": json.loads(json.dumps(fields, default=str)),
            "sha256": digest,
            "size_bytes": artifact.stat().st_size,
            "build_seconds": round(time.perf_counter() - started, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        with cache_io("write", meta_path, self.root):
            atomic_write_bytes(meta_path, json.dumps(meta, indent=2).encode())
        self.progress(f"built {kind} ({summary}) in {meta['build_seconds']:.1f} s")
        return CacheEntry(artifact, key, meta, built=True)
