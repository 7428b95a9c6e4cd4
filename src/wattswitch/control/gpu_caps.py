"""GPU power caps of a cluster, node by node: NVML where a node's GPUs are reachable through it,
modelled in memory otherwise (and said so).

A cap is handled as a fraction of the GPU's highest allowed limit (its full power), clamped by
the adapter to the GPU's allowed range. NVML sees only the GPUs of the host it runs on, so a node
is capped only when an adapter is given for it (:func:`wiring.gpu_caps_by_node` gives the
controller's own host its NVML adapter; tests and demos give modelled ones for modelled GPUs).
A node without one has real GPUs out of reach: it gets a modelled adapter that stays at full
power, and its :meth:`ClusterCaps.floor` is 1.0, so the GPU half meets the budget by pausing.
"""

from __future__ import annotations

from collections.abc import Mapping

from wattswitch.control.nvml import ModelledPowerCaps
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuPowerCaps

CAP_TOLERANCE = 1e-3  # cap fractions closer than this count as equal (NVML rounds to milliwatts)


class ClusterCaps:
    """The power-cap adapter of every node (a modelled one, made on first use, where none is given)."""

    def __init__(
        self, adapters: Mapping[str, GpuPowerCaps] | None, *, modelled_gpu_w: float, min_fraction: float
    ) -> None:
        self._adapters: dict[str, GpuPowerCaps] = dict(adapters or {})
        self._out_of_reach: set[str] = set()
        self._modelled_gpu_w = modelled_gpu_w
        self._min_fraction = min_fraction

    def of(self, node: str, gpu_count: int) -> GpuPowerCaps:
        """The node's adapter; a modelled one of ``gpu_count`` GPUs at full power when none is given."""
        found = self._adapters.get(node)
        if found is None:
            top = self._modelled_gpu_w
            found = ModelledPowerCaps(
                gpu_count, top, self._min_fraction * top, top, reason=f"no NVML adapter for node {node}"
            )
            self._adapters[node] = found
            self._out_of_reach.add(node)
        return found

    def real_nodes(self) -> list[str]:
        """Nodes whose caps are applied to real GPUs."""
        return sorted(n for n, a in self._adapters.items() if not a.modelled)

    def fraction(self, node: str, gpu_count: int) -> float:
        """The node's cap in force as a fraction of full power (the mean over its GPUs)."""
        caps = self.of(node, gpu_count)
        readings = caps.read()
        if not readings:
            return 1.0
        shares = [r.power_cap_w / max(caps.limits_w(r.index)[1], 1e-9) for r in readings]
        return min(1.0, sum(shares) / len(shares))

    def floor(self, node: str, gpu_count: int) -> float:
        """The lowest cap fraction every GPU of the node accepts (1.0 out of an adapter's reach)."""
        caps = self.of(node, gpu_count)
        if node in self._out_of_reach:
            return 1.0
        shares = [low / max(high, 1e-9) for low, high in (caps.limits_w(r.index) for r in caps.read())]
        return max(shares, default=0.0)

    def measured_share(self, node: str, gpu_count: int) -> float | None:
        """Real GPUs only: their summed draw in units of one GPU at full power (None when modelled)."""
        caps = self.of(node, gpu_count)
        if caps.modelled:
            return None
        return sum(r.power_w / max(caps.limits_w(r.index)[1], 1e-9) for r in caps.read())

    def set_fraction(self, node: str, gpu_count: int, fraction: float) -> list[str]:
        """Cap every GPU of the node at ``fraction`` of its full power; returns the failures."""
        caps = self.of(node, gpu_count)
        errors: list[str] = []
        for reading in caps.read():
            try:
                caps.set_cap_w(reading.index, fraction * caps.limits_w(reading.index)[1])
            except EquipmentError as err:
                errors.append(f"cap {node} GPU {reading.index}: {err}")
        return errors
