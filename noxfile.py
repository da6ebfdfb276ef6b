"""nox sessions: `nox -s tests` (unit tests), `nox -s cpu` (the CPU matrix).

Each session gets its own virtualenv; `dev`/`cpu` and `gpu` extras are never mixed, because
onnxruntime and onnxruntime-gpu must not be installed together.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
PYTHON = ["3.11", "3.12"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit tests and the suite smoke run."""
    session.install("-e", ".[dev]")
    session.run("pytest", "tests", *session.posargs)


@nox.session(python=PYTHON)
def cpu(session: nox.Session) -> None:
    """The CPU matrix, JSON and markdown table in results-local/."""
    session.install("-e", ".[dev]")
    session.run("pytest", "benchmarks", "--device", "cpu", "--benchmark-json", "results-local/cpu.json", *session.posargs)
