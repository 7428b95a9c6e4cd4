"""The embedded scenarios: the default site mid-conversion, and the mining site it started as.

The default (:func:`default_scenario`) is a West-Texas 100 MW interconnect that AI and mining
over-subscribe together: the whole 27,000-ASIC fleet (≈ 91 MW with cooling) is still on site
while a liquid-cooled H100 hall (1,416 nodes, ≈ 18 MW busy) runs a reserved bare-metal tenant,
an LLM endpoint and an on-demand training queue. AI is served first and the cap binds, so
mining yields whatever AI draws and fills every trough it leaves; it is simulated job by job
(``ai_simulation = "job-level"``). :func:`mining_site_scenario` is the same site before the
conversion (a small AI hall, never power-limited, the fluid engine).

Every hardware and price figure comes from :mod:`wattswitch.model.catalog`; the signals are
generated from :class:`SyntheticSpec` (see docs/default-scenario.md for the calibration).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from wattswitch.model import catalog
from wattswitch.model.contracts import (
    AncillaryParticipation,
    FourCpCharge,
    PowerContract,
    PpaBlock,
    RealTimeIndex,
)
from wattswitch.model.fleet import AsicGroup, GpuNodeGroup
from wattswitch.model.grid import DemandResponseEvent
from wattswitch.model.scenario import Scenario
from wattswitch.model.site import CoolingZone, Site
from wattswitch.model.tenants import Reservation, Tenant, UptimeSla
from wattswitch.model.workloads import InferenceService, TrainingQueue

MINING_ZONE = "mining-hall"
AI_ZONE = "ai-hall"


def _asic_group(name: str, model: str, count: int, firmware: str = "stock") -> AsicGroup:
    spec = catalog.asic(model)
    return AsicGroup(
        name=name, model=model, count=count, hashrate_th_s=float(spec.hashrate_th_s),
        power_w=float(spec.power_w), cooling_zone=MINING_ZONE, firmware=firmware,
    )


def _h100_group(name: str, node_count: int) -> GpuNodeGroup:
    spec = catalog.gpu("H100 SXM5")
    return GpuNodeGroup(
        name=name, gpu_model=spec.model, node_count=node_count,
        idle_node_power_w=spec.idle_system_power_kw * 1000,
        busy_node_power_w=spec.system_power_kw * 1000, cooling_zone=AI_ZONE,
        power_cap_curve=catalog.H100_POWER_CAP_CURVE, gpus_per_node=spec.gpus_per_system,
    )


def mining_site_scenario() -> Scenario:
    """The mining site before its conversion: calendar 2025, 15-min steps, the fluid engine."""
    site = Site(
        name="Permian Flats",
        interconnect_limit_mw=100.0,
        market="ERCOT",
        hub="HB_WEST",
        timezone="America/Chicago",
        cooling_zones=(
            CoolingZone(MINING_ZONE, catalog.figure("pue_asic_air").value),
            CoolingZone(AI_ZONE, catalog.figure("pue_ai_liquid").value),
        ),
    )
    contract = PowerContract(
        real_time=RealTimeIndex(adder_usd_per_mwh=2.0),
        ppa=PpaBlock(block_mw=60.0, price_usd_per_mwh=catalog.figure("west_texas_ppa_price").value),
        four_cp=FourCpCharge(rate_usd_per_kw_year=catalog.figure("ercot_4cp_rate").value),
        ancillary=(
            AncillaryParticipation(
                "ERCOT Non-Spin", 20.0, catalog.figure("ercot_non_spin_price").value
            ),
        ),
    )
    h100 = _h100_group("h100-hall", 256)
    return Scenario(
        name="default",
        description=(
            "West-Texas-like 100 MW site on ERCOT HB_WEST: 27,000 ASICs, 256 H100 nodes "
            "(one reserved tenant, on-demand training, a 70B chat endpoint), a 60 MW PPA "
            "block with real-time exposure, 4CP and Non-Spin; generated 2025 signals."
        ),
        site=site,
        contract=contract,
        asic_groups=(
            _asic_group("s21", "Antminer S21", 10_000),
            _asic_group("s19xp", "Antminer S19 XP", 12_000),
            _asic_group("s19jpro", "Antminer S19j Pro", 5_000),
        ),
        gpu_groups=(h100,),
        start_utc=datetime(2025, 1, 1, 6, tzinfo=UTC),
        end_utc=datetime(2026, 1, 1, 6, tzinfo=UTC),
        step_s=900,
        tenants=(
            Tenant(
                "Helix AI (reserved)",
                reservations=(
                    Reservation(
                        gpu_group=h100.name, node_count=128,
                        price_usd_per_gpu_hour=catalog.figure("h100_reserved_price").value,
                        sla=UptimeSla(),
                    ),
                ),
            ),
        ),
        training_queue=TrainingQueue(
            gpu_group=h100.name,
            price_usd_per_gpu_hour=catalog.figure("h100_on_demand_price").value,
            mean_jobs_per_day=600.0,  # Helios-like mix: ~40 % of the 128-node pool on average
        ),
        inference_services=(
            InferenceService(
                name="chat-70b",
                gpu_group=h100.name,
                gpus_per_replica=8,
                tokens_per_s_per_replica=catalog.figure("llm_70b_tokens_per_s_8xh100").value,
                peak_requests_per_s=400.0,
                mean_tokens_per_request=211.0,
                price_usd_per_million_tokens=catalog.figure("llm_70b_price").value,
            ),
        ),
        demand_response_events=(
            DemandResponseEvent(
                start_utc=datetime(2025, 8, 20, 20, tzinfo=UTC), duration_s=7200.0, cap_mw=20.0,
                payment_usd_per_mwh=catalog.figure("ercot_dr_payment").value,
            ),
        ),
    )


RESERVED_NODES = 1024  # the bare-metal tenant: 8,192 H100 on a multi-year lease
TRAINING_NODES = 128  # the on-demand queue: a Helios-Venus-sized pool (≈ 1,000 GPUs)
INFERENCE_PEAK_REQUESTS_PER_S = 1000.0
INFERENCE_NODES = 264  # the endpoint's replicas at its peak (what the autoscaler wants, + margin)


def default_scenario() -> Scenario:
    """The scenario ``wattswitch`` runs when given none: the site mid-conversion (see the module)."""
    before = mining_site_scenario()
    h100 = _h100_group("h100-hall", RESERVED_NODES + INFERENCE_NODES + TRAINING_NODES)
    asics = tuple(
        dataclasses.replace(g, firmware="braiins") if g.name == "s21" else g for g in before.asic_groups
    )
    return dataclasses.replace(
        before,
        description=(
            "West-Texas 100 MW site on ERCOT HB_WEST mid-conversion: 27,000 ASICs (≈ 91 MW) and a "
            f"{h100.node_count:,}-node H100 hall (≈ 18 MW busy) over-subscribe the interconnect; AI is "
            f"served first (a {RESERVED_NODES:,}-node reserved tenant, a 70B chat endpoint, on-demand "
            "training job by job) and mining fills the rest; 60 MW PPA block, 4CP and Non-Spin; "
            "generated 2025 signals."
        ),
        asic_groups=asics,
        gpu_groups=(h100,),
        tenants=(
            Tenant(
                "Helix AI (reserved)",
                reservations=(
                    Reservation(
                        gpu_group=h100.name, node_count=RESERVED_NODES,
                        price_usd_per_gpu_hour=catalog.figure("h100_reserved_price").value,
                        sla=UptimeSla(),
                    ),
                ),
            ),
        ),
        training_queue=TrainingQueue(
            gpu_group=h100.name,
            price_usd_per_gpu_hour=catalog.figure("h100_on_demand_price").value,
            mean_jobs_per_day=600.0,  # Helios-like mix: ~40 % of a 128-node pool on average
        ),
        inference_services=(
            dataclasses.replace(
                before.inference_services[0], peak_requests_per_s=INFERENCE_PEAK_REQUESTS_PER_S
            ),
        ),
        ai_simulation="job-level",
    )
