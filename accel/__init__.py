"""accel: the library behind the inference benchmark suite (no pytest imports here)."""

__version__ = "0.1.0"
