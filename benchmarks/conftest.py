"""Fixtures of the benchmark suite: the matrix parametrization, artifacts, pooled runners, quality
gates, and the adapter that hands benchmark.pedantic to the row protocol (`accel.measure.row`) and
stores the record. Logic lives in accel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from accel.artifacts.store import ArtifactStore
from accel.artifacts.cache import ArtifactCache
from accel.matrix import BACKENDS, Combination, combinations, no_rows_reason, with_preprocess
from accel.measure.evaluate import evaluate
from accel.quality.gates import Quality, enforce
from accel.backends.registry import Runner, create_runner, runner_key, skip_reason
from accel.measure.footprint import Footprint
from accel.measure.row import Outcome, Row, measure_row
from accel.measure.timing import RoundPolicy, device_timer_for
from benchmarks.plugin import (
    IMAGES, RECORDS, ROUND_POLICY, RUNNER_OPTIONS, RUNNER_POOL, SCENARIOS_SELECTED, SELECTION, THRESHOLDS, TUNED, VALIDATION,
)  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before a module's own axes, so ids read combo-then-load
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `combo` over the selected matrix; a module may narrow it with COMBO_BACKENDS
    (backends that time themselves have a module of their own). Tests that ask for `preprocessing`
    get each photo row once per --preprocess path."""
    if "combo" not in metafunc.fixturenames:
        return
    wanted = getattr(metafunc.module, "COMBO_BACKENDS", None)
    scenario = getattr(metafunc.module, "SCENARIO", None)  # Server / Offline modules run when asked for
    if scenario is not None and scenario not in metafunc.config.stash[SCENARIOS_SELECTED]:
        reason = f"{scenario} rows run with --scenarios {scenario} (README: what they cost)"
        metafunc.parametrize("combo", [pytest.param(None, id="none", marks=[pytest.mark.skip(reason=reason)])])
        return
    options = metafunc.config.stash[RUNNER_OPTIONS]
    selection = metafunc.config.stash[SELECTION]
    combos = list(map(metafunc.config.stash[TUNED], combinations(selection)))
    if "preprocessing" in metafunc.fixturenames:  # rows that preprocess photos take the --preprocess axis
        combos = with_preprocess(combos, selection.preprocess)
    params = []
    for combo in combos:
        runs_here = combo.backend in wanted if wanted else combo.spec.timed_by_runner
        if not runs_here:
            continue
        reason = skip_reason(combo, options)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(combo, id=combo.test_id, marks=marks))
    if not params:  # one skipped row saying why, rather than pytest's empty parameter set
        backends = wanted or [name for name in selection.backends if BACKENDS[name].timed_by_runner]
        params.append(pytest.param(None, id="none", marks=[pytest.mark.skip(reason=no_rows_reason(selection, backends))]))
    metafunc.parametrize("combo", params)


def terminal_progress(config: pytest.Config) -> Callable[[str], None]:
    """Progress lines for long steps (exports, calibration), shown live despite output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(message: str) -> None:
        if reporter is None or capture is None:
            print(message)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[accel] {message}")

    return write


@pytest.fixture(scope="session")
def store(pytestconfig: pytest.Config) -> ArtifactStore:
    option = pytestconfig.getoption
    return ArtifactStore(
        ArtifactCache(progress=terminal_progress(pytestconfig), lock_wait_s=option("--cache-wait")),
        weights=option("--weights"),
        images_dir=option("--images"),
        on_bad_image=option("--on-bad-image"),
        calib_method=option("--calib-method"),
        calib_size=option("--calib-size"),
        validation=pytestconfig.stash[VALIDATION],
        checked_images=pytestconfig.stash[IMAGES],
    )


@pytest.fixture
def runner(combo: Combination, store: ArtifactStore, qualities, pytestconfig: pytest.Config) -> Runner:
    """The pooled runner of the row's `runner_key`, closed after the key's last row. Made on first
    use after the row's inputs and reference and after a rehearsal runner that the quality
    evaluation runs on, so none of them counts as the measured runner's memory."""
    options = pytestconfig.stash[RUNNER_OPTIONS]
    return pytestconfig.stash[RUNNER_POOL].get(
        combo,
        create=lambda: create_runner(combo, store, options),
        warm=lambda: store.reference_logits(combo.model, combo.input_size),
        rehearse=lambda rehearsal: qualities(combo, rehearsal),
    )


@pytest.fixture
def footprint(combo: Combination, runner: Runner, pytestconfig: pytest.Config) -> Footprint:
    """What creating the row's runner added, and the baseline the row's peaks are taken above."""
    return pytestconfig.stash[RUNNER_POOL].footprint(combo)


@pytest.fixture(scope="session")
def qualities(store: ArtifactStore) -> Callable[[Combination, Runner], Quality]:
    """Drift and accuracy per prepared runner, computed once and shared by its rows."""
    assessed: dict[tuple, Quality] = {}

    def get(combo: Combination, runner: Runner) -> Quality:
        if runner_key(combo) not in assessed:
            workload = store.workload(combo.model, combo.input_size)
            reference = store.reference_logits(combo.model, combo.input_size)
            assessed[runner_key(combo)] = evaluate(runner, workload, reference, combo.precision)
        return assessed[runner_key(combo)]

    return get


@pytest.fixture
def quality(combo: Combination, runner: Runner, qualities, store: ArtifactStore, pytestconfig: pytest.Config) -> Quality:
    """The row's quality, enforced against the thresholds file before anything is timed."""
    assessed = qualities(combo, runner)
    thresholds_file, table = pytestconfig.stash[THRESHOLDS]
    enforce(
        assessed,
        table.get((combo.model, combo.precision, store.weights_kind(combo.model))),
        store.reference_accuracy(combo.model, combo.input_size),
        combo.precision,
        combo.test_id,
        thresholds_file,
        tuned=bool(combo.config),
    )
    return assessed


@pytest.fixture
def device_timer(runner: Runner, pytestconfig: pytest.Config):
    """CUDA events on the runner's stream for GPU rows, wall clock only for CPU rows."""
    return device_timer_for(runner.stream, pytestconfig.stash[ROUND_POLICY])


@pytest.fixture
def save_record(benchmark, pytestconfig: pytest.Config) -> Callable[[dict], dict]:
    """Store a record in the benchmark's extra_info and in the session's results table."""

    def save(record: dict) -> dict:
        benchmark.extra_info.update(record)
        pytestconfig.stash[RECORDS].append(record)
        return record

    return save


@pytest.fixture
def measure(benchmark, pytestconfig: pytest.Config, store: ArtifactStore, save_record):
    """measure(combo, kind, target, outcome, footprint=None, policy=None, weights=None): the row
    protocol with benchmark.pedantic as its timer (measured rounds only; the protocol warms up)."""
    default_policy = pytestconfig.stash[ROUND_POLICY]

    def pedantic_rounds(target: Callable[[], object], rounds: int) -> Sequence[float] | None:
        benchmark.pedantic(target, rounds=rounds, iterations=1, warmup_rounds=0)
        return None if benchmark.stats is None else list(benchmark.stats.stats.data)

    def run(
        combo: Combination,
        kind: str,
        target: Callable[[], object],
        outcome: Callable[[Sequence[float], int], Outcome],
        footprint: Footprint | None = None,
        policy: RoundPolicy | None = None,
        weights: str | None = None,
    ) -> dict:
        benchmark.group = combo.model  # pytest-benchmark's relative columns compare rows of one model
        row = Row(combo, kind, weights or store.weights_label(combo.model), target)
        record = measure_row(row, outcome, pedantic_rounds, policy or default_policy, footprint)
        return save_record(record) if record is not None else {}

    return run
