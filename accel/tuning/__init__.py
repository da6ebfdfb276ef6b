"""Tuning: each backend's knobs measured per row, the winners kept in a file keyed by machine."""
