"""Root conftest: loads the suite's plugin (options and hooks) for `pytest benchmarks` and `pytest tests`."""

pytest_plugins = ("benchmarks.plugin",)
