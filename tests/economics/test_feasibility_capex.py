"""What blocks a conversion, what it must upgrade, and what those upgrades cost."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from wattswitch.economics.planning.capex import estimate_capex
from wattswitch.economics.planning.feasibility import assess
from wattswitch.model.catalog import capex_component, finance_figure
from wattswitch.model.catalog.finance import LONG_LEAD_SHARE_OF_ELECTRICAL
from wattswitch.model.site_assessment import SiteAssessment


def _with(site: SiteAssessment, table: str, **changes: Any) -> SiteAssessment:
    return dataclasses.replace(site, **{table: dataclasses.replace(getattr(site, table), **changes)})


def test_a_plain_mining_site_is_feasible_with_the_usual_upgrades(mining_site: SiteAssessment) -> None:
    f = assess(mining_site)
    assert f.feasible
    assert {u.key for u in f.upgrades} == {
        "long_lead", "network_backbone", "powered_shell", "electrical", "backup_n_plus_1", "liquid_cooling",
        "rack_power",
    }
    assert f.convertible_it_mw == pytest.approx(100.0 / finance_figure("ai_gross_to_it_ratio").value)
    assert any("15 → 132 kW" in u.message for u in f.upgrades)
    assert f.inference_ready


@pytest.mark.parametrize(
    ("table", "changes", "key"),
    [
        ("land", {"zoning": "denied"}, "zoning"),
        ("land", {"acres": 0.5}, "land"),
    ],
)
def test_blockers(mining_site: SiteAssessment, table: str, changes: dict[str, Any], key: str) -> None:
    f = assess(_with(mining_site, table, **changes))
    assert not f.feasible
    assert [b.key for b in f.blockers] == [key]


def test_no_interconnect_blocks(mining_site: SiteAssessment) -> None:
    site = dataclasses.replace(
        mining_site, fleet=(),
        power=dataclasses.replace(mining_site.power, energised_mw=0.0, interconnect_status="none"))
    assert [b.key for b in assess(site).blockers] == ["interconnect"]


def test_gaps_become_upgrades_and_notes(mining_site: SiteAssessment) -> None:
    site = _with(mining_site, "network", dark_fiber=False, fiber_distance_miles=12.0,
                 latency_to_metro_ms=35.0)
    site = _with(site, "water", available_m3_per_day=100.0)
    site = _with(site, "land", zoning="pending")
    site = dataclasses.replace(site, plan=dataclasses.replace(site.plan, target_redundancy="2N"))
    f = assess(site)
    keys = {u.key for u in f.upgrades}
    assert {"fiber_build", "dry_cooler_premium", "zoning", "backup_2n_extra", "backup_n_plus_1"} <= keys
    assert not f.inference_ready
    assert any(n.key == "latency" for n in f.notes)


def test_land_limits_the_build(mining_site: SiteAssessment) -> None:
    f = assess(_with(mining_site, "land", acres=30.0))
    assert f.feasible
    assert f.convertible_it_mw == pytest.approx(30.0 / finance_figure("land_acres_per_mw_it").value)


def test_capex_lines_scale_with_mw_and_carry_sources(mining_site: SiteAssessment) -> None:
    f = assess(mining_site)
    capex = estimate_capex(mining_site, f)
    shell = next(line for line in capex.lines if line.key == "powered_shell")
    cost = capex_component("powered_shell").cost
    assert (shell.low_usd, shell.high_usd) == pytest.approx((f.convertible_it_mw * cost.low,
                                                             f.convertible_it_mw * cost.high))
    assert shell.source == cost.source
    soft = next(line for line in capex.lines if line.key == "soft_costs")
    hard_low = sum(line.low_usd for line in capex.lines if line.key != "soft_costs")
    assert soft.low_usd == pytest.approx(hard_low * capex_component("soft_costs").cost.low)
    assert capex.total_usd("low") < capex.total_usd("mid") < capex.total_usd("high")
    assert not any(line.gpu for line in capex.lines)


def test_equipment_on_hand_is_not_bought_twice(mining_site: SiteAssessment) -> None:
    on_hand = _with(mining_site, "power", long_lead_equipment_on_hand=True)

    def electrical(site: SiteAssessment) -> float:
        lines = estimate_capex(site, assess(site)).lines
        return next(line.mid_usd for line in lines if line.key == "electrical")

    share = LONG_LEAD_SHARE_OF_ELECTRICAL.value
    assert electrical(on_hand) == pytest.approx(electrical(mining_site) * (1 - share))


def test_site_wide_lines_and_gpu_systems(mining_site: SiteAssessment) -> None:
    site = _with(mining_site, "network", dark_fiber=False, fiber_distance_miles=10.0)
    site = _with(site, "power", substation_on_hand=False)
    site = dataclasses.replace(site, plan=dataclasses.replace(site.plan, ai_use="bare_metal"))
    capex = estimate_capex(site, assess(site))
    fiber = next(line for line in capex.lines if line.key == "fiber_build")
    assert fiber.site_wide
    assert fiber.low_usd == pytest.approx(10.0 * capex_component("fiber_build").cost.low)
    assert next(line for line in capex.lines if line.key == "substation").site_wide
    gpus = next(line for line in capex.lines if line.gpu)
    # 71.4 MW of IT / 10.2 kW per H100 system × $250–300k
    systems = capex.it_mw * 1000 / 10.2
    assert (gpus.low_usd, gpus.high_usd) == pytest.approx((systems * 250e3, systems * 300e3))
    gpu_total = capex.total_usd(include_gpus=True) - capex.total_usd(include_gpus=False)
    assert gpu_total == pytest.approx(gpus.mid_usd)


def test_partly_energised_site_pays_for_and_waits_on_its_interconnect(mining_site: SiteAssessment) -> None:
    from wattswitch.economics.planning.timeline import conversion_tasks, schedule_parallel

    site = _with(mining_site, "power", energised_mw=80.0, approved_mw=140.0, interconnect_status="partial",
                 long_lead_equipment_on_hand=True)
    f = assess(site)
    assert f.needs("interconnect_upgrade")
    assert f.convertible_facility_mw == pytest.approx(140.0)
    line = next(line for line in estimate_capex(site, f).lines if line.key == "interconnect_upgrade")
    assert line.low_usd == pytest.approx(60.0 * capex_component("interconnect_upgrade").cost.low)
    schedule = schedule_parallel(conversion_tasks(site, f))
    assert schedule.critical_path == ("interconnect_expansion", "commissioning")
    assert schedule.total_months == pytest.approx(24.0 + 3.0)
    queued = _with(mining_site, "power", interconnect_status="queued")
    assert assess(queued).convertible_facility_mw == pytest.approx(100.0)
    assert any(n.key == "interconnect" for n in assess(queued).notes)
