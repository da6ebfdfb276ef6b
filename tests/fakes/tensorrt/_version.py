"""Which TensorRT version the fake plays (tests switch it to check the 11.x removals)."""

from __future__ import annotations

DEFAULT = "10.13.0.35"
_current = [DEFAULT]


def current() -> str:
    return _current[0]


def major() -> int:
    return int(current().split(".")[0])


def packed() -> int:
    """The number TensorRT prints in banners and calibration caches (10.13.0 -> 101300)."""
    major_, minor, patch = (int(part) for part in current().split(".")[:3])
    return major_ * 10000 + minor * 100 + patch


def set_current(version: str) -> None:
    _current[0] = version


def require_before_11(api: str) -> None:
    """Raise as TensorRT 11 does for an API it removed (an attribute that is no longer there)."""
    if major() >= 11:
        raise AttributeError(f"{api} was removed in TensorRT 11 (the fake plays {current()})")
