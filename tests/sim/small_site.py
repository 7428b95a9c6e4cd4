"""Small hand-made scenarios and inputs for engine tests (no generator, no files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from wattswitch.model import catalog
from wattswitch.model.contracts import (
    AncillaryParticipation,
    FourCpCharge,
    PowerContract,
    PpaBlock,
    RealTimeIndex,
)
from wattswitch.model.fleet import AsicGroup, AsicMode, GpuNodeGroup
from wattswitch.model.grid import DemandResponseEvent
from wattswitch.model.inputs import SiteInputs
from wattswitch.model.scenario import Scenario
from wattswitch.model.site import CoolingZone, Site
from wattswitch.model.tenants import Reservation, Tenant
from wattswitch.model.workloads import InferenceService, TrainingQueue

START = datetime(2025, 7, 1, 5, tzinfo=UTC)  # local midnight in Chicago (CDT)
NORMAL_ONLY = (AsicMode("normal", 1.0, 1.0), AsicMode("off", 0.0, 0.0))


def one_group_scenario(
    periods: int,
    *,
    power_w: float = 1e6,
    hashrate_th_s: float = 1e5,
    switchover_s: float = 0.0,
    limit_mw: float = 10.0,
) -> Scenario:
    """One ASIC 'group' of a single 1 MW unit, PUE 1, no GPUs, pure real-time exposure."""
    return Scenario(
        name="tiny",
        description="hand-checkable",
        site=Site("tiny", limit_mw, "ERCOT", "HB_WEST", "America/Chicago", (CoolingZone("hall", 1.0),)),
        contract=PowerContract(real_time=RealTimeIndex(0.0)),
        asic_groups=(
            AsicGroup("g", "test miner", 1, hashrate_th_s, power_w, "hall", NORMAL_ONLY, switchover_s),
        ),
        gpu_groups=(),
        start_utc=START,
        end_utc=START + timedelta(minutes=15 * periods),
        step_s=900,
    )


def inputs_for(
    scenario: Scenario,
    prices: np.ndarray,
    hashprice: float | np.ndarray,
    *,
    system_load: np.ndarray | None = None,
    inference: np.ndarray | None = None,
    arrivals: np.ndarray | None = None,
    da: np.ndarray | None = None,
) -> SiteInputs:
    """SiteInputs on the scenario grid with the given arrays (others neutral)."""
    periods = scenario.periods
    times = [scenario.start_utc + timedelta(seconds=scenario.step_s * t) for t in range(periods)]
    local = [t.astimezone(__import__("zoneinfo").ZoneInfo(scenario.site.timezone)) for t in times]
    return SiteInputs(
        rt_price_usd_per_mwh=np.asarray(prices, dtype=float),
        da_price_usd_per_mwh=np.full(periods, np.nan) if da is None else np.asarray(da, dtype=float),
        system_load_mw=np.full(periods, np.nan)
        if system_load is None
        else np.asarray(system_load, dtype=float),
        hashprice_usd_per_ph_day=np.broadcast_to(np.asarray(hashprice, dtype=float), (periods,)).copy(),
        inference_load_fraction=np.zeros(periods)
        if inference is None
        else np.asarray(inference, dtype=float),
        training_arrivals_node_hours=np.zeros(periods)
        if arrivals is None
        else np.asarray(arrivals, dtype=float),
        local_hour=np.array([x.hour + x.minute / 60 for x in local]),
        local_month=np.array([x.month for x in local]),
        utc_day=np.array([int(t.timestamp() // 86400) for t in times]),
    )


def full_scenario(periods: int, *, limit_mw: float = 12.0, dr: bool = True) -> Scenario:
    """Two ASIC groups, a GPU hall with a tenant, training and inference, PPA, 4CP, AS and a DR event."""
    h100 = catalog.gpu("H100 SXM5")
    gpus = GpuNodeGroup("hall", h100.model, 40, 2500.0, 10200.0, "ai", catalog.H100_POWER_CAP_CURVE)
    events = (DemandResponseEvent(START + timedelta(hours=3), 3600.0, 2.0, 100.0),) if dr else ()
    return Scenario(
        name="small",
        description="two groups and an AI hall",
        site=Site(
            "small",
            limit_mw,
            "ERCOT",
            "HB_WEST",
            "America/Chicago",
            (CoolingZone("mine", 1.05), CoolingZone("ai", 1.25)),
        ),
        contract=PowerContract(
            real_time=RealTimeIndex(2.0),
            ppa=PpaBlock(4.0, 35.0),
            four_cp=FourCpCharge(60.0),
            ancillary=(AncillaryParticipation("Non-Spin", 2.0, 10.0),),
        ),
        asic_groups=(
            AsicGroup("s21", "Antminer S21", 1500, 200.0, 3500.0, "mine"),
            AsicGroup("s19", "Antminer S19", 1000, 95.0, 3250.0, "mine", switchover_s=300.0),
        ),
        gpu_groups=(gpus,),
        start_utc=START,
        end_utc=START + timedelta(minutes=15 * periods),
        step_s=900,
        tenants=(Tenant("t", (Reservation("hall", 16, 2.1),)),),
        training_queue=TrainingQueue("hall", 2.99),
        inference_services=(InferenceService("chat", "hall", 8, 2500.0, 40.0, 211.0, 0.88),),
        demand_response_events=events,
    )
