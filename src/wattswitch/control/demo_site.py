"""A small live site to demonstrate and test control: N miners of one model and a few GPU nodes.

Built from the default scenario's site, contract and H100 node figures (catalog-sourced), scaled
down so that a fleet of fake miners and a single-host Slurm cluster make up the whole site.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from wattswitch.model import catalog
from wattswitch.model.default_scenario import MINING_ZONE, default_scenario
from wattswitch.model.fleet import AsicGroup
from wattswitch.model.scenario import Scenario
from wattswitch.model.tenants import Tenant
from wattswitch.model.workloads import TrainingQueue

DEMO_GROUP = "fleet"


def demo_scenario(
    miner_count: int,
    *,
    model: str = "Antminer S19 XP",
    training_nodes: int = 4,
    reserved_nodes: int = 1,
    start_utc: datetime,
    days: int = 1,
    headroom_share: float = 1.0,
) -> Scenario:
    """One ASIC group of ``miner_count`` miners, a GPU hall with ``training_nodes`` preemptible and
    ``reserved_nodes`` reserved nodes, and an interconnect limit of ``headroom_share`` × nameplate."""
    base = default_scenario()
    spec = catalog.asic(model)
    asics = AsicGroup(
        name=DEMO_GROUP,
        model=model,
        count=miner_count,
        hashrate_th_s=float(spec.hashrate_th_s),
        power_w=float(spec.power_w),
        cooling_zone=MINING_ZONE,
    )
    hall = replace(base.gpu_groups[0], node_count=training_nodes + reserved_nodes)
    tenant = base.tenants[0]
    reservation = replace(tenant.reservations[0], node_count=reserved_nodes)
    queue = base.training_queue
    assert queue is not None
    scenario = replace(
        base,
        name="live-demo",
        description=(
            f"Live-control demo: {miner_count} × {model}, {training_nodes}+{reserved_nodes} GPU nodes"
        ),
        asic_groups=(asics,),
        gpu_groups=(hall,),
        tenants=(Tenant(tenant.name, reservations=(reservation,)),),
        training_queue=TrainingQueue(
            gpu_group=hall.name,
            price_usd_per_gpu_hour=queue.price_usd_per_gpu_hour,
            mean_jobs_per_day=queue.mean_jobs_per_day,
        ),
        inference_services=(),
        demand_response_events=(),
        start_utc=start_utc,
        end_utc=start_utc + timedelta(days=days),
    )
    limit_mw = round(scenario.facility_nameplate_mw * headroom_share, 6)
    # The default site's contract, scaled to this small site (a 60 MW block through a 0.1 MW
    # interconnect is refused as impossible).
    share = limit_mw / base.site.interconnect_limit_mw
    contract = base.contract
    contract = replace(
        contract,
        ppa=None if contract.ppa is None else replace(contract.ppa, block_mw=contract.ppa.block_mw * share),
        ancillary=tuple(replace(a, capacity_mw=a.capacity_mw * share) for a in contract.ancillary),
    )
    return replace(scenario, site=replace(scenario.site, interconnect_limit_mw=limit_mw), contract=contract)
