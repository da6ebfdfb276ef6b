"""Memory that belongs to a row: readings scoped to the row, differences against the level before
its runner existed, and the fallback where the kernel's high-water mark cannot be reset."""

import sys

import numpy as np
import pytest

from accel.measure import memory
from accel.measure.footprint import Footprint, RowMemory
from accel.measure.memory import current_rss_mb, peak_rss_mb, reset_peak_rss

MIB = 1024 * 1024


def touched(mib: int) -> np.ndarray:
    """An array whose pages are all resident (np.ones writes every byte)."""
    return np.ones(mib * MIB // 8)


@pytest.mark.skipif(sys.platform != "linux", reason="VmHWM and /proc/self/clear_refs are Linux's")
def test_peak_reset_works_on_linux():
    block = touched(300)
    del block
    assert peak_rss_mb() > current_rss_mb() + 250  # the freed block still sets the high-water mark
    assert reset_peak_rss()
    assert peak_rss_mb() < current_rss_mb() + 50


def test_fallback_without_reset_samples_the_row_instead_of_the_lifetime_peak(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "CLEAR_REFS", tmp_path / "no-such-dir" / "clear_refs")
    block = touched(300)  # the lifetime peak, before the row: the fallback must not report it
    del block
    _, footprint = Footprint.measure(lambda: None, "cpu")
    with RowMemory(footprint) as row:
        held = touched(64)  # still resident when the row ends, so a sample sees it
    fields = row.fields()
    del held
    assert fields["rss_scoped"] is False
    assert 50 < fields["peak_rss_above_baseline_mb"] < 150


def test_runner_memory_excludes_what_existed_before_and_includes_what_it_allocates():
    before = touched(200)  # allocated before the runner was created
    runner, footprint = Footprint.measure(lambda: touched(64), "cpu")
    with RowMemory(footprint) as row:
        transient = touched(32)  # the row's own peak: freed before the row ends
        del transient
    fields = row.fields()
    assert 56 < footprint.runner_rss_mb < 80
    assert fields["runner_rss_mb"] == pytest.approx(footprint.runner_rss_mb, abs=1e-3)
    assert 88 < fields["peak_rss_above_baseline_mb"] < 130  # runner 64 + transient 32, never the 200 before
    assert fields["rss_scoped"] is (sys.platform == "linux")
    assert fields["runner_device_mb"] is None and fields["peak_device_above_baseline_mb"] is None
    del before, runner
