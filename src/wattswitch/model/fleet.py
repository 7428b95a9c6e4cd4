"""Hardware fleets: ASIC miner groups and GPU node groups, per-unit figures with units in names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.errors import ModelError
from wattswitch.model import checks


@dataclass(frozen=True)
class AsicMode:
    """An operating mode: hashrate and wall power as fractions of the unit's nameplate."""

    name: str
    hashrate_fraction: float
    power_fraction: float

    def __post_init__(self) -> None:
        checks.name("AsicMode", "name", self.name)
        checks.in_range(f"AsicMode {self.name}", "hashrate_fraction", self.hashrate_fraction, 0, 1.5)
        checks.in_range(f"AsicMode {self.name}", "power_fraction", self.power_fraction, 0, 1.5)


DEFAULT_ASIC_MODES = (
    AsicMode("normal", 1.0, 1.0),
    # Underclocked profile: LuxOS/Braiins-style eco presets trade ~30% hashrate for ~40% power.
    AsicMode("low-power", 0.7, 0.6),
    AsicMode("off", 0.0, 0.0),
)


ASIC_FIRMWARES = ("stock", "braiins")  # the power-response figures in the catalog


@dataclass(frozen=True)
class AsicGroup:
    """``count`` identical miners of one model in one cooling zone."""

    name: str
    model: str
    count: int
    hashrate_th_s: float
    power_w: float
    cooling_zone: str
    modes: tuple[AsicMode, ...] = DEFAULT_ASIC_MODES
    switchover_s: float = 120.0
    firmware: str = "stock"

    def __post_init__(self) -> None:
        owner = f"AsicGroup {self.name}"
        checks.name("AsicGroup", "name", self.name)
        checks.name(owner, "model", self.model)
        if not isinstance(self.count, int) or self.count < 1:
            raise ModelError(f"{owner}.count: must be a whole number ≥ 1, got {self.count!r}")
        checks.positive(owner, "hashrate_th_s", self.hashrate_th_s)
        checks.positive(owner, "power_w", self.power_w)
        checks.non_negative(owner, "switchover_s", self.switchover_s)
        if self.firmware not in ASIC_FIRMWARES:
            raise ModelError(
                f"{owner}.firmware: {self.firmware!r} is not one of {', '.join(ASIC_FIRMWARES)}"
            )
        if not self.modes:
            raise ModelError(f"{owner}.modes: at least one mode is needed")
        checks.unique(owner, "modes", [m.name for m in self.modes])

    @property
    def efficiency_j_per_th(self) -> float:
        """Joules per terahash at nameplate (= W per TH/s)."""
        return self.power_w / self.hashrate_th_s

    @property
    def nameplate_power_mw(self) -> float:
        """Wall power of the whole group at nameplate, MW."""
        return self.count * self.power_w / 1e6

    @property
    def nameplate_hashrate_ph_s(self) -> float:
        """Hashrate of the whole group at nameplate, PH/s."""
        return self.count * self.hashrate_th_s / 1000.0

    def mode(self, mode_name: str) -> AsicMode:
        """The mode of that name (clear error if unknown)."""
        for mode in self.modes:
            if mode.name == mode_name:
                return mode
        known = ", ".join(m.name for m in self.modes)
        raise ModelError(f"AsicGroup {self.name}: no mode {mode_name!r} (modes: {known})")


@dataclass(frozen=True)
class PowerCapPoint:
    """At ``power_fraction`` of its maximum power a GPU delivers ``throughput_fraction`` of its work."""

    power_fraction: float
    throughput_fraction: float


@dataclass(frozen=True)
class GpuNodeGroup:
    """``node_count`` identical GPU servers; busy power scales with the power cap."""

    name: str
    gpu_model: str
    node_count: int
    idle_node_power_w: float
    busy_node_power_w: float
    cooling_zone: str
    power_cap_curve: tuple[PowerCapPoint, ...]
    gpus_per_node: int = 8

    def __post_init__(self) -> None:
        owner = f"GpuNodeGroup {self.name}"
        checks.name("GpuNodeGroup", "name", self.name)
        checks.name(owner, "gpu_model", self.gpu_model)
        for field in ("node_count", "gpus_per_node"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ModelError(f"{owner}.{field}: must be a whole number ≥ 1, got {value!r}")
        checks.positive(owner, "busy_node_power_w", self.busy_node_power_w)
        checks.non_negative(owner, "idle_node_power_w", self.idle_node_power_w)
        if self.idle_node_power_w > self.busy_node_power_w:
            raise ModelError(f"{owner}.idle_node_power_w: exceeds busy_node_power_w")
        self._check_curve(owner)

    def _check_curve(self, owner: str) -> None:
        curve = self.power_cap_curve
        if len(curve) < 2:
            raise ModelError(f"{owner}.power_cap_curve: needs two or more points")
        powers = [p.power_fraction for p in curve]
        throughputs = [p.throughput_fraction for p in curve]
        if powers != sorted(set(powers)) or throughputs != sorted(throughputs):
            raise ModelError(
                f"{owner}.power_cap_curve: power and throughput fractions must both increase"
            )
        if powers[-1] != 1.0 or throughputs[-1] != 1.0:
            raise ModelError(f"{owner}.power_cap_curve: must end at power 1.0, throughput 1.0")
        if powers[0] <= 0 or throughputs[0] < 0:
            raise ModelError(f"{owner}.power_cap_curve: fractions must be positive")

    @property
    def gpu_count(self) -> int:
        """GPUs in the group."""
        return self.node_count * self.gpus_per_node

    @property
    def min_power_cap_fraction(self) -> float:
        """Lowest power cap the curve allows (fraction of busy power)."""
        return self.power_cap_curve[0].power_fraction

    @property
    def nameplate_power_mw(self) -> float:
        """IT power of the whole group with every node busy and uncapped, MW."""
        return self.node_count * self.busy_node_power_w / 1e6

    def throughput_fraction(self, power_fraction: float) -> float:
        """Work rate at a power cap (linear between the curve's points; 0 below its lowest)."""
        if power_fraction < self.min_power_cap_fraction:
            return 0.0
        curve = self.power_cap_curve
        x = min(power_fraction, 1.0)
        if x >= curve[-1].power_fraction:  # uncapped (the common case): no interpolation
            return curve[-1].throughput_fraction
        xs = [p.power_fraction for p in curve]
        ys = [p.throughput_fraction for p in curve]
        return float(np.interp(x, xs, ys))
