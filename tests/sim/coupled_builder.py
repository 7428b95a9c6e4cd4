"""Small coupled sites for tests: a hand-checkable one and random ones (no generator, no files)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from tests.sim.small_site import START, inputs_for

from wattswitch.model import catalog
from wattswitch.model.contracts import FourCpCharge, PowerContract, PpaBlock, RealTimeIndex
from wattswitch.model.fleet import AsicGroup, AsicMode, GpuNodeGroup
from wattswitch.model.grid import DemandResponseEvent
from wattswitch.model.scenario import Scenario
from wattswitch.model.site import CoolingZone, Site
from wattswitch.model.tenants import Reservation, Tenant
from wattswitch.model.traces import JobTrace
from wattswitch.model.workloads import InferenceService, TrainingQueue
from wattswitch.scheduling.config import TrainingPhases
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.coupled_parts import coupled_parts

NORMAL_LOW = (AsicMode("normal", 1.0, 1.0), AsicMode("low-power", 0.7, 0.6), AsicMode("off", 0.0, 0.0))


def tiny_gpu_group(nodes: int) -> GpuNodeGroup:
    """Nodes of 8 GPUs drawing 200 kW idle and 1 MW busy (big round numbers for hand sums)."""
    return GpuNodeGroup(
        name="gpu", gpu_model="test gpu", node_count=nodes, idle_node_power_w=2e5, busy_node_power_w=1e6,
        cooling_zone="hall", power_cap_curve=catalog.H100_POWER_CAP_CURVE, gpus_per_node=8,
    )


def coupled_scenario(
    periods: int,
    *,
    limit_mw: float,
    asic_units: int = 20,
    asic_groups: int = 1,
    reserved_nodes: int = 1,
    training_nodes: int = 1,
    busy_fraction: float = 0.5,
    dr_cap_mw: float | None = None,
    dr_at: int = 0,
    dr_intervals: int = 0,
    ppa_mw: float = 0.0,
    four_cp: bool = False,
) -> Scenario:
    """A coupled site of PUE 1: ASIC groups of 100 kW units, reserved / inference / training nodes."""
    service = InferenceService(
        name="chat", gpu_group="gpu", gpus_per_replica=8, tokens_per_s_per_replica=2500.0,
        peak_requests_per_s=0.5, mean_tokens_per_request=200.0, price_usd_per_million_tokens=1.0,
        scale_up_delay_s=60.0,
    )
    groups = tuple(
        AsicGroup(f"g{k}", "test miner", asic_units, 100e3 / (1.0 + 0.3 * k), 1e5, "hall", NORMAL_LOW, 0.0,
                  firmware="braiins")
        for k in range(asic_groups)
    )
    events = ()
    if dr_cap_mw is not None and dr_intervals > 0:
        at = START + timedelta(seconds=900 * dr_at)
        events = (DemandResponseEvent(at, 900.0 * dr_intervals, dr_cap_mw, 100.0),)
    inference_nodes = 1  # what the autoscaler wants for the tiny service (checked by the parts)
    return Scenario(
        name="coupled",
        description="hand-checkable coupled site",
        site=Site("coupled", limit_mw, "ERCOT", "HB_WEST", "America/Chicago", (CoolingZone("hall", 1.0),)),
        contract=PowerContract(
            real_time=RealTimeIndex(0.0),
            ppa=PpaBlock(ppa_mw, 30.0) if ppa_mw > 0 else None,
            four_cp=FourCpCharge(60.0) if four_cp else None,
        ),
        asic_groups=groups,
        gpu_groups=(tiny_gpu_group(reserved_nodes + inference_nodes + training_nodes),),
        start_utc=START,
        end_utc=START + timedelta(seconds=900 * periods),
        step_s=900,
        tenants=(
            Tenant("tenant", (Reservation("gpu", reserved_nodes, 2.0, busy_fraction=busy_fraction),)),
        ) if reserved_nodes else (),
        training_queue=TrainingQueue(
            gpu_group="gpu", price_usd_per_gpu_hour=3.0, checkpoint_interval_s=1800.0,
            restart_overhead_s=300.0,
        ),
        inference_services=(service,),
        demand_response_events=events,
        ai_simulation="job-level",
    )


def jobs(rows: list[tuple[float, float, int]]) -> JobTrace:
    """Jobs as (submit_s, duration_s, gpus), with limits at their durations × 2."""
    frame = pd.DataFrame(
        {
            "job_id": [f"j{k}" for k in range(len(rows))],
            "submit_s": [r[0] for r in rows],
            "duration_s": [r[1] for r in rows],
            "gpus": [r[2] for r in rows],
            "time_limit_s": [r[1] * 2 for r in rows],
        }
    )
    return JobTrace(frame=frame, source="test jobs", origin_utc=None)


def coupled_site(
    scenario: Scenario,
    prices: np.ndarray,
    job_rows: list[tuple[float, float, int]],
    *,
    hashprice: float = 50.0,
    write_s: float = 90.0,
    stall_fraction: float = 0.1,
    system_load: np.ndarray | None = None,
) -> CoupledSite:
    """The coupled site on given prices and jobs (inference demand: a constant full fraction)."""
    inputs = inputs_for(
        scenario, prices, hashprice, inference=np.ones(scenario.periods), system_load=system_load
    )
    parts = coupled_parts(
        scenario, None, inputs.inference_load_fraction, jobs(job_rows) if job_rows else None,
        phases=TrainingPhases(write_s, stall_fraction),
    )
    return CoupledSite(scenario, inputs, parts)
