"""Typed errors raised where bad input enters, each naming the offending value."""

from __future__ import annotations

from collections.abc import Iterable


class AccelError(Exception):
    """Base class for every error this library raises on purpose."""


class UsageError(AccelError, ValueError):
    """A user-supplied option or argument is invalid."""


class ArtifactError(AccelError):
    """A built or cached artifact failed validation."""


class DegenerateModelError(AccelError):
    """A model produces outputs that make benchmarks or drift meaningless (NaN, constant)."""


def invalid_choice(option: str, got: object, valid: Iterable[str]) -> UsageError:
    """Build the standard message: `option` must be one of a, b; got 'x'."""
    return UsageError(f"`{option}` must be one of {', '.join(valid)}; got {got!r}")
