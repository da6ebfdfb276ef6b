"""Runner lifecycle across a run: one runner per `runner_key`, created under a `Footprint`, shared
by the rows of that key, and closed after the last of them, so memory never piles up across a run.

Creating a runner the first time may build its artifacts (ONNX export, training, quantization),
import its runtime and start it up: one-off work that is no part of what the runner holds. So
`get` first makes what the rows share (`warm`: inputs, reference logits), then creates the runner
once as a rehearsal and closes it, and only then measures a second creation, which loads
from the cache. This needs no knowledge of which artifacts a backend uses; the price is one
extra creation per key (a session load, a module copy). `settle` inside `Footprint.measure` keeps
the rehearsal's freed memory from being reused unseen by the measured creation.

Work on other inputs than the rows' own (the quality evaluation, in batches of 16) goes to the
rehearsal too (`rehearse`): runtimes keep the arenas such work grows (ONNX Runtime's grew by
110 MB for resnet18), which would otherwise count in every row's peak.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from accel.backends.base import Runner
from accel.backends.registry import runner_key
from accel.matrix import Combination
from accel.measure.footprint import Footprint

Item = TypeVar("Item")


class RunnerPool:
    """Runners shared per key and closed after their last expected use (`expect`, then `release`)."""

    def __init__(self) -> None:
        self.remaining: Counter[tuple] = Counter()
        self.held: dict[tuple, tuple[Runner, Footprint]] = {}

    def expect(self, combos: Iterable[Combination]) -> None:
        """Count the uses to come, one per row (a row that never asks for its runner still releases it)."""
        self.remaining.update(runner_key(combo) for combo in combos)

    def get(
        self,
        combo: Combination,
        create: Callable[[], Runner],
        warm: Callable[[], object] | None = None,
        rehearse: Callable[[Runner], object] | None = None,
    ) -> Runner:
        """The runner of `combo`'s key, created on first use after `warm` and a rehearsal runner
        (which `rehearse` drives before it is closed)."""
        key = runner_key(combo)
        if key not in self.held:
            if warm is not None:
                warm()
            rehearsal = create()
            if rehearse is not None:
                rehearse(rehearsal)
            rehearsal.close()
            del rehearsal
            self.held[key] = Footprint.measure(create, combo.device)
        return self.held[key][0]

    def footprint(self, combo: Combination) -> Footprint:
        """What creating `combo`'s runner added, and the baseline before it (after `get`)."""
        return self.held[runner_key(combo)][1]

    def release(self, combo: Combination) -> None:
        """One expected use is over; the last one closes the runner."""
        key = runner_key(combo)
        self.remaining[key] -= 1
        if self.remaining[key] <= 0 and key in self.held:
            self.held.pop(key)[0].close()

    def close_all(self) -> None:
        """Close every runner still held (end of session, or an interrupted run)."""
        while self.held:
            self.held.popitem()[1][0].close()


def grouped(items: Sequence[Item], key: Callable[[Item], Hashable | None]) -> list[Item]:
    """Stable reorder that makes items sharing a key adjacent, at the place of the first of them;
    items whose key is None keep their place relative to the rest."""
    first_place: dict[Hashable, int] = {}
    places = []
    for index, item in enumerate(items):
        item_key = key(item)
        places.append(index if item_key is None else first_place.setdefault(item_key, index))
    return [item for _, item in sorted(zip(places, items, strict=True), key=lambda pair: pair[0])]
