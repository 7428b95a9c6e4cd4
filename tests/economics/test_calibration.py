"""The planner against public figures: hosting deals, capex per MW and build timelines.

Every expected number comes from the catalog's public figures (with their sources); the model
side is computed from inputs, never copied from the model's own output.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wattswitch.data.site_file import load_site
from wattswitch.economics.contracts import lease_for_contract_value
from wattswitch.economics.planning.capex import estimate_capex
from wattswitch.economics.planning.feasibility import assess
from wattswitch.economics.planning.timeline import (
    base_build_tasks,
    conversion_tasks,
    schedule_parallel,
    schedule_sequential,
)
from wattswitch.model.catalog import CAPEX_BENCHMARKS, HOSTING_DEALS, HostingDeal, finance_figure
from wattswitch.model.catalog.finance import BUILD_REFERENCE_MONTHS, PARALLEL_REFERENCE_MONTHS
from wattswitch.model.site_assessment import SiteAssessment

EXAMPLES = Path(__file__).parents[2] / "examples" / "sites"


@pytest.mark.parametrize("deal", list(HOSTING_DEALS.values()), ids=lambda d: d.name)
def test_lease_model_reproduces_each_public_deal_within_5_percent(deal: HostingDeal) -> None:
    lease = lease_for_contract_value(deal.contract_value_usd, deal.term_years, deal.critical_it_mw,
                                     escalator_fraction_per_year=deal.escalator_fraction_per_year)
    assert lease.contract_value_usd == pytest.approx(deal.contract_value_usd, rel=1e-9)
    reported = deal.reported_revenue_usd_per_mw_year
    assert lease.mean_revenue_usd_per_mw_year == pytest.approx(reported, rel=0.05)


@pytest.mark.parametrize("deal", list(HOSTING_DEALS.values()), ids=lambda d: d.name)
def test_rent_implied_by_each_deal_is_a_market_rent(deal: HostingDeal) -> None:
    lease = lease_for_contract_value(deal.contract_value_usd, deal.term_years, deal.critical_it_mw,
                                     escalator_fraction_per_year=deal.escalator_fraction_per_year)
    low = finance_figure("wholesale_rent_low").value
    high = finance_figure("wholesale_rent_high").value
    assert low <= lease.rent_usd_per_kw_month <= high


def test_default_rent_lies_between_the_deals() -> None:
    rents = [
        lease_for_contract_value(d.contract_value_usd, d.term_years, d.critical_it_mw,
                                 escalator_fraction_per_year=d.escalator_fraction_per_year).rent_usd_per_kw_month
        for d in HOSTING_DEALS.values()
    ]
    assert min(rents) <= finance_figure("hosting_rent_usd_per_kw_month").value <= max(rents)


def _per_mw_it_ex_gpu(site: SiteAssessment, which: str) -> float:
    feasibility = assess(site)
    return estimate_capex(site, feasibility).per_mw_it_usd(which, include_gpus=False)


def test_converting_a_mining_site_costs_what_analysts_and_cipher_report(mining_site: SiteAssessment) -> None:
    mid = _per_mw_it_ex_gpu(mining_site, "mid")
    analysts, cipher = CAPEX_BENCHMARKS["analysts_ex_gpu"], CAPEX_BENCHMARKS["cipher_barber_lake"]
    assert analysts.low <= mid <= analysts.high
    assert cipher.low <= mid <= cipher.high
    assert _per_mw_it_ex_gpu(mining_site, "low") < cipher.low
    assert _per_mw_it_ex_gpu(mining_site, "high") > cipher.high  # the range spans the reported one


def test_a_site_needing_its_substation_too_costs_about_an_ai_data_center(mining_site: SiteAssessment) -> None:
    power = dataclasses.replace(mining_site.power, substation_on_hand=False)
    bare = dataclasses.replace(mining_site, power=power)
    assert _per_mw_it_ex_gpu(bare, "mid") == pytest.approx(CAPEX_BENCHMARKS["ai_data_center"].mid, rel=0.10)
    assert _per_mw_it_ex_gpu(bare, "mid") > _per_mw_it_ex_gpu(mining_site, "mid")


def test_ai_capex_per_mw_is_more_than_20_times_a_mining_farm(mining_site: SiteAssessment) -> None:
    assert _per_mw_it_ex_gpu(mining_site, "mid") > 20 * CAPEX_BENCHMARKS["mining_farm"].mid


def test_parallel_trades_turn_24_months_into_18() -> None:
    tasks = base_build_tasks()
    sequential, parallel = schedule_sequential(tasks), schedule_parallel(tasks)
    assert sequential.total_months == pytest.approx(PARALLEL_REFERENCE_MONTHS.high)  # 24
    assert parallel.total_months == pytest.approx(PARALLEL_REFERENCE_MONTHS.low)  # 18
    assert parallel.critical_path == ("design_permits", "construction", "cooling", "commissioning")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_site_builds_in_the_public_18_to_36_months(path: Path) -> None:
    site = load_site(path)
    months = schedule_parallel(conversion_tasks(site, assess(site))).total_months
    assert BUILD_REFERENCE_MONTHS.low <= months <= BUILD_REFERENCE_MONTHS.high
