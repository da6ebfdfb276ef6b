"""The HTML report in a real headless browser: Debian's chromium driven by its own chromedriver
(`apt-get install chromium chromium-driver`; `.ci/run` installs them), never a downloaded one.

The page is built by `python -m accel report --html` from three committed runs that between them have
every kind of row: the CPU main job (inference and end-to-end rows, drift, accuracy, the FPGA row,
skipped rows), an H200 Server run (load curves with the queueing models' predictions) and H200
inference rows with NVML energy (the energy figure)."""

import io
import shutil
from pathlib import Path

import pytest

from accel.__main__ import main
from accel.measure.report import load_json

ROOT = Path(__file__).resolve().parents[1]
RUNS = (ROOT / "docs/results/load/main-job-after.json.gz", ROOT / "docs/results/load/server-h200.json",
        ROOT / "docs/results/h200/compile-fp16-resnet18.json.gz")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromedriver: apt-get install chromium chromium-driver"),
]  # fmt: skip
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium; in .[dev])")
pytest.importorskip("plotly", reason="the HTML report needs plotly (pip install plotly; in .[dev])")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", *map(str, RUNS), "--html", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def expected_figures() -> int:
    from accel.measure.html.data import rows_from_runs
    from accel.measure.html.figures import sections

    return sum(len(section.figures) for section in sections(rows_from_runs([(str(path), load_json(path)) for path in RUNS])))


@pytest.fixture(scope="module")
def browser(report):
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.wait import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The system driver, named explicitly: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(report.as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('.plotly-graph-div')).every(div => div.querySelector('.main-svg'))"))  # fmt: skip
        yield driver
    finally:
        driver.quit()


def test_no_severe_console_entries(browser):
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def test_standards_mode_despite_the_marker_line(browser):
    assert browser.execute_script("return document.compatMode") == "CSS1Compat"


def test_nothing_is_fetched(browser):
    assert browser.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)") == []


def test_every_figure_rendered_with_traces(browser, expected_figures):
    plots = browser.execute_script(
        "return Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => "
        "[div.id, div.querySelectorAll('.main-svg').length, div.querySelectorAll('g.trace').length, div.getBoundingClientRect().height])"
    )
    assert len(plots) == expected_figures > 20
    for plot_id, svgs, traces, height in plots:
        assert svgs >= 1 and traces >= 1 and height > 150, plot_id


def test_sections_without_data_say_why(browser):
    # The three runs have data for every question: no section is omitted.
    assert browser.execute_script("return document.querySelectorAll('p.omitted').length") == 0


def _column(browser, table_id: str, index: int) -> list[str]:
    return browser.execute_script(f"return Array.from(document.querySelectorAll('#{table_id} tbody tr')).map(row => row.cells[{index}].textContent)")


def test_table_sorts_when_a_header_is_clicked(browser):
    from selenium.webdriver.common.by import By

    headers = browser.find_elements(By.CSS_SELECTOR, "#results-table thead th")
    p50 = [header.text for header in headers].index("p50 (ms)")
    before = [float(cell) for cell in _column(browser, "results-table", p50)]
    assert before != sorted(before)  # the table starts in the markdown table's order
    browser.execute_script("arguments[0].click()", headers[p50])
    assert [float(cell) for cell in _column(browser, "results-table", p50)] == sorted(before)
    assert headers[p50].get_attribute("aria-sort") == "ascending"
    browser.execute_script("arguments[0].click()", headers[p50])
    assert [float(cell) for cell in _column(browser, "results-table", p50)] == sorted(before, reverse=True)
    model = [header.text for header in headers].index("Model")
    browser.execute_script("arguments[0].click()", headers[model])
    models = _column(browser, "results-table", model)
    assert models == sorted(models) and len(set(models)) > 2


def test_a_figure_is_drawn_not_blank(browser):
    from PIL import Image
    from selenium.webdriver.common.by import By

    figure = browser.find_element(By.ID, "distributions-0")
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    pixels = Image.open(io.BytesIO(figure.screenshot_as_png)).convert("RGB")
    colours = pixels.getcolors(maxcolors=1 << 20)
    drawn = sum(count for count, colour in colours if min(colour) < 235) / (pixels.width * pixels.height)
    assert len(colours) > 50 and drawn > 0.02  # several coloured curves, axes and text on white
