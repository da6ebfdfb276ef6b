"""The HTML report (`python -m accel report out.json --html report.html`, and `report.html` beside every
`--benchmark-json`): the results table plus one interactive figure per question a reader asks of a
run, in one file that opens offline.

Why plotly: comparing many rows needs hover (exact values, intervals, the row's label) and zoom on a
tail, which static images cannot give; plotly writes self-contained HTML with plotly.js inlined
once, is widely used and well kept, and needs no browser or server to build the page. It is
optional: `data` (what each figure shows) needs only numpy, and `page.require_plotly` names the
install command when it is missing.
"""
