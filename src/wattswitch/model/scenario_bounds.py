"""What no real site can be: a scenario past these bounds is refused wherever it is built.

``Scenario.__post_init__`` calls :func:`check`, so ``scenario check``, ``--scenario`` files, the
API's ``POST /scenarios`` and every ``dataclasses.replace`` share one validation. Each error names
the scenario key and what would make it possible. The sizes are sanity bounds, not world figures:
the largest campuses announced are a few GW, so 10 GW or millions of machines in one group is a
typo (``1e12`` ASICs once "earned" billions in two days).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattswitch.errors import ModelError

if TYPE_CHECKING:
    from wattswitch.model.scenario import Scenario

MAX_INTERCONNECT_MW = 10_000.0
MAX_ASICS_PER_GROUP = 5_000_000  # 10 GW of 2-kW miners
MAX_GPU_NODES_PER_GROUP = 1_000_000  # 10 GW of 10-kW nodes
FIRST_YEAR, LAST_YEAR = 1990, 2099  # the loaders refuse times outside them too: a year 9999 is a typo
MAX_HORIZON_DAYS = 3653  # ten years of 5-min steps is already a million intervals


def check(scenario: Scenario) -> None:
    """Raise ModelError naming the first key that makes the scenario impossible."""
    owner = f"Scenario {scenario.name}"
    for key in ("start_utc", "end_utc"):
        when = getattr(scenario, key)
        if not FIRST_YEAR <= when.year <= LAST_YEAR:
            raise ModelError(f"{owner}.{key}: the year {when.year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    days = (scenario.end_utc - scenario.start_utc).total_seconds() / 86400
    if days > MAX_HORIZON_DAYS:
        raise ModelError(
            f"{owner}.end_utc: a horizon of {days:,.0f} days (at most {MAX_HORIZON_DAYS:,}, ten years); "
            "split the study into shorter runs"
        )
    limit_mw = scenario.site.interconnect_limit_mw
    if limit_mw > MAX_INTERCONNECT_MW:
        raise ModelError(
            f"{owner}.site.interconnect_limit_mw: {limit_mw:g} MW is beyond any site "
            f"(at most {MAX_INTERCONNECT_MW:,.0f} MW)"
        )
    for i, group in enumerate(scenario.asic_groups):
        if group.count > MAX_ASICS_PER_GROUP:
            raise ModelError(
                f"{owner}.asic_groups[{i}].count: {group.count:,} miners in one group "
                f"(at most {MAX_ASICS_PER_GROUP:,}; split the fleet into groups by model)"
            )
    for i, gpus in enumerate(scenario.gpu_groups):
        if gpus.node_count > MAX_GPU_NODES_PER_GROUP:
            raise ModelError(
                f"{owner}.gpu_groups[{i}].node_count: {gpus.node_count:,} nodes in one group "
                f"(at most {MAX_GPU_NODES_PER_GROUP:,})"
            )
    _check_gpu_floor(scenario, owner, limit_mw)
    _check_contract(scenario, owner, limit_mw)
    _check_events(scenario, owner, limit_mw)


def _check_contract(scenario: Scenario, owner: str, limit_mw: float) -> None:
    contract = scenario.contract
    if contract.ppa is not None:
        if contract.ppa.block_mw > limit_mw:
            raise ModelError(
                f"{owner}.contract.ppa.block_mw: a {contract.ppa.block_mw:g} MW block cannot flow through a "
                f"{limit_mw:g} MW interconnect; make it at most site.interconnect_limit_mw"
            )
        if not contract.ppa.resell_unused:
            raise ModelError(
                f"{owner}.contract.ppa.resell_unused: false is not supported yet (the engine settles "
                "unused block energy at the real-time price); set it to true"
            )
    offered_mw = sum(a.capacity_mw for a in contract.ancillary)
    if offered_mw > limit_mw:
        raise ModelError(
            f"{owner}.contract.ancillary: {offered_mw:g} MW offered in all, above the "
            f"{limit_mw:g} MW the site can draw; offer at most site.interconnect_limit_mw"
        )


def _check_events(scenario: Scenario, owner: str, limit_mw: float) -> None:
    for i, event in enumerate(scenario.demand_response_events):
        if event.cap_mw > limit_mw:
            raise ModelError(
                f"{owner}.demand_response_events[{i}].cap_mw: a {event.cap_mw:g} MW cap above the "
                f"{limit_mw:g} MW interconnect limit curtails nothing; make it lower than "
                "site.interconnect_limit_mw"
            )


def check_as_written(scenario: Scenario) -> None:
    """What a scenario file or request must also satisfy before a run narrows its horizon.

    A demand-response event outside the horizon the file itself states is a mistake in the file;
    once ``--start/--end`` narrow a run, events outside it are simply not in that run.
    """
    owner = f"Scenario {scenario.name}"
    for i, event in enumerate(scenario.demand_response_events):
        if not (scenario.start_utc <= event.start_utc < scenario.end_utc):
            raise ModelError(
                f"{owner}.demand_response_events[{i}].start_utc: {event.start_utc.isoformat()} is outside "
                f"the horizon {scenario.start_utc.isoformat()} → {scenario.end_utc.isoformat()}; "
                "move it inside or drop it"
            )


def _check_gpu_floor(scenario: Scenario, owner: str, limit_mw: float) -> None:
    """AI load nobody may shed (reserved tenants, inference at its peak, idle nodes) must fit the limit."""
    from wattswitch.model.site_model import site_model  # noqa: PLC0415 - site_model imports Scenario

    floor_mw = float(site_model(scenario).gpu_load_mw(1.0, 0.0))
    if floor_mw > limit_mw:
        raise ModelError(
            f"{owner}.gpu_groups: the AI load that cannot be curtailed (reserved tenants, inference at its "
            f"peak, idle nodes, with cooling) is {floor_mw:,.1f} MW, above the {limit_mw:g} MW interconnect "
            "limit; reserve fewer nodes, shrink the GPU groups or raise site.interconnect_limit_mw"
        )


def unusual(scenario: Scenario) -> list[str]:
    """Possible but unusual values, worth a second look (warnings, never errors), each naming its key."""
    notes: list[str] = []
    limit_mw = scenario.site.interconnect_limit_mw
    nameplate_mw = scenario.facility_nameplate_mw
    if nameplate_mw < 0.5 * limit_mw:
        notes.append(
            f"site.interconnect_limit_mw: everything on draws {nameplate_mw:,.1f} MW of the {limit_mw:g} MW "
            "limit; the limit never binds (is a fleet missing?)"
        )
    if nameplate_mw > 3 * limit_mw:
        notes.append(
            f"site.interconnect_limit_mw: {nameplate_mw:,.1f} MW of machines behind a {limit_mw:g} MW limit "
            "(more than 3x): most of the fleet can never run"
        )
    for zone in scenario.site.cooling_zones:
        if zone.pue > 1.8:
            notes.append(f"site.cooling_zones ({zone.name}).pue: {zone.pue:g} is high for any hall")
    for i, group in enumerate(scenario.asic_groups):
        if not 10.0 <= group.efficiency_j_per_th <= 150.0:
            notes.append(
                f"asic_groups[{i}]: {group.efficiency_j_per_th:.1f} J/TH is outside what ASICs since 2016 "
                "draw (10-150 J/TH); check power_w and hashrate_th_s"
            )
    for i, gpus in enumerate(scenario.gpu_groups):
        if not 1_000.0 <= gpus.busy_node_power_w <= 20_000.0:
            notes.append(
                f"gpu_groups[{i}].busy_node_power_w: {gpus.busy_node_power_w:,.0f} W per node is outside "
                "1-20 kW (an 8-GPU H100 server draws ~10 kW)"
            )
    ppa = scenario.contract.ppa
    if ppa is not None and not 0.0 <= ppa.price_usd_per_mwh <= 300.0:
        notes.append(f"contract.ppa.price_usd_per_mwh: ${ppa.price_usd_per_mwh:g}/MWh is outside $0-300/MWh")
    if (scenario.end_utc - scenario.start_utc).total_seconds() < 86400:
        notes.append("end_utc: a horizon under a day says little about a year's money (4CP, hashprice)")
    return notes
