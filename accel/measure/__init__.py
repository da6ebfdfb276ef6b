"""Measurement: timing, statistics, memory and footprints, system info, scenarios, the row protocol,
the runner pool, the record and reports."""
