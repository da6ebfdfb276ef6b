import numpy as np

from accel.measure.memory import PeakMemory, peak_rss_mb


def test_peak_is_scoped_to_the_block():
    with PeakMemory() as big:
        block = np.ones(300 * 1024 * 1024 // 8)  # 300 MiB touched
        del block
    with PeakMemory() as small:
        pass
    assert big.rss_mb >= 300
    if big.rss_is_scoped:  # Linux: VmHWM reset between blocks
        assert small.rss_mb < big.rss_mb - 200
    assert peak_rss_mb() > 0
