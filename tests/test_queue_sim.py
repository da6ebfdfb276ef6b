import json
import re

import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.tools.queue_sim import row_samples


def table_rows(text):
    return [line.split("|")[1:-1] for line in text.splitlines() if re.match(r"\| M/", line)]


def test_the_seed_command_gives_the_mm1_closed_form_and_a_simulation_within_5_percent(capsys):
    assert main(["queue-sim", "--service-ms", "20", "--arrival-rps", "30"]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    closed, simulated, deterministic = ([float(cell) for cell in row[1:3]] for row in rows)
    assert closed == pytest.approx([50.0, 230.26], abs=0.01)  # mean 1/(50 - 30) s; p99 ln(100) x mean
    assert simulated[1] == pytest.approx(closed[1], rel=0.05)
    assert deterministic[0] == pytest.approx(35.0)  # M/D/1: 20 + 30 x 0.02^2 / (2 x 0.4) s
    assert "utilisation 0.600" in out


def saved_run(tmp_path):
    path = tmp_path / "out.json"
    benchmarks = [
        {"name": "test_inference[m-b1]", "param": "m-b1", "stats": {"data": [0.010, 0.012, 0.011]}},
        {"name": "test_end_to_end[m-b1]", "param": "m-b1", "stats": {"data": [0.020]}},
        {"name": "test_inference[m-b8]", "param": "m-b8", "stats": {"data": [0.080]}},
    ]
    path.write_text(json.dumps({"benchmarks": benchmarks}))
    return path


def test_rows_are_found_by_name_or_unique_id(tmp_path):
    path = saved_run(tmp_path)
    name, samples = row_samples(f"{path}:test_inference[m-b1]")
    assert name == "test_inference[m-b1]" and list(samples) == [0.010, 0.012, 0.011]
    assert row_samples(f"{path}:m-b8")[0] == "test_inference[m-b8]"
    with pytest.raises(UsageError, match="ambiguous"):
        row_samples(f"{path}:m-b1")
    with pytest.raises(UsageError, match="matches no benchmark"):
        row_samples(f"{path}:m-b2")
    with pytest.raises(UsageError, match="FILE:ROW"):
        row_samples(str(path))


def test_measured_samples_add_mg1_and_set_the_mean(tmp_path, capsys):
    path = saved_run(tmp_path)
    assert main(["queue-sim", "--service-samples", f"{path}:test_inference[m-b1]", "--arrival-rps", "50", "--customers", "50000"]) == 0
    out = capsys.readouterr().out
    assert [row[0].strip() for row in table_rows(out)] == ["M/M/1", "M/M/1", "M/D/1", "M/G/1"]
    assert "mean service 11 ms" in out and "3 measured service times of test_inference[m-b1]" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--arrival-rps", "30"],  # no service time at all
        ["--arrival-rps", "60", "--service-ms", "20"],  # utilisation 1.2
        ["--arrival-rps", "30", "--service-ms", "0"],
    ],
)
def test_bad_commands_are_usage_errors(args, capsys):
    assert main(["queue-sim", *args]) == 2
    assert capsys.readouterr().err.startswith("error: ")
