"""The variants a tuning run measures for one row: the untuned default, then every other point of
the row's tuning space (`accel.matrix`, `BackendSpec.tuning`)."""

from __future__ import annotations

import itertools

from accel.matrix import Combination


def variants(combo: Combination) -> list[Combination]:
    """The default first (empty config), then each other grid point; a variant's config names only
    the knobs it sets away from their default."""
    space = combo.tuning_space
    names = sorted(space)
    found = [combo.with_config({})]
    for values in itertools.product(*(space[name] for name in names)):
        settings = {name: value for name, value in zip(names, values, strict=True) if value != space[name][0]}
        if settings:
            found.append(combo.with_config(settings))
    return found


def describe(config: dict[str, object] | tuple) -> str:
    """`knob=value, ...` for a table cell; 'default' for an empty config."""
    items = dict(config).items()
    return ", ".join(f"{name}={value}" for name, value in sorted(items)) or "default"
