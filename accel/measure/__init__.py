"""Measurement: timing, statistics, memory, system info, scenarios, the row record and reports."""
