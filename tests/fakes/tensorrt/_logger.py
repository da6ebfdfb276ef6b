"""trt.Logger: keeps every message (tests read them) and prints those at or above its severity."""

from __future__ import annotations

import sys
from enum import IntEnum


class ILogger:
    class Severity(IntEnum):
        INTERNAL_ERROR = 0
        ERROR = 1
        WARNING = 2
        INFO = 3
        VERBOSE = 4

    INTERNAL_ERROR = Severity.INTERNAL_ERROR
    ERROR = Severity.ERROR
    WARNING = Severity.WARNING
    INFO = Severity.INFO
    VERBOSE = Severity.VERBOSE

    def log(self, severity: ILogger.Severity, msg: str) -> None:
        raise NotImplementedError


class Logger(ILogger):
    def __init__(self, min_severity: ILogger.Severity = ILogger.Severity.WARNING) -> None:
        self.min_severity = min_severity
        self.messages: list[tuple[ILogger.Severity, str]] = []

    def log(self, severity: ILogger.Severity, msg: str) -> None:
        self.messages.append((severity, msg))
        if severity <= self.min_severity:
            print(f"[TRT] [{severity.name[0]}] {msg}", file=sys.stderr)

    def errors(self) -> list[str]:
        """Fake-only: the ERROR and INTERNAL_ERROR messages so far."""
        return [msg for severity, msg in self.messages if severity <= ILogger.Severity.ERROR]
