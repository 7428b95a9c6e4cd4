"""A Scenario binds a site, its contracts, fleets, tenants and workloads to a horizon and a step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from wattswitch.errors import ModelError
from wattswitch.model import checks, scenario_bounds
from wattswitch.model.contracts import PowerContract
from wattswitch.model.fleet import AsicGroup, GpuNodeGroup
from wattswitch.model.grid import DemandResponseEvent
from wattswitch.model.site import Site
from wattswitch.model.synthetic import SyntheticSpec
from wattswitch.model.tenants import Tenant
from wattswitch.model.workloads import InferenceService, TrainingQueue

ALLOWED_STEPS_S = (300, 900)
AI_SIMULATIONS = ("fluid", "job-level")


@dataclass(frozen=True)
class SignalSources:
    """Where the scenario's signals come from: a file path each, or None for the seeded generator."""

    prices_file: str | None = None
    hub: str | None = None
    day_ahead_prices_file: str | None = None
    bitcoin_file: str | None = None
    grid_load_file: str | None = None
    jobs_file: str | None = None
    inference_file: str | None = None
    synthetic: SyntheticSpec = field(default_factory=SyntheticSpec)


@dataclass(frozen=True)
class Scenario:
    """Everything a simulation needs, checked for consistency on construction."""

    name: str
    description: str
    site: Site
    contract: PowerContract
    asic_groups: tuple[AsicGroup, ...]
    gpu_groups: tuple[GpuNodeGroup, ...]
    start_utc: datetime
    end_utc: datetime
    step_s: int = 900
    tenants: tuple[Tenant, ...] = ()
    training_queue: TrainingQueue | None = None
    inference_services: tuple[InferenceService, ...] = ()
    demand_response_events: tuple[DemandResponseEvent, ...] = ()
    signals: SignalSources = field(default_factory=SignalSources)
    ai_simulation: str = "fluid"

    def __post_init__(self) -> None:
        checks.name("Scenario", "name", self.name)
        if self.ai_simulation not in AI_SIMULATIONS:
            raise ModelError(
                f"Scenario {self.name}.ai_simulation: {self.ai_simulation!r} is not one of "
                f"{', '.join(AI_SIMULATIONS)} (fluid: AI as node-hours and load fractions; job-level: "
                "the job scheduler, the inference autoscaler and mining on one clock)"
            )
        self._check_horizon()
        self._check_references()
        scenario_bounds.check(self)

    def _check_horizon(self) -> None:
        owner = f"Scenario {self.name}"
        for label in ("start_utc", "end_utc"):
            if getattr(self, label).tzinfo is None:
                raise ModelError(f"{owner}.{label}: needs a time zone (write ...Z for UTC)")
        if self.step_s not in ALLOWED_STEPS_S:
            raise ModelError(f"{owner}.step_s: must be 300 or 900 (5 or 15 min), got {self.step_s}")
        horizon_s = (self.end_utc - self.start_utc).total_seconds()
        if horizon_s <= 0:
            raise ModelError(f"{owner}.end_utc: must be after start_utc")
        if horizon_s % self.step_s:
            raise ModelError(f"{owner}.end_utc: the horizon must be a whole number of steps")

    def _check_references(self) -> None:
        owner = f"Scenario {self.name}"
        checks.unique(owner, "asic_groups", [g.name for g in self.asic_groups])
        checks.unique(owner, "gpu_groups", [g.name for g in self.gpu_groups])
        checks.unique(owner, "tenants", [t.name for t in self.tenants])
        for zone_name in [g.cooling_zone for g in self.asic_groups] + [
            g.cooling_zone for g in self.gpu_groups
        ]:
            self.site.zone(zone_name)
        reserved: dict[str, int] = {}
        for tenant in self.tenants:
            for reservation in tenant.reservations:
                gpu_group = self.gpu_group(reservation.gpu_group)
                reserved[gpu_group.name] = reserved.get(gpu_group.name, 0) + reservation.node_count
        for group_name, nodes in reserved.items():
            if nodes > self.gpu_group(group_name).node_count:
                raise ModelError(
                    f"{owner}.tenants: {nodes} nodes reserved on {group_name!r}, "
                    f"which has only {self.gpu_group(group_name).node_count}"
                )
        if self.training_queue is not None:
            self.gpu_group(self.training_queue.gpu_group)
        for service in self.inference_services:
            self.gpu_group(service.gpu_group)

    def gpu_group(self, group_name: str) -> GpuNodeGroup:
        """The GPU node group of that name (clear error if unknown)."""
        for group in self.gpu_groups:
            if group.name == group_name:
                return group
        known = ", ".join(g.name for g in self.gpu_groups) or "none"
        raise ModelError(f"Scenario {self.name}: no GPU group {group_name!r} (groups: {known})")

    @property
    def periods(self) -> int:
        """Number of steps in the horizon."""
        return int((self.end_utc - self.start_utc).total_seconds() // self.step_s)

    @property
    def asic_nameplate_mw(self) -> float:
        """Wall power of every ASIC at nameplate, before cooling."""
        return sum(g.nameplate_power_mw for g in self.asic_groups)

    @property
    def gpu_nameplate_mw(self) -> float:
        """IT power of every GPU node busy and uncapped, before cooling."""
        return sum(g.nameplate_power_mw for g in self.gpu_groups)

    @property
    def facility_nameplate_mw(self) -> float:
        """Site draw with everything on at nameplate, cooling overhead (PUE) included."""
        groups: tuple[AsicGroup | GpuNodeGroup, ...] = (*self.asic_groups, *self.gpu_groups)
        return sum(g.nameplate_power_mw * self.site.zone(g.cooling_zone).pue for g in groups)
