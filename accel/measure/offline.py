"""MLPerf's Offline scenario: every sample is there at once, so only throughput matters and the
server runs full batches back to back, at whichever batch size serves the most samples a second.

The batch is chosen by a short sweep (powers of two up to the row's batch); the row's measured
rounds are then batches of that size, served as the Server scenario serves them (upload,
inference, download), so its throughput is batch / mean round time.
"""

from __future__ import annotations

from accel.measure.service import BatchService


def sweep_sizes(max_batch: int, per_batch: bool) -> list[int]:
    """1, 2, 4, ... up to max_batch (itself included); a runner fixed to one size has only that."""
    if per_batch:
        return [max_batch]
    sizes = [1 << power for power in range(max_batch.bit_length()) if 1 << power < max_batch]
    return [*sizes, max_batch]


def batch_sweep(service: BatchService, sizes: list[int], seconds_each: float) -> dict[int, float]:
    """Samples per second at each batch size, served back to back for about `seconds_each`."""
    return {size: size / float(service.back_to_back_s(size, seconds_each).mean()) for size in sizes}


def best_batch(throughput: dict[int, float]) -> int:
    return max(throughput, key=throughput.__getitem__)
