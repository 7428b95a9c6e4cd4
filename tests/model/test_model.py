"""Domain dataclasses validate on construction and name the offending field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from wattswitch.errors import ModelError
from wattswitch.model import catalog
from wattswitch.model.default_scenario import mining_site_scenario
from wattswitch.model.fleet import AsicGroup, GpuNodeGroup, PowerCapPoint
from wattswitch.model.scenario import Scenario
from wattswitch.model.site import CoolingZone, Site
from wattswitch.model.tenants import Reservation, Tenant, UptimeSla


def test_default_scenario_is_a_100_mw_west_texas_site_mid_conversion(scenario: Scenario) -> None:
    assert scenario.site.market == "ERCOT"
    assert scenario.site.hub == "HB_WEST"
    assert scenario.site.interconnect_limit_mw == 100.0
    assert scenario.ai_simulation == "job-level"
    # AI and mining over-subscribe the interconnect together, so the cap binds and mining yields
    assert scenario.facility_nameplate_mw > 1.05 * scenario.site.interconnect_limit_mw
    assert scenario.gpu_nameplate_mw * 1.25 > 15.0  # a real AI hall, not a side-load
    assert scenario.asic_nameplate_mw * 1.05 < scenario.site.interconnect_limit_mw  # mining alone fits
    assert scenario.periods == 365 * 96
    assert len(scenario.tenants) == 1
    assert scenario.training_queue is not None
    assert scenario.inference_services
    assert scenario.contract.ppa is not None
    assert scenario.contract.four_cp is not None


def test_default_fleet_figures_come_from_the_catalog(scenario: Scenario) -> None:
    for group in scenario.asic_groups:
        spec = catalog.asic(group.model)
        assert (group.hashrate_th_s, group.power_w) == (spec.hashrate_th_s, spec.power_w)
        assert spec.source


def test_facility_nameplate_applies_each_zone_pue(scenario: Scenario) -> None:
    by_hand = sum(g.count * g.power_w for g in scenario.asic_groups) / 1e6 * 1.05 + sum(
        g.node_count * g.busy_node_power_w for g in scenario.gpu_groups
    ) / 1e6 * 1.25
    assert scenario.facility_nameplate_mw == pytest.approx(by_hand)


def test_every_catalog_entry_has_a_source() -> None:
    entries = [*catalog.ASICS.values(), *catalog.GPUS.values(), *catalog.FIGURES.values()]
    assert all(entry.source.strip() for entry in entries)
    assert catalog.asic("Antminer S21 XP").efficiency_j_per_th == pytest.approx(13.5, abs=0.05)
    with pytest.raises(ModelError, match="unknown ASIC 'S99'"):
        catalog.asic("S99")


def _zone() -> tuple[CoolingZone, ...]:
    return (CoolingZone("hall", 1.1),)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interconnect_limit_mw": -5.0}, "interconnect_limit_mw: must be a positive number"),
        ({"market": "NYISO"}, "market: 'NYISO' is not one of"),
        ({"timezone": "Texas/West"}, "timezone: 'Texas/West' is not an IANA zone"),
        ({"cooling_zones": ()}, "cooling_zones: at least one zone"),
    ],
)
def test_site_rejects_impossible_values(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "name": "s", "interconnect_limit_mw": 10.0, "market": "ERCOT", "hub": "HB_WEST",
        "timezone": "America/Chicago", "cooling_zones": _zone(),
    }
    with pytest.raises(ModelError, match=message):
        Site(**{**base, **kwargs})  # type: ignore[arg-type]


def test_asic_group_rejects_zero_count_and_knows_its_efficiency() -> None:
    with pytest.raises(ModelError, match="count: must be a whole number"):
        AsicGroup("g", "Antminer S19", 0, 95.0, 3250.0, "hall")
    group = AsicGroup("g", "Antminer S19", 10, 100.0, 3000.0, "hall")
    assert group.efficiency_j_per_th == 30.0
    assert group.nameplate_power_mw == pytest.approx(0.03)
    assert group.mode("off").power_fraction == 0.0
    with pytest.raises(ModelError, match="no mode 'turbo'"):
        group.mode("turbo")


def test_gpu_power_cap_curve_interpolates_and_is_validated() -> None:
    curve = catalog.H100_POWER_CAP_CURVE
    group = GpuNodeGroup("g", "H100", 2, 2500.0, 10200.0, "hall", curve)
    assert 0.87 <= group.throughput_fraction(0.7) <= 0.90
    assert group.throughput_fraction(0.75) == pytest.approx((0.885 + 0.95) / 2)
    assert group.throughput_fraction(0.3) == 0.0
    assert group.gpu_count == 16
    with pytest.raises(ModelError, match="must both increase"):
        GpuNodeGroup("g", "H100", 2, 2500.0, 10200.0, "hall",
                     (PowerCapPoint(0.5, 0.9), PowerCapPoint(0.7, 0.8), PowerCapPoint(1.0, 1.0)))
    with pytest.raises(ModelError, match="idle_node_power_w: exceeds"):
        GpuNodeGroup("g", "H100", 2, 20000.0, 10200.0, "hall", curve)


def test_uptime_sla_credit_is_tiered_and_capped() -> None:
    sla = UptimeSla(uptime_target_fraction=0.999, credit_fraction_per_0_1pct=0.05,
                    max_credit_fraction=0.3)
    assert sla.credit_fraction(0.9995) == 0.0
    assert sla.credit_fraction(0.997) == pytest.approx(0.10)
    assert sla.credit_fraction(0.5) == 0.3


def test_scenario_checks_cross_references(scenario: Scenario) -> None:
    too_many = Tenant("greedy", (Reservation("h100-hall", 10_000, 2.0),))
    with pytest.raises(ModelError, match="10000 nodes reserved on 'h100-hall'"):
        dataclasses.replace(scenario, tenants=(too_many,))
    with pytest.raises(ModelError, match="no GPU group 'b200-hall'"):
        dataclasses.replace(scenario, tenants=(Tenant("t", (Reservation("b200-hall", 1, 2.0),)),))
    with pytest.raises(ModelError, match="no cooling zone 'roof'"):
        dataclasses.replace(
            scenario, asic_groups=(AsicGroup("g", "S19", 1, 95.0, 3250.0, "roof"),)
        )


def test_scenario_checks_the_horizon(scenario: Scenario) -> None:
    with pytest.raises(ModelError, match="step_s: must be 300 or 900"):
        dataclasses.replace(scenario, step_s=600)
    with pytest.raises(ModelError, match="end_utc: must be after start_utc"):
        dataclasses.replace(scenario, end_utc=scenario.start_utc)
    with pytest.raises(ModelError, match="needs a time zone"):
        dataclasses.replace(scenario, start_utc=datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ModelError, match="whole number of steps"):
        dataclasses.replace(scenario, end_utc=datetime(2025, 6, 1, 0, 7, tzinfo=UTC))


def test_the_mining_site_before_conversion_is_never_power_limited() -> None:
    before = mining_site_scenario()
    assert before.ai_simulation == "fluid"
    assert before.asic_nameplate_mw > 10 * before.gpu_nameplate_mw  # mostly ASICs
    assert before.facility_nameplate_mw <= before.site.interconnect_limit_mw
