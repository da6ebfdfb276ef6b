"""Runner lifecycle: one runner per key, measured after a rehearsal, closed after its last row."""

import numpy as np

from accel.matrix import Combination
from accel.measure.pool import RunnerPool, grouped
from tests.fakes.runner import EchoRunner

B1 = Combination("digits_mlp", "torch", "fp32", "cpu", 1, 8)
B8 = Combination("digits_mlp", "torch", "fp32", "cpu", 8, 8)  # same runner_key: torch serves every batch




def test_runner_is_rehearsed_shared_and_closed_after_its_last_row():
    pool = RunnerPool()
    pool.expect([B1, B8, B1])
    made = []

    def create():
        made.append(EchoRunner(B1))
        return made[-1]

    rehearsed = []
    runner = pool.get(B1, create, rehearse=lambda rehearsal: rehearsed.append((rehearsal, rehearsal.closed)))
    assert len(made) == 2 and made[0].closed and runner is made[1]  # rehearsal closed, the measured one kept
    assert rehearsed == [(made[0], False)]  # evaluation ran on the rehearsal, before it was closed
    assert pool.get(B8, create) is runner and len(made) == 2
    pool.release(B1)
    pool.release(B8)
    assert not runner.closed
    pool.release(B1)
    assert runner.closed
    assert pool.get(B1, create) is not runner  # never hands out a closed runner
    pool.close_all()
    assert made[-1].closed


def test_what_warm_makes_is_not_the_runners_memory():
    kept = []
    pool = RunnerPool()
    pool.expect([B1])
    pool.get(B1, lambda: EchoRunner(B1), warm=lambda: kept.append(np.ones(64 * 1024 * 1024 // 8)))
    assert pool.footprint(B1).runner_rss_mb < 8
    pool.close_all()


def test_grouped_makes_keys_adjacent_and_keeps_the_rest_in_place():
    items = ["a1", "x", "b1", "a2", "y", "b2", "a3"]
    key = {"a": "A", "b": "B"}.get
    assert grouped(items, lambda item: key(item[0])) == ["a1", "a2", "a3", "x", "b1", "b2", "y"]
