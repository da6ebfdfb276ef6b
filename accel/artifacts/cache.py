"""Content-addressed artifact cache: atomic writes under a file lock, with a metadata sidecar.

The key hashes every field that changes the artifact (model, weights, opset, shapes, precision,
library versions...). An entry is trusted only if its sidecar names the same key and fields and
the file's SHA-256 matches; anything else (truncated file, missing sidecar, failed load check) is
rebuilt, never used. Temporaries carry their owner's pid (`accel.artifacts.tempfiles`), and a new
cache removes those a killed process left behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from accel.artifacts.tempfiles import owned_prefix, remove_dead_owners
from accel.errors import ArtifactError

log = logging.getLogger(__name__)


class CacheRebuildWarning(UserWarning):
    """A cache entry was unusable (corrupt, stale, failed its load check) and is being rebuilt."""

CACHE_ENV = "ACCEL_CACHE_DIR"
META_NAME = "meta.json"
LOCK_TIMEOUT_S = 3600


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


def _fsync_replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=owned_prefix(f".{path.name}"), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _fsync_replace(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class CacheEntry:
    """A validated artifact on disk."""

    path: Path
    key: str
    meta: dict
    built: bool  # True when this call built it, False when it came from the cache


class ArtifactCache:
    """Build-once storage for exported models, quantized artifacts and engines."""

    def __init__(self, root: str | Path | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.progress = progress or log.info
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
        directory.mkdir(parents=True, exist_ok=True)
        with FileLock(str(directory) + ".lock", timeout=LOCK_TIMEOUT_S):
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
        summary = ", ".join(f"{k}={v}" for k, v in fields.items() if k in ("model", "precision", "input_shape", "recipe"))
        self.progress(f"building {kind} ({summary}) in {artifact.parent} ...")
        (artifact.parent / META_NAME).unlink(missing_ok=True)  # invalidate before replacing the file
        fd, tmp_name = tempfile.mkstemp(dir=artifact.parent, prefix=owned_prefix(".build"), suffix=suffix)
        os.close(fd)
        tmp = Path(tmp_name)
        started = time.perf_counter()
        try:
            build(tmp)
            if check is not None:
                check(tmp)
            digest = file_sha256(tmp)
            _fsync_replace(tmp, artifact)
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
        atomic_write_bytes(artifact.parent / META_NAME, json.dumps(meta, indent=2).encode())
        self.progress(f"built {kind} ({summary}) in {meta['build_seconds']:.1f} s")
        return CacheEntry(artifact, key, meta, built=True)
