"""Per-session memo in front of the artifact cache: each entry is looked up (and checksummed) once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from accel.artifacts.cache import ArtifactCache, CacheEntry, cache_key


class MemoCache:
    """`get_or_build` of `cache`, remembered by kind and key for the life of this object."""

    def __init__(self, cache: ArtifactCache) -> None:
        self.cache = cache
        self._entries: dict[tuple[str, str], CacheEntry] = {}

    def get_or_build(
        self,
        kind: str,
        fields: Mapping[str, object],
        build: Callable[[Path], None],
        suffix: str,
        check: Callable[[Path], None] | None = None,
    ) -> CacheEntry:
        memo_key = (kind, cache_key(fields))
        if memo_key not in self._entries:
            self._entries[memo_key] = self.cache.get_or_build(kind, fields, build, suffix, check)
        return self._entries[memo_key]
