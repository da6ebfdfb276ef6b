"""Make the `tensorrt-stubs` wheel readable by mypy: copy its stubs with the few lines that are
not valid Python repaired, into the folder `mypy-tensorrt.ini` names in `mypy_path`.

The wheel (generated from the TensorRT 10.13 bindings) names parameters `in`, a keyword, and has a
signature with a required parameter after defaulted ones; mypy stops at the first syntax error and
checks nothing. Only the broken `def` lines change: `in` becomes `in_`, and a signature that still
does not parse takes `*args, **kwargs` (they are plugin and layer APIs the suite never calls).
It also uses `typing_extensions.Buffer` without importing `typing_extensions`, which would make
every buffer argument and result `Any`; the import is added.

    .venv/bin/python -m tests.fakes.trt_stub_repair [build/tensorrt-stubs]
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

STUB_PACKAGES = ("tensorrt", "tensorrt_bindings")
DEFAULT_DESTINATION = Path("build/tensorrt-stubs")
_KEYWORD_PARAMETER = re.compile(r"(?<=[(\s])in(?=: )")
_PARAMETERS = re.compile(r"\((.*)\)(?=\s*(->|:))")


def _parses(line: str) -> bool:
    try:
        ast.parse(line.strip() + " ...")
    except SyntaxError:
        return False
    return True


def repair_line(line: str) -> str:
    """One stub line, unchanged unless it is a `def` that does not parse."""
    if not line.lstrip().startswith("def ") or _parses(line):
        return line
    fixed = _KEYWORD_PARAMETER.sub("in_", line)
    if _parses(fixed):
        return fixed
    fixed = _PARAMETERS.sub("(self, *args: typing.Any, **kwargs: typing.Any)", fixed, count=1)
    if not _parses(fixed):
        raise ValueError(f"cannot repair stub line: {line.strip()}")
    return fixed


def add_missing_imports(text: str) -> str:
    """`import typing_extensions` after `import typing` where the stub uses it without importing it."""
    if "typing_extensions." not in text or "import typing_extensions" in text:
        return text
    return text.replace("\nimport typing\n", "\nimport typing\nimport typing_extensions\n", 1)


def stub_folder(package: str) -> Path:
    """Where the wheel installed `package`'s .pyi files (a namespace folder without py.typed)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package!r} stubs are not installed: pip install --no-deps tensorrt-stubs")
    for location in spec.submodule_search_locations:
        if (Path(location) / "__init__.pyi").is_file():
            return Path(location)
    raise ModuleNotFoundError(f"no {package}/__init__.pyi in {list(spec.submodule_search_locations)}")


def repair_stubs(destination: Path = DEFAULT_DESTINATION) -> list[str]:
    """Write the repaired stubs under `destination`; return the lines that were changed."""
    changed: list[str] = []
    for package in STUB_PACKAGES:
        source = stub_folder(package)
        target = destination / package
        target.mkdir(parents=True, exist_ok=True)
        for stub in sorted(source.glob("*.pyi")):
            lines = stub.read_text().splitlines(keepends=True)
            repaired = [repair_line(line) for line in lines]
            changed += [f"{package}/{stub.name}: {new.strip()}" for old, new in zip(lines, repaired) if old != new]
            (target / stub.name).write_text(add_missing_imports("".join(repaired)))
        (target / "py.typed").write_text("")
    return changed


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DESTINATION
    for line in repair_stubs(folder):
        print(f"repaired {line}")
    print(f"TensorRT stubs ready in {folder}")
