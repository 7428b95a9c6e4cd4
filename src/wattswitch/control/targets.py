"""From a policy's :class:`Decision` to a state for every miner and a GPU budget, under the cap.

Pure functions (no I/O): the live site reads equipment, calls these, then sends commands.
A decision's fractions become whole miners rounded *down* (never more power than decided),
miners keep their current state where the decision allows (fewest commands), and the plan is
trimmed until its conservatively estimated power fits the cap: ASICs least efficient first,
then the on-demand training budget (met by GPU caps and pauses, :mod:`control.gpu_half`).
Reserved tenants and inference are never part of a plan.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wattswitch.errors import ModelError
from wattswitch.model.equipment import CURTAILED_POWER_SHARE, MinerCommand, MinerIdentity, MinerTelemetry
from wattswitch.model.observation import Decision
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel

MinerState = Literal["mining", "low", "off"]
STATE_RANK: dict[MinerState, int] = {"off": 0, "low": 1, "mining": 2}
# A miner capped below this share of its nameplate counts as being in low-power mode.
LOW_MODE_SHARE_MAX = 0.95
EPSILON = 1e-9


@dataclass(frozen=True)
class MinerSlot:
    """A live miner placed in one of the scenario's ASIC groups (``pue``: its zone's facility factor)."""

    identity: MinerIdentity
    group: int
    pue: float


@dataclass(frozen=True)
class MinerTarget:
    """Where one miner should be: mining, low-power (at ``power_limit_w``) or off."""

    address: str
    state: MinerState
    power_limit_w: float | None = None


@dataclass(frozen=True)
class GpuBudget:
    """The GPU side's expected facility load: must-serve plus pool nodes, some of them training.

    ``demand_nodes``: nodes' worth of GPUs the preemptible jobs (running or paused) would draw
    uncapped; a budget above it is not drawn, so the plan counts only this much (the rest is
    headroom for miners). ``inf`` when unknown (Slurm unreadable: every node budgeted busy).
    """

    fixed_mw: float  # reserved tenants, inference, idle pool nodes: never commanded
    per_training_node_mw: float  # extra of a training node over an idle one (facility MW)
    cluster_nodes: int  # nodes preemptible jobs can use in the real cluster
    demand_nodes: float = math.inf

    def load_mw(self, training_nodes: float) -> float:
        """Expected GPU facility load with ``training_nodes`` nodes' worth training."""
        return self.fixed_mw + training_nodes * self.per_training_node_mw


@dataclass(frozen=True)
class SitePlan:
    """Target state of the site for one decision."""

    miner_targets: tuple[MinerTarget, ...]
    training_nodes: float  # real-cluster nodes' worth of on-demand training (the GPU half's budget)
    planned_mw: float
    cap_mw: float
    trimmed_mw: float  # how much the plan had to shed to fit the cap


def miner_state(telemetry: MinerTelemetry, identity: MinerIdentity) -> MinerState:
    """Judged from measured watts and hashrate (and the limit in force), not firmware flags."""
    if not telemetry.reachable or telemetry.curtailed(identity):
        return "off" if telemetry.reachable else "mining"  # unreachable: assume it still mines
    limit = telemetry.power_limit_w
    if limit is not None and limit < LOW_MODE_SHARE_MAX * identity.nameplate_power_w:
        return "low"
    return "mining"


def expected_w(slot: MinerSlot, state: MinerState, low_share: float, measured_w: float | None) -> float:
    """A conservative power estimate of a miner in a state (IT watts, before PUE)."""
    nameplate = slot.identity.nameplate_power_w
    if state == "mining":
        return nameplate
    if state == "low":
        return low_share * nameplate
    off_bound = CURTAILED_POWER_SHARE * nameplate
    return min(measured_w, off_bound) if measured_w is not None else off_bound


def plan_site(
    site: SiteModel,
    slots: Sequence[MinerSlot],
    now: Sequence[MinerTelemetry],
    decision: Decision,
    *,
    cap_mw: float,
    gpu: GpuBudget,
    margin_mw: float = 0.0,
) -> SitePlan:
    """Targets for every miner and the nodes' worth of training, estimated to fit ``cap_mw − margin``."""
    states = [miner_state(t, s.identity) for t, s in zip(now, slots, strict=True)]
    measured = {t.address: t.power_w for t in now if t.reachable}
    targets: dict[str, MinerState] = {}
    for g in range(site.asic_count):
        members = [i for i, s in enumerate(slots) if s.group == g]
        n = len(members)
        k_normal = math.floor(float(decision.asic_normal_fraction[g]) * n + EPSILON)
        k_low = min(n - k_normal, math.floor(float(decision.asic_low_fraction[g]) * n + EPSILON))
        if not site.asic_has_low_mode[g]:
            k_low = 0
        # keep states: miners mining now get the mining slots first, low ones the low slots
        ordered = sorted(members, key=lambda i: (-STATE_RANK[states[i]], slots[i].identity.address))
        for rank, i in enumerate(ordered):
            targets[slots[i].identity.address] = (
                "mining" if rank < k_normal else "low" if rank < k_normal + k_low else "off"
            )
    training = _training_nodes(decision.training_nodes, site, gpu)

    def miner_mw(address_state: dict[str, MinerState]) -> float:
        total = 0.0
        for s in slots:
            share = float(site.asic_low_power_fraction[s.group])
            total += (
                expected_w(s, address_state[s.identity.address], share, measured.get(s.identity.address))
                * s.pue
            )
        return total / 1e6

    limit_mw = cap_mw - margin_mw
    planned = miner_mw(targets) + gpu.load_mw(training)
    start_mw = planned
    if planned > limit_mw + EPSILON:
        planned, training = _trim(
            site,
            slots=slots,
            targets=targets,
            measured=measured,
            gpu=gpu,
            training=training,
            planned_mw=planned,
            limit_mw=limit_mw,
        )
    return SitePlan(
        miner_targets=tuple(
            MinerTarget(s.identity.address, targets[s.identity.address], _limit_w(site, s, targets))
            for s in slots
        ),
        training_nodes=training,
        planned_mw=planned,
        cap_mw=cap_mw,
        trimmed_mw=max(0.0, start_mw - planned),
    )


def _training_nodes(decided: float, site: SiteModel, gpu: GpuBudget) -> float:
    """Scenario training nodes → nodes' worth of the real cluster, as the same share of the pool
    (not rounded: GPU caps meet a fractional budget), at most what the jobs would draw."""
    if gpu.cluster_nodes == 0 or site.training_pool_nodes <= 0:
        return 0.0
    share = 1.0 if math.isinf(decided) else max(0.0, decided) / site.training_pool_nodes
    return max(0.0, min(float(gpu.cluster_nodes), share * gpu.cluster_nodes, gpu.demand_nodes))


def _limit_w(site: SiteModel, slot: MinerSlot, targets: dict[str, MinerState]) -> float | None:
    if targets[slot.identity.address] != "low":
        return None
    return float(site.asic_low_power_fraction[slot.group]) * slot.identity.nameplate_power_w


def _trim(
    site: SiteModel,
    *,
    slots: Sequence[MinerSlot],
    targets: dict[str, MinerState],
    measured: dict[str, float],
    gpu: GpuBudget,
    training: float,
    planned_mw: float,
    limit_mw: float,
) -> tuple[float, float]:
    """Step miners down (least efficient group first, low before mining), then the training budget."""
    by_group: dict[int, list[MinerSlot]] = {}
    for s in slots:
        by_group.setdefault(s.group, []).append(s)
    for g in np.asarray(site.shed_order).tolist():
        share = float(site.asic_low_power_fraction[g])
        for from_state in ("low", "mining"):
            for s in sorted(by_group.get(g, []), key=lambda x: x.identity.address, reverse=True):
                if planned_mw <= limit_mw + EPSILON:
                    return planned_mw, training
                address = s.identity.address
                if targets[address] != from_state:
                    continue
                before = expected_w(s, from_state, share, measured.get(address))
                after = expected_w(s, "off", share, measured.get(address))
                targets[address] = "off"
                planned_mw -= (before - after) * s.pue / 1e6
    if planned_mw > limit_mw + EPSILON and training > 0 and gpu.per_training_node_mw > 0:
        cut = min(training, (planned_mw - limit_mw) / gpu.per_training_node_mw)
        training -= cut  # GPU caps meet a fractional budget: cut exactly what does not fit
        planned_mw -= cut * gpu.per_training_node_mw
    return planned_mw, training


def commands_for(
    plan: SitePlan, slots: Sequence[MinerSlot], now: Sequence[MinerTelemetry]
) -> tuple[list[MinerCommand], list[MinerCommand]]:
    """Commands that move each miner from its measured state to its target: (reductions, increases).

    Miners already where they should be get no command (a re-applied decision sends nothing twice).
    """
    reductions: list[MinerCommand] = []
    increases: list[MinerCommand] = []
    targets = {t.address: t for t in plan.miner_targets}
    for s, telemetry in zip(slots, now, strict=True):
        target = targets[s.identity.address]
        state = miner_state(telemetry, s.identity)
        address = s.identity.address
        if target.state == state and not (state == "low" and _limit_differs(telemetry, target)):
            continue
        if target.state == "off":
            reductions.append(MinerCommand(address, "stop"))
        elif target.state == "low":
            assert target.power_limit_w is not None
            cap = MinerCommand(address, "power_limit", target.power_limit_w)
            if state == "mining":
                reductions.append(cap)
            else:  # off → low: set the limit first, then wake it up
                increases.extend((cap, MinerCommand(address, "resume")))
        elif state == "off":
            increases.append(MinerCommand(address, "resume"))
        else:  # low → mining
            increases.append(MinerCommand(address, "power_limit", s.identity.nameplate_power_w))
    return reductions, increases


def _limit_differs(telemetry: MinerTelemetry, target: MinerTarget) -> bool:
    if telemetry.power_limit_w is None or target.power_limit_w is None:
        return False
    return abs(telemetry.power_limit_w - target.power_limit_w) > 0.02 * target.power_limit_w


def make_slots(scenario: Scenario, members: dict[str, Sequence[MinerIdentity]]) -> list[MinerSlot]:
    """Place discovered miners in the scenario's ASIC groups (``members``: group name → its miners).

    A group name the scenario lacks is an error naming the choices.
    """
    index = {g.name: k for k, g in enumerate(scenario.asic_groups)}
    slots: list[MinerSlot] = []
    for name, identities in members.items():
        if name not in index:
            choices = ", ".join(index)
            raise ModelError(
                f"miner group {name!r} is not an ASIC group of the scenario; choose from {choices}"
            )
        group = scenario.asic_groups[index[name]]
        pue = scenario.site.zone(group.cooling_zone).pue
        slots.extend(MinerSlot(identity, index[name], pue) for identity in identities)
    return sorted(slots, key=lambda s: (s.group, _address_key(s.identity.address)))


def _address_key(address: str) -> tuple[int, int, str]:
    """Sort IP addresses numerically (10.0.0.2 before 10.0.0.10); names after them."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (1, 0, address)
    return (0, int(ip), address)
