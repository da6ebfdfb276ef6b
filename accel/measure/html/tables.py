"""HTML tables of the report. The results and skipped-rows tables are `accel.measure.report`'s own
markdown parsed back into cells, so the page shows the same rows and columns as `out.md`, and
follows any column that module adds."""

from __future__ import annotations

import html
from collections.abc import Sequence


def markdown_cells(table: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of a markdown table. The last column keeps any `|` its text holds
    (the Notes and Reason columns are free text)."""
    lines = [line.strip() for line in table.splitlines() if line.strip().startswith("|")]
    if len(lines) < 2:
        return [], []
    header = _cells(lines[0], None)
    return header, [_cells(line, len(header)) for line in lines[2:]]


def _cells(line: str, width: int | None) -> list[str]:
    inner = line[1:-1] if line.endswith("|") else line[1:]
    return [cell.strip() for cell in inner.split("|", -1 if width is None else width - 1)]


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], table_id: str, sortable: bool = False) -> str:
    """A table whose headers sort it when clicked (numbers numerically) if `sortable`."""
    classes = ' class="sortable"' if sortable else ""
    head = "".join(f'<th scope="col">{html.escape(cell)}</th>' for cell in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"{classes}><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'

