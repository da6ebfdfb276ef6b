"""Implicit INT8 calibration as TensorRT <= 10 runs it, and the calibrator base classes.

Order of calls: get_batch_size, read_calibration_cache (a cache whose header names this version
and algorithm is used instead of calibrating), then get_batch until it returns None or an empty
list, each batch read from the returned device pointers with the calibration profile's OPT shape,
then write_calibration_cache with the new cache. The cache is text: a header line, then one
`tensor: hex of the float32 scale` line per tensor."""

from __future__ import annotations

import struct

import numpy as np

from . import fake_cuda
from ._enums import CalibrationAlgoType, nptype
from ._version import packed, require_before_11
from .onnx_exec import run


class IInt8Calibrator:
    def __init__(self) -> None:
        require_before_11("IInt8Calibrator")
        self._base_initialised = True  # pybind11 refuses subclasses that skip the base __init__

    def get_algorithm(self) -> CalibrationAlgoType:
        return CalibrationAlgoType.ENTROPY_CALIBRATION_2

    def get_batch_size(self) -> int:
        raise RuntimeError('Tried to call pure virtual function "IInt8Calibrator::get_batch_size"')

    def get_batch(self, names: list[str]) -> list[int]:
        raise RuntimeError('Tried to call pure virtual function "IInt8Calibrator::get_batch"')

    def read_calibration_cache(self) -> bytes | None:
        return None

    def write_calibration_cache(self, cache: bytes) -> None:
        return None


class IInt8EntropyCalibrator2(IInt8Calibrator):
    def get_algorithm(self) -> CalibrationAlgoType:
        return CalibrationAlgoType.ENTROPY_CALIBRATION_2


class CalibrationFailure(RuntimeError):
    pass


def cache_header(calibrator: IInt8Calibrator) -> str:
    return f"TRT-{packed()}-{calibrator.get_algorithm().name.title().replace('_', '')}"


def _parse_cache(data: bytes, header: str) -> dict[str, float] | None:
    lines = bytes(data).decode(errors="replace").splitlines()
    if not lines or lines[0] != header:
        return None  # another version or algorithm: TensorRT recalibrates
    scales = {}
    for line in lines[1:]:
        name, _, value = line.rpartition(": ")
        scales[name] = struct.unpack(">f", bytes.fromhex(value))[0]
    return scales


def _dump_cache(header: str, scales: dict[str, float]) -> bytes:
    lines = [header] + [f"{name}: {struct.pack('>f', scale).hex()}" for name, scale in sorted(scales.items())]
    return ("\n".join(lines) + "\n").encode()


def calibrate(calibrator: object, network, shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, float], dict]:
    """Scales per network input and output, and a report of how they were obtained."""
    if not isinstance(calibrator, IInt8Calibrator) or not getattr(calibrator, "_base_initialised", False):
        raise CalibrationFailure(f"{calibrator!r} is not an initialised IInt8Calibrator (call the base __init__)")
    header = cache_header(calibrator)
    batch_size = calibrator.get_batch_size()
    cached = calibrator.read_calibration_cache()
    if cached:
        scales = _parse_cache(cached, header)
        if scales is not None:
            return scales, {"source": "cache", "batches": 0, "batch_size": batch_size}
    names = [tensor.name for tensor in network.inputs]
    amax: dict[str, float] = {}
    batches = 0
    while pointers := calibrator.get_batch(names):
        if len(pointers) != len(names):
            raise CalibrationFailure(f"get_batch returned {len(pointers)} pointers for inputs {names}")
        feeds = {tensor.name: fake_cuda.read(int(pointer), shapes[tensor.name], nptype(tensor.dtype))
                 for tensor, pointer in zip(network.inputs, pointers)}  # fmt: skip
        for name, value in {**feeds, **run(network.onnx_bytes, feeds)}.items():
            amax[name] = max(amax.get(name, 0.0), float(np.max(np.abs(value))))
        batches += 1
    if batches == 0:
        raise CalibrationFailure("Calibration failure occurred with no scaling factors detected (no batches)")
    scales = {name: float(np.float32(value / 127.0)) for name, value in amax.items()}  # as the cache stores them
    calibrator.write_calibration_cache(_dump_cache(header, scales))
    return scales, {"source": "batches", "batches": batches, "batch_size": batch_size}
