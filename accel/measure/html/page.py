"""The HTML report as one self-contained page: plotly.js inlined once in the head, then the results
table, one section per question, system info and the skipped rows. Nothing is fetched when the
page is opened, so it works offline and as a CI artifact."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from accel.errors import AccelError, UsageError
from accel.measure.html import data, tables
from accel.measure.output_files import MARKER, write_atomically
from accel.measure.report import markdown_table, skipped_table

if TYPE_CHECKING:
    from accel.measure.html.figures import Section

PLOT_CONFIG = {"displaylogo": False, "responsive": True}
INSTALL_HINT = "pip install plotly (or pip install -e '.[report]')"


class ReportUnavailable(AccelError):
    """The HTML report cannot be built here (plotly is not installed)."""


def require_plotly() -> None:
    """Raise ReportUnavailable, naming the install command, when plotly cannot be imported."""
    try:
        import plotly  # noqa: F401
    except ImportError as exc:
        raise ReportUnavailable(f"the HTML report needs plotly, which is not installed ({exc}): {INSTALL_HINT}") from None


def check_destination(path: Path, option: str) -> None:
    """A file path in an existing folder, checked before any work, the error naming the option."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file path such as {path / 'report.html'}")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {path.parent} does not exist (create it first)")


def write_html_report(runs: Sequence[tuple[str, Mapping]], path: Path) -> None:
    """Build the page and write it atomically: a reader sees the old report or the new one."""
    write_atomically(path, html_report(runs))


def html_report(runs: Sequence[tuple[str, Mapping]]) -> str:
    """The page for (source name, loaded pytest-benchmark JSON) pairs, starting with the marker line
    that lets the suite replace a report it wrote."""
    require_plotly()
    from plotly.offline import get_plotlyjs

    from accel.measure.html.figures import sections

    rows = data.rows_from_runs(runs)
    skipped = data.skipped_rows(runs)
    figure_sections = sections(rows)
    sources = ", ".join(source for source, _ in runs)
    nav = [("results", "Results"), *((s.anchor, s.title) for s in figure_sections), ("machine", "Machine"), ("skipped", "Skipped rows")]
    body = [
        f"<header><h1>accel-bench report</h1><p>{html.escape(sources)}: {len(rows)} rows, {len(skipped)} skipped.</p>",
        "<nav>" + " · ".join(f'<a href="#{anchor}">{html.escape(title)}</a>' for anchor, title in nav) + "</nav></header>",
        _results_section(rows),
        *(_figure_section(section) for section in figure_sections),
        _machine_section(runs),
        _skipped_section(skipped),
    ]
    return "\n".join([
        MARKER, "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request: a file:// page would log a failed fetch
        f"<title>accel-bench report: {html.escape(sources)}</title>", f"<style>{STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head><body>", *body, f"<script>{SORT_SCRIPT}</script>", "</body></html>", "",
    ])  # fmt: skip


def _results_section(rows: Sequence[data.Row]) -> str:
    header, cells = tables.markdown_cells(markdown_table([row.record for row in rows]))
    return ('<section id="results"><h2>Results</h2><p class="question">The results table of <code>out.md</code>; '
            "click a header to sort by it.</p>" + '<div class="scroll">' + tables.html_table(header, cells, "results-table", sortable=True) + "</div></section>")  # fmt: skip


def _figure_section(section: Section) -> str:
    import plotly.io as pio

    head = f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2><p class="question">{html.escape(section.question)}</p>'
    if section.omitted:
        return f'{head}<p class="omitted">Omitted: {html.escape(section.omitted)}.</p></section>'
    plots = [
        '<div class="figure">' + pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=f"{section.anchor}-{i}", config=PLOT_CONFIG,
                                              default_width="100%", default_height=f"{figure.layout.height}px") + "</div>"
        for i, figure in enumerate(section.figures)
    ]  # fmt: skip
    return head + '<div class="grid">' + "\n".join(plots) + "</div></section>"


def _machine_section(runs: Sequence[tuple[str, Mapping]]) -> str:
    header, cells = data.machine_columns(runs)
    return ('<section id="machine"><h2>Machine</h2><p class="question">Where and how each file was measured.</p>'
            + tables.html_table(header, cells, "machine-table") + "</section>")  # fmt: skip


def _skipped_section(skipped: Sequence[Mapping]) -> str:
    head = '<section id="skipped"><h2>Skipped rows</h2><p class="question">Rows the run generated but could not run here, with the reason.</p>'
    header, cells = tables.markdown_cells(skipped_table(skipped))
    if not cells:
        return f'{head}<p class="omitted">None: every generated row ran (files written before the list existed record none).</p></section>'
    return head + '<div class="scroll">' + tables.html_table(header, cells, "skipped-table", sortable=True) + "</div></section>"


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1500px; padding: 0 1.5em 3em; color: #222; }
header { border-bottom: 1px solid #ddd; margin-bottom: 1em; }
nav a { margin: 0 0.2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #eee; }
p.question { color: #555; margin-top: -0.4em; }
p.omitted { color: #8a6d3b; background: #fcf8e3; padding: 0.5em 0.8em; border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(620px, 1fr)); gap: 1em; }
.figure { border: 1px solid #eee; border-radius: 4px; padding: 4px; min-width: 0; }
.scroll { max-height: 70vh; overflow: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
thead th { background: #f4f6f8; position: sticky; top: 0; }
table.sortable thead th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.sortable thead th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: #fafafa; }
#results-table td:last-child, #skipped-table td:last-child { font-size: 12px; color: #444; }
#machine-table td:first-child { background: #f4f6f8; font-weight: 600; white-space: nowrap; }
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) { return row.cells[column].textContent.trim(); }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
        var order = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""
