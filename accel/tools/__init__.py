"""Commands that are not benchmarks (python -m accel ...)."""
