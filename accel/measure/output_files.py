"""The files a run writes beside `--benchmark-json`: checked before any row runs, written
atomically after the session, never over a file the suite did not write, and never mistaken for a
complete run.

An interrupted session (Ctrl-C) leaves the previous results untouched and writes what it finished
to `<name>.interrupted.json` / `.md`, marked as such; a killed one (SIGTERM, SIGKILL) writes nothing,
and the next run removes the temporary it may have left.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from accel.artifacts.tempfiles import owned_temp_file, remove_dead_owners
from accel.errors import UsageError

MARKER = "<!-- written by accel-bench; it overwrites this file on the next run -->"
INTERRUPTED = ".interrupted"
REFUSED_SUFFIXES = (".md", ".html")


@dataclass(frozen=True)
class OutputPaths:
    """Where one session's results go: the JSON, and the markdown table and HTML report beside it."""

    json: Path
    table: Path

    @property
    def html(self) -> Path:
        """`report.html` beside the JSON (`report.interrupted.html` for an interrupted run's): the
        name the README promises. Two runs into one folder share it; the later run's replaces it."""
        return self.json.with_name(f"report{INTERRUPTED if self.json.stem.endswith(INTERRUPTED) else ''}.html")

    @classmethod
    def beside(cls, json_path: Path) -> OutputPaths:
        return cls(json_path, json_path.with_suffix(".md"))

    def interrupted(self) -> OutputPaths:
        """The separate pair an interrupted session writes, so complete results are never replaced."""
        return OutputPaths.beside(self.json.with_name(f"{self.json.stem}{INTERRUPTED}.json"))


def plan_outputs(json_path: str | os.PathLike, html: bool = True) -> OutputPaths:
    """Check `--benchmark-json` before the run: a writable file path whose table (and HTML report,
    unless `html` is off) would clobber nothing."""
    path = Path(json_path)
    option = f"--benchmark-json {path}"
    if path.suffix.lower() in REFUSED_SUFFIXES:
        raise UsageError(f"{option}: the results table (.md) is written beside the JSON; give the JSON a .json name")
    if path.is_dir():
        raise UsageError(f"{option} is a folder; give a file path such as {path / 'out.json'}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{option}: the folder {folder} does not exist (create it first)")
    try:
        owned_temp_file(folder, f".{path.name}.probe").unlink()
    except OSError as exc:
        raise UsageError(f"{option}: cannot write in {folder}: {exc.strerror or exc}") from None
    outputs = OutputPaths.beside(path)
    written = (outputs.table, outputs.interrupted().table) + ((outputs.html, outputs.interrupted().html) if html else ())
    for target in written:
        refuse_foreign(target, option)
    remove_dead_owners(folder.glob(f".{path.name}.*"))
    remove_dead_owners(folder.glob(f".{outputs.table.name}.*"))
    remove_dead_owners(folder.glob(f".{outputs.html.name}.*"))
    return outputs


def discard_empty_placeholder(path: Path) -> bool:
    """Remove `path` when it is an empty file: pytest-benchmark before 5.3 opens `--benchmark-json` when
    it parses its options, so an interrupted run (which writes the `.interrupted` pair instead) would
    leave a 0-byte file where complete results are expected. True when one was removed."""
    try:
        if path.is_file() and path.stat().st_size == 0:
            path.unlink()
            return True
    except OSError:
        pass
    return False


def written_by_suite(path: Path) -> bool:
    """True when `path` starts with the suite's marker line."""
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == MARKER
    except (OSError, UnicodeDecodeError):
        return False


def refuse_foreign(path: Path, option: str) -> None:
    """A UsageError when `path` exists and the suite did not write it."""
    if path.exists() and not written_by_suite(path):
        raise UsageError(
            f"{option}: {path} exists and was not written by accel-bench, and the results written beside "
            "the JSON would replace it; move it away or choose another --benchmark-json name"
        )


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a temporary beside `path`, then rename it over `path`: readers see old or new, never half."""
    temporary = owned_temp_file(path.parent, f".{path.name}")
    try:
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            temporary.write_text(data, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def table_file_text(table: str) -> str:
    """The markdown table as written to disk, behind the marker that lets the next run replace it."""
    return f"{MARKER}\n{table}"


def complete_benchmarks(benchmarks: list[dict]) -> list[dict]:
    """The rows whose record was finished: an interrupted row was timed partly and never recorded."""
    return [bench for bench in benchmarks if bench.get("extra_info", {}).get("latency_ms")]
