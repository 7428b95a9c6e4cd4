"""GPU power caps: NVML (``pynvml``, package nvidia-ml-py) where a driver and GPUs exist, otherwise
modelled in memory and said so (:attr:`NvmlPowerCaps.modelled`, :meth:`NvmlPowerCaps.describe`).

NVML speaks milliwatts; these classes speak watts. A requested cap is clamped to the GPU's
allowed range (``nvmlDeviceGetPowerManagementLimitConstraints``); setting it needs root.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import threading
from types import ModuleType, TracebackType
from typing import Any

from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuPowerReading


def _checked_cap_w(power_cap_w: float, who: str) -> float:
    if not math.isfinite(power_cap_w) or power_cap_w < 0:
        raise EquipmentError(f"{who}: power cap {power_cap_w!r} W is not a finite, non-negative number")
    return power_cap_w


class ModelledPowerCaps:
    """``gpu_count`` GPUs whose caps live only in memory, clamped to ``[min_w, max_w]``.

    A modelled GPU is taken to draw its cap (busy GPUs run at their power limit).
    """

    def __init__(
        self,
        gpu_count: int,
        default_cap_w: float,
        min_w: float,
        max_w: float,
        reason: str = "no GPU adapter configured",
    ) -> None:
        if gpu_count < 0:
            raise ValueError(f"gpu_count must be >= 0, got {gpu_count}")
        if not (0 <= min_w <= default_cap_w <= max_w):
            raise ValueError(
                f"need 0 <= min_w <= default_cap_w <= max_w, got {min_w}, {default_cap_w}, {max_w}"
            )
        self.min_w = float(min_w)
        self.max_w = float(max_w)
        self.reason = reason
        self._caps_w = [float(default_cap_w)] * gpu_count
        self._lock = threading.Lock()

    @property
    def modelled(self) -> bool:
        return True

    def describe(self) -> str:
        return (
            f"{len(self._caps_w)} modelled GPUs ({self.min_w:g}-{self.max_w:g} W) ({self.reason}): "
            "GPU power caps are modelled, not applied"
        )

    def read(self) -> list[GpuPowerReading]:
        with self._lock:
            return [GpuPowerReading(i, cap, cap) for i, cap in enumerate(self._caps_w)]

    def limits_w(self, index: int) -> tuple[float, float]:
        with self._lock:
            if not 0 <= index < len(self._caps_w):
                raise EquipmentError(f"modelled GPU {index}: no such GPU (there are {len(self._caps_w)})")
        return self.min_w, self.max_w

    def set_cap_w(self, index: int, power_cap_w: float) -> None:
        _checked_cap_w(power_cap_w, f"modelled GPU {index}")
        with self._lock:
            if not 0 <= index < len(self._caps_w):
                raise EquipmentError(f"modelled GPU {index}: no such GPU (there are {len(self._caps_w)})")
            self._caps_w[index] = float(min(self.max_w, max(self.min_w, power_cap_w)))


class NvmlPowerCaps:
    """:class:`~wattswitch.model.equipment.GpuPowerCaps` through NVML.

    When ``nvmlInit`` fails (no driver, no GPU) the caps are modelled by ``fallback`` (by default
    no GPUs at all) and :attr:`modelled` is True; :meth:`describe` says why. ``nvml`` is the
    ``pynvml`` module (injectable for tests). Call :meth:`close` (or use ``with``) when done.
    """

    def __init__(self, fallback: ModelledPowerCaps | None = None, nvml: ModuleType | None = None) -> None:
        self._nvml: Any = nvml if nvml is not None else importlib.import_module("pynvml")
        self._initialised = False
        self._handles: list[Any] = []
        self._fallback: ModelledPowerCaps | None = None
        self._driver = ""
        self._reason = ""
        try:
            self._nvml.nvmlInit()
            self._initialised = True
            count = int(self._nvml.nvmlDeviceGetCount())
            self._handles = [self._nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self._driver = _text(self._nvml.nvmlSystemGetDriverVersion())
        except self._nvml.NVMLError as exc:
            self.close()
            self._modelled_because(f"no NVIDIA driver/GPU found ({exc})", fallback)
        else:
            if not self._handles:
                self.close()
                self._modelled_because("no NVIDIA driver/GPU found (NVML reports 0 GPUs)", fallback)

    def _modelled_because(self, reason: str, fallback: ModelledPowerCaps | None) -> None:
        self._reason = reason
        self._fallback = fallback if fallback is not None else ModelledPowerCaps(0, 0.0, 0.0, 0.0)

    # - lifecycle -

    def close(self) -> None:
        """Shut NVML down (idempotent)."""
        if self._initialised:
            self._initialised = False
            with contextlib.suppress(self._nvml.NVMLError):
                self._nvml.nvmlShutdown()

    def __enter__(self) -> NvmlPowerCaps:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # - GpuPowerCaps -

    @property
    def modelled(self) -> bool:
        return self._fallback is not None

    def describe(self) -> str:
        if self._fallback is not None:
            count = len(self._fallback.read())
            return f"{self._reason}: GPU power caps are modelled, not applied ({count} modelled GPUs)"
        return f"NVML: {len(self._handles)} NVIDIA GPUs (driver {self._driver}): GPU power caps are applied"

    def read(self) -> list[GpuPowerReading]:
        if self._fallback is not None:
            return self._fallback.read()
        readings: list[GpuPowerReading] = []
        for index, handle in enumerate(self._handles):
            power_mw = self._call(index, "nvmlDeviceGetPowerUsage", handle)
            cap_mw = self._call(index, "nvmlDeviceGetPowerManagementLimit", handle)
            readings.append(GpuPowerReading(index, power_mw / 1000.0, cap_mw / 1000.0))
        return readings

    def limits_w(self, index: int) -> tuple[float, float]:
        if self._fallback is not None:
            return self._fallback.limits_w(index)
        if not 0 <= index < len(self._handles):
            raise EquipmentError(f"NVML GPU {index}: no such GPU (there are {len(self._handles)})")
        handle = self._handles[index]
        min_mw, max_mw = self._call(index, "nvmlDeviceGetPowerManagementLimitConstraints", handle)
        return min_mw / 1000.0, max_mw / 1000.0

    def set_cap_w(self, index: int, power_cap_w: float) -> None:
        if self._fallback is not None:
            self._fallback.set_cap_w(index, power_cap_w)
            return
        _checked_cap_w(power_cap_w, f"NVML GPU {index}")
        if not 0 <= index < len(self._handles):
            raise EquipmentError(f"NVML GPU {index}: no such GPU (there are {len(self._handles)})")
        handle = self._handles[index]
        min_mw, max_mw = self._call(index, "nvmlDeviceGetPowerManagementLimitConstraints", handle)
        cap_mw = int(min(max_mw, max(min_mw, round(power_cap_w * 1000.0))))
        self._call(index, "nvmlDeviceSetPowerManagementLimit", handle, cap_mw)

    def _call(self, index: int, name: str, *args: Any) -> Any:
        try:
            return getattr(self._nvml, name)(*args)
        except self._nvml.NVMLError as exc:
            hint = " (setting a power limit needs root)" if "Permission" in str(exc) else ""
            raise EquipmentError(f"NVML GPU {index}: {name} failed: {exc}{hint}") from exc


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
