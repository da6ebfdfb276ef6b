"""Builder, IBuilderConfig, IOptimizationProfile, ITimingCache and IHostMemory.

`build_serialized_network` checks what TensorRT checks before it builds and returns None (after
logging an error) when a check fails, as TensorRT does: precision flags on a strongly typed
network, a dynamic input without a profile, a profile that disagrees with the network, INT8
without a calibrator or Q/DQ nodes, a network whose parser (owner of its weights) is gone."""

from __future__ import annotations

import hashlib
import json

from . import _version, plan_format
from ._calibration import CalibrationFailure, calibrate
from ._enums import PRECISION_FLAGS, Dims, MemoryPoolType, nptype
from ._logger import ILogger
from ._network import INetworkDefinition
from .onnx_exec import output_shapes

DEVICE_NAME = "Fake GPU (onnxruntime CPU)"


class IHostMemory(bytes):
    @property
    def nbytes(self) -> int:
        return len(self)


class ITimingCache:
    MAGIC = b"FAKE-TRT-TIMING\n"

    def __init__(self, entries: dict[str, str] | None = None, device: str = DEVICE_NAME) -> None:
        self.entries = dict(entries or {})
        self.device = device

    def serialize(self) -> IHostMemory:
        return IHostMemory(self.MAGIC + json.dumps({"device": self.device, "entries": self.entries}).encode())

    def reset(self) -> bool:
        self.entries.clear()
        return True

    @classmethod
    def deserialize(cls, data: bytes) -> ITimingCache | None:
        if not data.startswith(cls.MAGIC):
            return None
        try:
            content = json.loads(data[len(cls.MAGIC) :])
        except ValueError:
            return None
        return cls(content["entries"], content["device"])


class IOptimizationProfile:
    def __init__(self) -> None:
        self.shapes: dict[str, tuple[Dims, Dims, Dims]] = {}

    def set_shape(self, input: str, min: object, opt: object, max: object) -> None:
        low, best, high = Dims(min), Dims(opt), Dims(max)
        if not len(low) == len(best) == len(high) or not all(a <= b <= c for a, b, c in zip(low, best, high)):
            raise ValueError(f"profile for {input!r} needs min <= opt <= max of one rank; got {low}, {best}, {high}")
        self.shapes[input] = (low, best, high)

    def get_shape(self, input: str) -> list[Dims]:
        return list(self.shapes[input])

    def __bool__(self) -> bool:
        return bool(self.shapes)


class IBuilderConfig:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger
        self.pools: dict[MemoryPoolType, int] = {}
        self.flags: set[str] = set()
        self.builder_optimization_level = 3
        self.profiles: list[IOptimizationProfile] = []
        self._timing_cache: ITimingCache | None = None
        self._calibrator: object | None = None
        self._calibration_profile: IOptimizationProfile | None = None

    def set_memory_pool_limit(self, pool: MemoryPoolType, pool_size: int) -> None:
        if pool_size < 0:
            raise ValueError(f"pool size must be >= 0; got {pool_size}")
        self.pools[MemoryPoolType(pool)] = int(pool_size)

    def get_memory_pool_limit(self, pool: MemoryPoolType) -> int:
        return self.pools.get(MemoryPoolType(pool), 0)

    def set_flag(self, flag: object) -> None:
        from . import BuilderFlag

        if not isinstance(flag, BuilderFlag):
            raise TypeError(f"set_flag takes a BuilderFlag of TensorRT {_version.current()}; got {flag!r}")
        self.flags.add(flag.name)

    def get_flag(self, flag: object) -> bool:
        return getattr(flag, "name", None) in self.flags

    def create_timing_cache(self, serialized_timing_cache: bytes) -> ITimingCache | None:
        """An empty cache for b""; the cache in the bytes; None (error logged) for bytes it cannot read."""
        data = bytes(serialized_timing_cache)
        if not data:
            return ITimingCache()
        cache = ITimingCache.deserialize(data)
        if cache is None:
            self.logger.log(ILogger.Severity.ERROR, "Error Code 1: Serialization (timing cache magic tag does not match)")
        return cache

    def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
        if not isinstance(cache, ITimingCache):
            raise TypeError(f"set_timing_cache takes an ITimingCache; got {cache!r}")
        if cache.device != DEVICE_NAME and not ignore_mismatch:
            self.logger.log(ILogger.Severity.ERROR, f"timing cache was made on {cache.device!r}, this is {DEVICE_NAME!r}")
            return False
        self._timing_cache = cache
        return True

    def get_timing_cache(self) -> ITimingCache | None:
        return self._timing_cache

    def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
        if not profile:
            self.logger.log(ILogger.Severity.ERROR, "optimization profile has no shapes")
            return -1
        self.profiles.append(profile)
        return len(self.profiles) - 1

    @property
    def int8_calibrator(self) -> object | None:
        _version.require_before_11("IBuilderConfig.int8_calibrator")
        return self._calibrator

    @int8_calibrator.setter
    def int8_calibrator(self, calibrator: object) -> None:
        _version.require_before_11("IBuilderConfig.int8_calibrator")
        self._calibrator = calibrator

    def set_calibration_profile(self, profile: IOptimizationProfile) -> bool:
        _version.require_before_11("IBuilderConfig.set_calibration_profile")
        if not profile:
            return False
        self._calibration_profile = profile
        return True


class BuildFailure(RuntimeError):
    pass


def _check_profiles(network: INetworkDefinition, config: IBuilderConfig) -> IOptimizationProfile:
    dynamic = [tensor for tensor in network.inputs if -1 in tensor.shape]
    if dynamic and not config.profiles:
        raise BuildFailure(f"network has dynamic inputs {[t.name for t in dynamic]} but no optimization profile")
    names = {tensor.name: tensor for tensor in network.inputs}
    for profile in config.profiles:
        for name, (low, best, high) in profile.shapes.items():
            if name not in names:
                raise BuildFailure(f"optimization profile names {name!r}, which is not a network input ({sorted(names)})")
            declared = names[name].shape
            for dims in (low, best, high):
                if len(dims) != len(declared) or any(d != -1 and d != v for d, v in zip(declared, dims)):
                    raise BuildFailure(f"profile {low}..{high} for {name!r} does not fit its dimensions {declared}")
        missing = [tensor.name for tensor in dynamic if tensor.name not in profile.shapes]
        if missing:
            raise BuildFailure(f"optimization profile has no shape for dynamic inputs {missing}")
    return config.profiles[0]


def _timing(network: INetworkDefinition, shapes: dict, config: IBuilderConfig, level: int) -> dict[str, int]:
    """Look each layer's tactic up in the attached timing cache, adding what was missing."""
    cache = config.get_timing_cache() or ITimingCache()
    digest = hashlib.sha256(repr(sorted(shapes.items())).encode()).hexdigest()[:16]
    keys = [f"{layer}@{digest}" for layer in network.layers]
    hits = sum(key in cache.entries for key in keys)
    cache.entries.update({key: f"tactic-{level}" for key in keys})
    return {"hits": hits, "misses": len(keys) - hits}


def build(network: INetworkDefinition, config: IBuilderConfig) -> bytes:
    """The serialized engine, or BuildFailure with TensorRT's reason."""
    if network.onnx_bytes is None:
        raise BuildFailure("network is empty (nothing was parsed into it)")
    if not network.weights_alive:
        raise BuildFailure("network weights were freed with their OnnxParser (keep the parser until the build)")
    precision = sorted(config.flags & set(PRECISION_FLAGS))
    if network.strongly_typed and precision:
        raise BuildFailure(f"BuilderFlag {precision} cannot be used with a strongly typed network")
    profile = _check_profiles(network, config)
    shapes = {name: list(best) for name, (_, best, _) in profile.shapes.items()}
    calibration: dict = {}
    if "INT8" in config.flags and not network.has_qdq:
        if config._calibrator is None:
            raise BuildFailure("INT8 is set but there is no calibrator and no Q/DQ node to give scales")
        calibration_profile = config._calibration_profile or profile
        opt = {name: tuple(best) for name, (_, best, _) in calibration_profile.shapes.items()}
        try:
            scales, report = calibrate(config._calibrator, network, opt)
        except CalibrationFailure as exc:
            raise BuildFailure(str(exc)) from None
        calibration = {"scales": scales, **report}
    io_types = {tensor.name: (tuple(shapes[tensor.name]), nptype(tensor.dtype)) for tensor in network.inputs}
    outputs = output_shapes(network.onnx_bytes, io_types)
    header = {
        "version": _version.current(), "strongly_typed": network.strongly_typed, "flags": sorted(config.flags),
        "workspace_bytes": config.get_memory_pool_limit(MemoryPoolType.WORKSPACE),
        "optimization_level": config.builder_optimization_level,
        "profiles": [{name: [list(d) for d in dims] for name, dims in p.shapes.items()} for p in config.profiles],
        "inputs": [{"name": t.name, "dtype": int(t.dtype), "shape": list(t.shape)} for t in network.inputs],
        "outputs": [{"name": t.name, "dtype": int(t.dtype), "shape": list(t.shape), "opt_shape": list(outputs[t.name])}
                    for t in network.outputs],
        "calibration": calibration, "timing": _timing(network, shapes, config, config.builder_optimization_level),
    }  # fmt: skip
    return plan_format.dump(header, network.onnx_bytes)


class Builder:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger

    def create_network(self, flags: int = 0) -> INetworkDefinition:
        return INetworkDefinition(flags)

    def create_builder_config(self) -> IBuilderConfig:
        return IBuilderConfig(self.logger)

    def create_optimization_profile(self) -> IOptimizationProfile:
        return IOptimizationProfile()

    def build_serialized_network(self, network: INetworkDefinition, config: IBuilderConfig) -> IHostMemory | None:
        """The serialized engine, or None after logging why not (TensorRT does not raise)."""
        try:
            return IHostMemory(build(network, config))
        except BuildFailure as exc:
            self.logger.log(ILogger.Severity.ERROR, f"IBuilder::buildSerializedNetwork: {exc}")
            return None
