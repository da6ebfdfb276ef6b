"""The report's figures, one builder per question, each from the rows `data` selects for it. A
question the given JSON holds no data for becomes a one-line note saying why, never an empty plot.
Imports plotly: reached only through `page.html_report`, which checks for it first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from accel.measure.html import data
from accel.measure.html.data import Row
from accel.measure.report import STAGE_LABELS

STAGE_COLOURS = {"preprocess": "#4c78a8", "h2d": "#9ecae9", "inference": "#f58518", "d2h": "#ffbf79", "postprocess": "#54a24b"}
QUEUE_MODEL_DASH = {"M/M/1": "dot", "M/D/1": "dash", "M/G/1": "dashdot"}
LOG_AXIS_SPAN = 30  # an axis whose values span more than this factor is drawn in log scale
P50_COLOUR, P99_COLOUR = "#4c78a8", "#e45756"


@dataclass(frozen=True)
class Section:
    """One question of the report: its figures, or the note that says why it has none."""

    anchor: str
    title: str
    question: str
    figures: tuple[go.Figure, ...] = ()
    omitted: str = ""


def colour_map(rows: Iterable[Row]) -> dict[str, str]:
    """One colour per series (backend, precision, device), the same in every figure."""
    palette = qualitative.Dark24 + qualitative.Light24
    names = sorted({row.series for row in rows})
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


BOTTOM_LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0, "font": {"size": 10}}


def _layout(figure: go.Figure, title: str, height: int, **layout: object) -> go.Figure:
    """The house style; the title sits below the mode bar (the zoom and download buttons)."""
    figure.update_layout(**{"title": {"text": title, "font": {"size": 13}, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 30}},
                            "template": "plotly_white", "height": height, "margin": {"l": 60, "r": 20, "t": 64, "b": 50},
                            "legend": {"font": {"size": 10}}, **layout})  # fmt: skip
    return figure


def _axis_type(values: Iterable[float]) -> str:
    positive = [value for value in values if value and value > 0]
    return "log" if positive and max(positive) / min(positive) > LOG_AXIS_SPAN else "linear"


def latency_cdfs(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("distributions", "Latency distributions", "How is each backend and precision's per-round latency spread, tail included?")
    groups = data.distribution_rows(rows)
    if not groups:
        return replace(section, omitted="no inference row holds its per-round samples (stats.data) in the given JSON")
    figures = []
    for model, group in groups.items():
        figure = go.Figure()
        for row in sorted(group, key=lambda row: row.p50):
            x, y = data.cdf_points(row.samples_ms)
            figure.add_trace(go.Scatter(x=x, y=y, name=row.series, mode="lines", line={"color": colours[row.series], "width": 2},
                                        hovertemplate="%{x:.4g} ms: %{y:.3f} of rounds<extra>" + row.label + "</extra>"))  # fmt: skip
        for level in (0.5, 0.99):
            figure.add_hline(y=level, line={"color": "#999", "width": 1, "dash": "dot"}, annotation_text=f"p{level * 100:g}",
                             annotation_position="bottom right")  # fmt: skip
        xtype = _axis_type(value for row in group for value in (min(row.samples_ms), max(row.samples_ms)))
        figures.append(_layout(figure, f"{model}: CDF of per-round latency, inference rows, batch {group[0].batch}", 500, legend=BOTTOM_LEGEND,
                               xaxis={"title": "latency per round (ms)", "type": xtype}, yaxis={"title": "fraction of rounds", "range": [0, 1.02]}))  # fmt: skip
    return replace(section, figures=tuple(figures))


def _bar_errors(values: Sequence[tuple[float, float | None, float | None]]) -> dict:
    """Asymmetric error bars from (value, low, high); a bound the samples cannot give draws none."""
    return {"type": "data", "symmetric": False, "array": [high - value if high is not None else 0 for value, _, high in values],
            "arrayminus": [value - low if low is not None else 0 for value, low, _ in values], "thickness": 1.5, "width": 4}  # fmt: skip


def _bound_text(bound: float | None) -> str:
    return f"{bound:.4g}" if bound is not None else "unbounded"


def percentile_bars(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("intervals", "p50 and p99 with 95% confidence intervals",
                      "Are two rows' latencies really different, or within each other's interval? (hatched: p99 looser than the tolerance)")  # fmt: skip
    groups = data.interval_rows(rows)
    if not groups:
        return replace(section, omitted="no inference row carries percentile intervals (latency_ci_ms) in the given JSON")
    figures = []
    for model, group in groups.items():
        figure = go.Figure()
        labels = [row.label for row in group]
        for quantile, colour in (("p50", P50_COLOUR), ("p99", P99_COLOUR)):
            values = [data.interval(row.record, quantile) for row in group]
            loose = [quantile == "p99" and not row.record["latency_ci_ms"].get("p99_tight", True) for row in group]
            figure.add_trace(go.Bar(
                y=labels, x=[value for value, _, _ in values], name=quantile, orientation="h", error_x=_bar_errors(values),
                marker={"color": colour, "pattern": {"shape": ["/" if flag else "" for flag in loose]}},
                customdata=[[_bound_text(low), _bound_text(high)] for _, low, high in values],
                hovertemplate=f"{quantile} %{{x:.4g}} ms (95% CI %{{customdata[0]}} to %{{customdata[1]}})<extra>%{{y}}</extra>",
            ))  # fmt: skip
        xtype = _axis_type(row.p99 for row in group)
        figures.append(_layout(figure, f"{model}: p50 and p99 per inference row, 95% intervals", max(240, 110 + 34 * len(group)), barmode="group",
                               xaxis={"title": "latency per round (ms)", "type": xtype}, yaxis={"autorange": "reversed", "automargin": True}))  # fmt: skip
    return replace(section, figures=tuple(figures))


def throughput_vs_batch(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("batch", "Throughput vs batch, p99 on the second axis", "What does a larger batch buy in images per second, and cost in tail latency?")
    groups = data.batch_series(rows)
    if not groups:
        return replace(section, omitted="no backend and precision has inference rows at two or more batch sizes in the given JSON")
    figures = []
    for model, series in groups.items():
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        for name, points in series.items():
            batches = [row.batch for row in points]
            figure.add_trace(go.Scatter(x=batches, y=[row.record["throughput_ips"] for row in points], name=name, legendgroup=name,
                                        mode="lines+markers", line={"color": colours[name]},
                                        hovertemplate="b%{x}: %{y:.4g} img/s<extra>" + name + "</extra>"), secondary_y=False)  # fmt: skip
            figure.add_trace(go.Scatter(x=batches, y=[row.p99 for row in points], name=f"{name} p99", legendgroup=name, showlegend=False,
                                        mode="lines+markers", line={"color": colours[name], "dash": "dash"}, marker={"symbol": "x"},
                                        hovertemplate="b%{x}: p99 %{y:.4g} ms<extra>" + name + "</extra>"), secondary_y=True)  # fmt: skip
        all_batches = sorted({row.batch for points in series.values() for row in points})
        _layout(figure, f"{model}: throughput (solid) and p99 (dashed) vs batch", 500, legend=BOTTOM_LEGEND)
        figure.update_xaxes(title="batch", type=_axis_type(all_batches), tickvals=all_batches)
        figure.update_yaxes(title="throughput (img/s)", secondary_y=False, rangemode="tozero")
        figure.update_yaxes(title="p99 per round (ms)", secondary_y=True, showgrid=False, tickformat=".3g", rangemode="tozero")
        figures.append(figure)
    return replace(section, figures=tuple(figures))


def end_to_end_breakdown(rows: Sequence[Row]) -> Section:
    section = Section("breakdown", "End-to-end breakdown", "Where does an end-to-end request's time go: decode and preprocess, copies, inference, postprocess?")
    groups = data.breakdown_rows(rows)
    if not groups:
        return replace(section, omitted="no end-to-end row with a stage breakdown (breakdown_ms) in the given JSON")
    figures = []
    for model, group in groups.items():
        figure = go.Figure()
        labels = [row.label for row in group]
        stage_names = list(dict.fromkeys(stage for row in group for stage in data.stages(row.record)))
        for stage in stage_names:
            cells = [row.record["breakdown_ms"].get(stage) or {} for row in group]
            figure.add_trace(go.Bar(y=labels, x=[cell.get("p50", 0) for cell in cells], name=STAGE_LABELS.get(stage, stage), orientation="h",
                                    marker={"color": STAGE_COLOURS.get(stage)}, customdata=[[cell.get("p50"), cell.get("p99")] for cell in cells],
                                    hovertemplate=f"{stage}: p50 %{{customdata[0]:.4g}} ms, p99 %{{customdata[1]:.4g}} ms<extra>%{{y}}</extra>"))  # fmt: skip
        figure.add_trace(go.Scatter(y=labels, x=[row.p50 for row in group], name="end-to-end p50 (measured)", mode="markers",
                                    marker={"symbol": "diamond", "color": "black", "size": 8},
                                    hovertemplate="end-to-end p50 %{x:.4g} ms<extra>%{y}</extra>"))  # fmt: skip
        figures.append(_layout(figure, f"{model}: p50 per stage, stacked (the diamond: the whole request's p50)", max(240, 110 + 30 * len(group)),
                               barmode="stack", xaxis={"title": "ms"}, yaxis={"autorange": "reversed", "automargin": True},
                               updatemenus=[_share_toggle(len(stage_names))]))  # fmt: skip
    return replace(section, figures=tuple(figures))


def _share_toggle(stage_count: int) -> dict:
    """Buttons between milliseconds and each stage's share of the request: one slow row would
    otherwise flatten every other bar to a sliver (the diamond, in ms, hides in shares)."""
    return {"type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom", "pad": {"b": 4},
            "font": {"size": 10}, "showactive": True,
            "buttons": [{"label": "ms", "method": "update", "args": [{"visible": [True] * (stage_count + 1)}, {"barnorm": "", "xaxis.title.text": "ms"}]},
                        {"label": "share", "method": "update",
                         "args": [{"visible": [True] * stage_count + [False]}, {"barnorm": "percent", "xaxis.title.text": "% of the stages' p50 sum"}]}]}  # fmt: skip


def quality_vs_latency(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("pareto", "Accuracy or drift vs latency, with the Pareto front",
                      "Which precision should I ship? No other row is both as fast and as good as one on the front (ringed, joined).")  # fmt: skip
    groups = data.quality_points(rows)
    if not groups:
        return replace(section, omitted="no inference row records accuracy or drift (accuracy, drift) in the given JSON")
    figures = []
    for model, quality in groups.items():
        figure = go.Figure()
        points = quality.points
        front = data.pareto_front([(point.latency_ms, point.quality) for point in points])
        figure.add_trace(go.Scatter(x=[points[i].latency_ms for i in front], y=[points[i].quality for i in front], name="Pareto front",
                                    mode="lines", line={"shape": "hv", "color": "#888", "dash": "dot"}, hoverinfo="skip"))  # fmt: skip
        for name in sorted({point.row.series for point in points}):
            members = [(i, point) for i, point in enumerate(points) if point.row.series == name]
            figure.add_trace(go.Scatter(
                x=[point.latency_ms for _, point in members], y=[point.quality for _, point in members], name=name, mode="markers+text",
                text=[point.row.record["precision"] for _, point in members], textposition="top center", textfont={"size": 9},
                marker={"color": colours[name], "size": [13 if i in front else 8 for i, _ in members],
                        "line": {"width": [2.5 if i in front else 0 for i, _ in members], "color": "black"}},
                customdata=[("fp32 reference, 1 by definition" if point.reference else f"{quality.metric}") + (", on the front" if i in front else "")
                            for i, point in members],
                hovertemplate="p50 %{x:.4g} ms, %{y:.4f} (%{customdata})<extra>" + name + "</extra>",
            ))  # fmt: skip
        batch = points[0].row.batch
        figures.append(_layout(figure, f"{model}: {quality.metric} vs p50, inference rows, batch {batch}", 500, legend={**BOTTOM_LEGEND, "itemsizing": "constant"},
                               xaxis={"title": "p50 latency per round (ms)", "type": _axis_type(p.latency_ms for p in points)},
                               yaxis={"title": quality.metric}))  # fmt: skip
    return replace(section, figures=tuple(figures))


def p99_vs_load(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("load", "p99 vs load, measured and predicted", "How does the tail grow with offered load, and which queueing model predicts it?")
    groups = data.load_series(rows)
    if not groups:
        return replace(section, omitted="no Server rows (load_curve) in the given JSON: run the suite with --scenarios server")
    figures = []
    for model, series in groups.items():
        figure = go.Figure()
        values = []
        for name, points in series.items():
            colour = colours[points[0].series]
            measured = data.measured_p99(points)
            values += [value for _, value, _, _ in measured]
            figure.add_trace(go.Scatter(
                x=[qps for qps, _, _, _ in measured], y=[value for _, value, _, _ in measured], name=f"{name} measured", legendgroup=name,
                mode="lines+markers", line={"color": colour, "width": 2.5}, error_y=_bar_errors([triple[1:] for triple in measured]),
                customdata=[row.record["load_curve"]["utilisation"] for row in points],
                hovertemplate="%{x:.4g} QPS offered (utilisation %{customdata:.2f}): p99 %{y:.4g} ms<extra>" + name + "</extra>",
            ))  # fmt: skip
            for queue_model, predicted in data.predicted_p99(points).items():
                values += [value for _, value in predicted]
                figure.add_trace(go.Scatter(
                    x=[qps for qps, _ in predicted], y=[value for _, value in predicted], name=f"{name} {queue_model}", legendgroup=name,
                    mode="lines", line={"color": colour, "width": 1.2, "dash": QUEUE_MODEL_DASH.get(queue_model, "longdash")},
                    hovertemplate=f"{queue_model} predicts p99 %{{y:.4g}} ms at %{{x:.4g}} QPS<extra>{name}</extra>",
                ))  # fmt: skip
        figures.append(_layout(figure, f"{model}: Server p99 vs offered load (solid: measured with 95% CI; broken: queueing models)", 540, legend=BOTTOM_LEGEND,
                               xaxis={"title": "offered load (QPS)"}, yaxis={"title": "p99 response time (ms)", "type": _axis_type(values)}))  # fmt: skip
    return replace(section, figures=tuple(figures))


def fpga_budget_plot(rows: Sequence[Row]) -> Section:
    section = Section("fpga", "FPGA offload budget", "What would offloading the INT8 MLP to the FPGA buy, given the link it sits behind?")
    budget = data.fpga_budget(rows)
    if isinstance(budget, str):
        return replace(section, omitted=budget)
    sweep = budget.sweep
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[r["bytes_per_s"] for r in sweep], y=[r["speedup"] for r in sweep], name="budget model", mode="lines+markers+text",
                                text=[r["link"].replace(" baud", "") for r in sweep], textposition=["bottom right"] * (len(sweep) - 1) + ["top left"],
                                textfont={"size": 9},
                                customdata=[[r["total_ms"], r["copy_to_ms"] + r["copy_back_ms"], r["compute_ms"]] for r in sweep],
                                hovertemplate="%{text}: T_total %{customdata[0]:.4g} ms (link %{customdata[1]:.4g}, compute %{customdata[2]:.4g}), "
                                              "speedup %{y:.3g}x<extra></extra>"))  # fmt: skip
    figure.add_trace(go.Scatter(x=[bps for _, bps, _ in budget.measured], y=[speedup for _, _, speedup in budget.measured], name="FPGA row (measured)",
                                mode="markers", marker={"symbol": "star", "size": 15, "color": "#e45756"},
                                customdata=[[row.p50, row.record["notes"].get("engine", "")] for row, _, _ in budget.measured],
                                hovertemplate="%{customdata[1]}: p50 %{customdata[0]:.4g} ms, speedup %{y:.3g}x<extra></extra>"))  # fmt: skip
    figure.add_hline(y=1.0, line={"color": "#666", "dash": "dash"})
    # On a log axis an annotation's y is log10 of the value: add_hline's own label lands at 10.
    figure.add_annotation(x=0, xref="paper", y=0, yref="y", text="break-even", showarrow=False, xanchor="left", yanchor="bottom")
    host = budget.host
    return replace(section, figures=(_layout(
        figure, f"{budget.model}: speedup bound vs link bandwidth (host: {host.label}, p50 {host.p50:.4g} ms)", 460,
        xaxis={"title": "link bandwidth (bytes/s)", "type": "log"}, yaxis={"title": "speedup vs host (x)", "type": "log"}),))  # fmt: skip


def energy_vs_latency(rows: Sequence[Row], colours: Mapping[str, str]) -> Section:
    section = Section("energy", "Energy per image vs latency", "What does each backend and precision cost in energy per image, and at what latency?")
    groups = data.energy_series(rows)
    if not groups:
        reasons = data.energy_unavailable(rows)
        return replace(section, omitted="no inference row has a readable energy meter" + (f" ({'; '.join(reasons)})" if reasons else ""))
    figures = []
    for model, series in groups.items():
        figure = go.Figure()
        for name, points in series.items():
            energy = [row.record["energy"] for row in points]
            figure.add_trace(go.Scatter(
                x=[row.p50 for row in points], y=[row.joules_per_image * 1e3 for row in points], name=name, mode="lines+markers+text",
                text=[f"b{row.batch}" for row in points], textposition="top center", textfont={"size": 9}, line={"color": colours[name]},
                customdata=[[e.get("avg_power_w"), e.get("source"), e.get("images_per_kwh")] for e in energy],
                hovertemplate="%{text}: %{y:.4g} mJ/image at p50 %{x:.4g} ms, %{customdata[0]:.4g} W (%{customdata[1]}), "
                              "%{customdata[2]:.3g} images/kWh<extra>" + name + "</extra>",
            ))  # fmt: skip
        every = [row for points in series.values() for row in points]
        figures.append(_layout(figure, f"{model}: energy per image vs p50 per round, inference rows (labels: batch)", 500, legend=BOTTOM_LEGEND,
                               xaxis={"title": "p50 latency per round (ms)", "type": _axis_type(row.p50 for row in every)},
                               yaxis={"title": "energy per image (mJ)", "type": _axis_type(row.joules_per_image for row in every)}))  # fmt: skip
    return replace(section, figures=tuple(figures))


def sections(rows: Sequence[Row]) -> list[Section]:
    """Every figure section of the report, in reading order."""
    colours = colour_map(rows)
    return [latency_cdfs(rows, colours), percentile_bars(rows, colours), throughput_vs_batch(rows, colours), end_to_end_breakdown(rows),
            quality_vs_latency(rows, colours), energy_vs_latency(rows, colours), p99_vs_load(rows, colours), fpga_budget_plot(rows)]  # fmt: skip
