"""Energy per row: counters, power integration, RAPL zones and wraparound, NVML's fallbacks, the
record section, and the row protocol measuring the timed rounds only."""

import sys
import time
import types

import pytest

from accel.matrix import Combination
from accel.measure.energy import (
    ENERGY_FIELDS,
    CounterMeter,
    EnergyReading,
    PowerSampleMeter,
    energy_section,
    gpu_state,
    integrate,
    meter_for,
    nvml_meter,
    rapl_meter,
    top_up,
)
from accel.measure.record import check_record
from accel.measure.row import FromRounds, Row, measure_row
from accel.measure.timing import RoundPolicy


def ticking(values):
    """A reader returning `values` in turn (a counter or a clock)."""
    it = iter(values)
    return lambda: next(it)


def test_counter_meter_takes_the_difference_and_one_rollover():
    meter = CounterMeter(ticking([100.0, 130.0]), "test", clock=ticking([1.0, 3.0]))
    meter.start()
    assert meter.stop() == EnergyReading(30.0, 2.0, "test")
    wrapped = CounterMeter(ticking([990.0, 20.0]), "test", wrap_joules=1000.0, clock=ticking([0.0, 1.0]))
    wrapped.start()
    assert wrapped.stop().joules == pytest.approx(30.0)  # 990 -> 1000 = 0 -> 20
    with pytest.raises(RuntimeError):
        CounterMeter(lambda: 0.0, "test").stop()


def test_power_samples_integrate_by_trapezoid():
    assert integrate([(0.0, 100.0), (1.0, 200.0), (3.0, 200.0)]) == pytest.approx(150.0 + 400.0)
    assert integrate([(0.0, 100.0)]) == 0.0
    meter = PowerSampleMeter(lambda: 250.0, "test", interval_s=0.001)
    meter.start()
    reading = meter.stop()
    assert reading.joules == pytest.approx(250.0 * reading.seconds) and reading.seconds > 0


def write_zone(root, name, zone_name, energy_uj, max_uj=262143328850):
    zone = root / name
    zone.mkdir()
    (zone / "name").write_text(zone_name + "\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return zone


def test_rapl_sums_the_package_zones_only(tmp_path):
    package0 = write_zone(tmp_path, "intel-rapl:0", "package-0", 5_000_000)
    write_zone(tmp_path, "intel-rapl:1", "package-1", 1_000_000)
    write_zone(tmp_path, "intel-rapl:0:0", "core", 9_000_000)  # a sub-zone: already inside package-0
    write_zone(tmp_path, "intel-rapl:2", "psys", 9_000_000)  # the platform zone: not a package
    meter, reason = rapl_meter(tmp_path)
    assert reason is None and meter.source == "rapl intel-rapl:0+intel-rapl:1"
    meter.start()
    (package0 / "energy_uj").write_text("7500000\n")
    assert meter.stop().joules == pytest.approx(2.5)


def test_rapl_absent_or_unreadable_says_why(tmp_path):
    meter, reason = rapl_meter(tmp_path)
    assert meter is None and "no RAPL package zone" in reason and str(tmp_path) in reason
    zone = write_zone(tmp_path, "intel-rapl:0", "package-0", 1)
    (zone / "energy_uj").unlink()
    meter, reason = rapl_meter(tmp_path)
    assert meter is None and "not readable" in reason


class FakeNVMLError(Exception):
    pass


def fake_pynvml(monkeypatch, counter=True, power=True, energy_mj=(1_000_000, 1_003_000)):
    readings = iter(energy_mj)

    def unsupported(*_):
        raise FakeNVMLError("Not Supported")

    module = types.SimpleNamespace(
        NVMLError=FakeNVMLError, NVML_CLOCK_SM=1, NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda index: f"gpu{index}",
        nvmlDeviceGetTotalEnergyConsumption=(lambda handle: next(readings)) if counter else unsupported,
        nvmlDeviceGetPowerUsage=(lambda handle: 300_000) if power else unsupported,
        nvmlDeviceGetClockInfo=lambda handle, kind: 1980, nvmlDeviceGetTemperature=lambda handle, kind: 41,
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "pynvml", module)


def test_nvml_prefers_the_energy_counter_in_millijoules(monkeypatch):
    fake_pynvml(monkeypatch, energy_mj=(0, 1_000_000, 1_003_000))  # the first read probes support
    meter, reason = nvml_meter()
    assert reason is None and meter.source == "nvml energy counter"
    meter.start()
    assert meter.stop().joules == pytest.approx(3.0)


def test_nvml_falls_back_to_power_samples_then_says_why(monkeypatch):
    fake_pynvml(monkeypatch, counter=False)
    meter, _ = nvml_meter()
    assert isinstance(meter, PowerSampleMeter) and "power samples" in meter.source
    meter.start()
    reading = meter.stop()
    assert reading.joules == pytest.approx(300.0 * reading.seconds)  # 300,000 mW
    fake_pynvml(monkeypatch, counter=False, power=False)
    meter, reason = nvml_meter()
    assert meter is None and "neither an energy counter nor power readings" in reason


def test_without_pynvml_the_reason_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert nvml_meter() == (None, "no pynvml (pip install nvidia-ml-py, in the .[gpu] extra)")
    assert gpu_state() is None
    assert meter_for("fpga") == (None, "no energy source for device 'fpga'")


def test_gpu_state_reads_clock_temperature_power(monkeypatch):
    fake_pynvml(monkeypatch)
    assert gpu_state() == {"sm_clock_mhz": 1980, "temperature_c": 41, "power_w": 300.0}


def test_energy_section_per_image_and_per_kwh():
    section = energy_section(EnergyReading(joules=12.0, seconds=2.0, source="test"), None, images=400)
    assert section["joules_per_image"] == pytest.approx(0.03) and section["avg_power_w"] == pytest.approx(6.0)
    assert section["images_per_kwh"] == pytest.approx(3.6e6 / 0.03)
    assert set(section) == set(ENERGY_FIELDS) and section["unavailable"] is None
    missing = energy_section(None, "no RAPL here", images=400)
    assert set(missing) == set(ENERGY_FIELDS) and missing["unavailable"] == "no RAPL here" and missing["joules_per_image"] is None


def test_a_row_measures_energy_over_its_timed_rounds_only(monkeypatch):
    """The meter starts after warm-up and stops after the timed rounds: warm-up energy must not
    be charged to the images the row reports."""
    events = []

    class Meter:
        source = "test meter"

        def start(self):
            events.append("start")

        def stop(self):
            events.append("stop")
            return EnergyReading(8.0, 1.0, self.source)

    monkeypatch.setattr("accel.measure.row.meter_for", lambda device: (Meter(), None))
    monkeypatch.setattr("accel.measure.energy.MIN_WINDOW_S", 0.0)  # no top-up here: the next test has it
    combo = Combination("digits_mlp", "onnxruntime", "fp32", "cpu", 4, 8)
    row = Row(combo, "inference", "seeded", lambda: events.append("call"))

    def timed_rounds(target, rounds):
        events.append("timed")
        for _ in range(rounds):
            target()
        return [0.25] * rounds  # 4 images per round, 0.25 s a round: 16 images/s

    record = measure_row(row, FromRounds(4, {}), timed_rounds, RoundPolicy(warmup=3, rounds=2))
    assert events == ["call"] * 3 + ["start", "timed", "call", "call", "stop"]
    assert record["energy"]["images"] == pytest.approx(8) and record["energy"]["joules_per_image"] == pytest.approx(1.0)
    assert record["energy"]["extra_rounds"] == 0
    assert "gpu_state" not in record
    check_record(record)


def test_top_up_runs_until_the_window_is_long_enough():
    now = [10.0]
    calls = []

    def target():
        calls.append(now[0])
        now[0] += 0.3

    assert top_up(target, started=10.0, clock=lambda: now[0]) == 4  # 10.0, 10.3, 10.6, 10.9 start below 11.0
    assert top_up(target, started=now[0] - 1.0, clock=lambda: now[0]) == 0  # already a full window: nothing more


def test_a_short_row_tops_up_its_energy_window_after_its_stage_samples_are_read(monkeypatch):
    """Extra rounds extend the energy window only: the latency, the stage breakdown (the target's
    last `rounds` samples) and the image count all stay consistent."""
    stage_samples: list[float] = []
    monkeypatch.setattr("accel.measure.row.meter_for", lambda device: (CounterMeter(lambda: 2.0 * len(stage_samples), "test counter"), None))
    monkeypatch.setattr("accel.measure.energy.MIN_WINDOW_S", 0.05)
    combo = Combination("digits_mlp", "onnxruntime", "fp32", "cpu", 4, 8)

    def target():
        time.sleep(0.004)
        stage_samples.append(1e-3 if len(stage_samples) < 5 else 9e-3)  # warm-up and timed rounds 1 ms, top-up rounds 9 ms

    row = Row(combo, "inference", "seeded", target)

    def timed_rounds(target, rounds):
        for _ in range(rounds):
            target()
        return [0.004] * rounds

    outcome = FromRounds(4, {}, stages=lambda last: {"inference": stage_samples[-last:]})
    record = measure_row(row, outcome, timed_rounds, RoundPolicy(warmup=3, rounds=2))
    energy = record["energy"]
    assert energy["extra_rounds"] >= 5 and energy["seconds"] >= 0.05
    assert energy["images"] == pytest.approx(4 * (2 + energy["extra_rounds"]))
    assert energy["joules"] == pytest.approx(2.0 * (2 + energy["extra_rounds"]))  # the counter ran over the top-up too
    assert energy["joules_per_image"] == pytest.approx(0.5)
    assert record["breakdown_ms"]["inference"]["p50"] == pytest.approx(1.0)  # the timed rounds' stages, not the top-up's
    check_record(record)


def test_a_counter_that_did_not_move_is_unavailable_not_zero():
    section = energy_section(EnergyReading(joules=0.0, seconds=0.04, source="nvml energy counter"), None, images=400)
    assert section["joules_per_image"] is None and section["unavailable"] == "nvml energy counter did not advance over the 0.04 s window"
