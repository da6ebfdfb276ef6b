"""The offload latency budget of the seed documents (tools/latency_budget.py):

    T_total = T_pre + T_copy_to_accel + T_compute_accel + T_copy_back + T_post

with the copies set by the link: a UART moves one byte in (1 start + 8 data + 1 stop) bit times, and
every message carries the frame overhead (start byte, command, sequence number, length, checksum).
The Amdahl bound compares T_total with the time the host alone needs for the same work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from accel.errors import UsageError
from accel.fpga.link import INFER_REPLY_BYTES, INPUT_BYTES, START_STOP_BITS, frame_bytes

UART_BAUDS = (115_200, 230_400, 460_800, 921_600, 3_000_000, 12_000_000)
PCIE_LINKS = {"PCIe Gen3 x4 (~3.5 GB/s)": 3.5e9, "PCIe Gen4 x8 (~14 GB/s)": 14e9}
REQUEST_PAYLOAD = INPUT_BYTES
REPLY_PAYLOAD = INFER_REPLY_BYTES


def check_positive(option: str, value: float | None) -> None:
    """A rate, clock, count or host time: finite and > 0 (None: the option was not given)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"`{option}` must be a finite number > 0; got {value:g}")


def check_non_negative(option: str, value: float) -> None:
    """A pre- or post-processing time: finite and >= 0."""
    if not (math.isfinite(value) and value >= 0):
        raise UsageError(f"`{option}` must be a finite number >= 0; got {value:g}")


@dataclass(frozen=True)
class Link:
    """A link as bytes per second plus a fixed per-message latency."""

    name: str
    bytes_per_s: float
    per_message_s: float = 0.0

    @classmethod
    def uart(cls, baud: int) -> Link:
        if baud <= 0:
            raise UsageError(f"`--baud` must be positive; got {baud}")
        return cls(f"UART {baud} baud", baud / (8 + START_STOP_BITS))

    def transfer_s(self, payload_bytes: int) -> float:
        return self.per_message_s + frame_bytes(payload_bytes) / self.bytes_per_s


@dataclass(frozen=True)
class Budget:
    pre_s: float
    copy_to_s: float
    compute_s: float
    copy_back_s: float
    post_s: float

    @property
    def total_s(self) -> float:
        return self.pre_s + self.copy_to_s + self.compute_s + self.copy_back_s + self.post_s

    def speedup_vs(self, host_s: float) -> float:
        """How much faster (>1) or slower (<1) than doing pre + compute + post on the host."""
        return host_s / self.total_s


def offload_budget(link: Link, accel_cycles: int, clock_hz: float, pre_s: float = 0.0, post_s: float = 0.0,
                   request_payload: int = REQUEST_PAYLOAD, reply_payload: int = REPLY_PAYLOAD) -> Budget:  # fmt: skip
    if clock_hz <= 0:
        raise UsageError(f"`--clock-mhz` must be positive; got {clock_hz / 1e6}")
    return Budget(pre_s, link.transfer_s(request_payload), accel_cycles / clock_hz, link.transfer_s(reply_payload), post_s)


def amdahl_bound(offloaded_fraction: float, accel_speedup: float) -> float:
    """Classic Amdahl: overall speedup when `offloaded_fraction` of the time runs `accel_speedup` x faster."""
    if not 0 <= offloaded_fraction <= 1 or accel_speedup <= 0:
        raise UsageError("offloaded fraction must be in [0, 1] and the accelerator speedup positive")
    return 1.0 / ((1 - offloaded_fraction) + offloaded_fraction / accel_speedup)


def sweep(links: Sequence[Link], accel_cycles: int, clock_hz: float, host_compute_s: float, pre_s: float, post_s: float) -> list[dict]:
    """One row per link: the budget's terms and the speedup against the host doing the compute."""
    rows = []
    for link in links:
        budget = offload_budget(link, accel_cycles, clock_hz, pre_s, post_s)
        rows.append({
            "link": link.name, "bytes_per_s": link.bytes_per_s, "copy_to_ms": budget.copy_to_s * 1e3,
            "compute_ms": budget.compute_s * 1e3, "copy_back_ms": budget.copy_back_s * 1e3, "total_ms": budget.total_s * 1e3,
            "speedup": budget.speedup_vs(pre_s + host_compute_s + post_s),
        })  # fmt: skip
    return rows


def default_links() -> list[Link]:
    return [Link.uart(baud) for baud in UART_BAUDS] + [Link(name, rate, 1e-6) for name, rate in PCIE_LINKS.items()]


def markdown(rows: Sequence[dict], host_compute_s: float) -> str:
    lines = [f"host compute for comparison: {host_compute_s * 1e3:.4f} ms",
             "| link | to FPGA (ms) | compute (ms) | back (ms) | total (ms) | speedup vs host |", "|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        lines.append(f"| {row['link']} | {row['copy_to_ms']:.4f} | {row['compute_ms']:.4f} | {row['copy_back_ms']:.4f} | "
                     f"{row['total_ms']:.4f} | {row['speedup']:.4g} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[dict], path: str) -> None:
    """Speedup vs link bandwidth (log-log), with the break-even line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.loglog([r["bytes_per_s"] for r in rows], [r["speedup"] for r in rows], "o-")
    for row in rows:
        axes.annotate(row["link"].replace(" baud", ""), (row["bytes_per_s"], row["speedup"]), fontsize=7, rotation=20)
    axes.axhline(1.0, color="grey", linestyle="--", label="break-even")
    axes.set_xlabel("link bandwidth (bytes/s)")
    axes.set_ylabel("speedup vs host (x)")
    axes.set_title("INT8 MLP offload: speedup bound vs link")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
