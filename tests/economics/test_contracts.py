"""PPA settlement, hosting leases, reserved bare metal and on-demand, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from wattswitch.economics.contracts import (
    HostingLease,
    lease_for_contract_value,
    on_demand_revenue_usd,
    reserved_bill,
    settle_power_contract,
    settle_ppa,
)
from wattswitch.errors import ModelError
from wattswitch.model.contracts import PowerContract, PpaBlock, RealTimeIndex
from wattswitch.model.tenants import Reservation, UptimeSla


def test_ppa_block_resale_and_real_time_purchases_per_interval() -> None:
    # 10 MW block at $30, 15-min intervals (0.25 h), RT adder $2
    result = settle_ppa([5.0, 10.0, 15.0], [20.0, 50.0, 100.0], 0.25,
                        block_mw=10.0, ppa_price_usd_per_mwh=30.0, rt_adder_usd_per_mwh=2.0)
    assert result.block_cost_usd.tolist() == pytest.approx([75.0, 75.0, 75.0])  # 10 × 0.25 × 30
    assert result.resale_usd.tolist() == pytest.approx([25.0, 0.0, 0.0])  # 5 MW unused × 0.25 × 20
    assert result.rt_purchase_usd.tolist() == pytest.approx([0.0, 0.0, 127.5])  # 5 MW × 0.25 × 102
    assert result.net_cost_usd.tolist() == pytest.approx([50.0, 75.0, 202.5])
    assert result.total_net_cost_usd == pytest.approx(327.5)


def test_without_resale_unused_block_energy_is_lost_and_negative_prices_cost_the_seller() -> None:
    kept = settle_ppa([0.0], [40.0], 1.0, block_mw=10.0, ppa_price_usd_per_mwh=30.0, resell_unused=False)
    assert kept.net_cost_usd.tolist() == [300.0]
    negative = settle_ppa([0.0], [-20.0], 1.0, block_mw=10.0, ppa_price_usd_per_mwh=30.0)
    assert negative.net_cost_usd.tolist() == [500.0]  # 300 for the block + 200 to get rid of it


def test_settlement_is_vectorised_over_a_year_of_intervals() -> None:
    rng = np.random.default_rng(3)
    load = rng.uniform(0, 100, 35_040)
    price = rng.normal(40, 30, 35_040)
    result = settle_ppa(load, price, 0.25, block_mw=60.0, ppa_price_usd_per_mwh=35.0)
    unused, above = np.maximum(60 - load, 0), np.maximum(load - 60, 0)
    manual = 60 * 0.25 * 35 - unused * 0.25 * price + above * 0.25 * price
    assert np.allclose(result.net_cost_usd, manual)


def test_settlement_rejects_bad_inputs() -> None:
    with pytest.raises(ModelError, match="shape"):
        settle_ppa([1.0, 2.0], [30.0], 0.25)
    with pytest.raises(ModelError, match="load_mw"):
        settle_ppa([-1.0], [30.0], 0.25)


def test_settle_with_the_model_contract() -> None:
    contract = PowerContract(real_time=RealTimeIndex(adder_usd_per_mwh=1.0),
                             ppa=PpaBlock(block_mw=10.0, price_usd_per_mwh=30.0))
    result = settle_power_contract(contract, [12.0], [50.0], 1.0)
    assert result.net_cost_usd.tolist() == pytest.approx([300.0 + 2 * 51.0])
    real_time_only = settle_power_contract(PowerContract(), [12.0], [50.0], 1.0)
    assert real_time_only.net_cost_usd.tolist() == pytest.approx([600.0])


def test_hosting_lease_escalates_each_lease_year() -> None:
    lease = HostingLease(critical_it_mw=1.0, rent_usd_per_kw_month=100.0, term_years=3,
                         escalator_fraction_per_year=0.10)
    assert lease.annual_rent_usd().tolist() == pytest.approx([1_200_000.0, 1_320_000.0, 1_452_000.0])
    assert lease.contract_value_usd == pytest.approx(3_972_000.0)
    assert lease.mean_revenue_usd_per_mw_year == pytest.approx(1_324_000.0)
    assert lease.monthly_rent_usd([-1, 0, 11, 12, 35, 36]).tolist() == pytest.approx(
        [0.0, 100_000.0, 100_000.0, 110_000.0, 121_000.0, 0.0])


def test_lease_solved_from_a_contract_value() -> None:
    lease = lease_for_contract_value(3_600_000.0, 3, 1.0)
    assert lease.rent_usd_per_kw_month == pytest.approx(100.0)
    escalated = lease_for_contract_value(3_972_000.0, 3, 1.0, escalator_fraction_per_year=0.10)
    assert escalated.rent_usd_per_kw_month == pytest.approx(100.0)


def test_lease_rejects_impossible_terms() -> None:
    with pytest.raises(ModelError, match="term_years"):
        HostingLease(1.0, 100.0, 0)
    with pytest.raises(ModelError, match="critical_it_mw"):
        HostingLease(-1.0, 100.0, 5)


def test_reserved_bill_is_take_or_pay_with_sla_credits() -> None:
    reservation = Reservation("hall-a", node_count=16, price_usd_per_gpu_hour=2.0,
                              sla=UptimeSla(0.999, 0.05, 0.30))
    # 16 nodes × 8 GPUs × $2 × 720 h = $184,320, billed whether used or not
    full = reserved_bill(reservation, 720.0, 1.0)
    assert (full.gross_usd, full.credit_usd, full.net_usd) == pytest.approx((184_320.0, 0.0, 184_320.0))
    # 99.7 % uptime: 0.2 pt short = 2 × 0.1 pt → 10 % credit
    short = reserved_bill(reservation, 720.0, 0.997)
    assert short.credit_usd == pytest.approx(18_432.0)
    capped = reserved_bill(reservation, 720.0, 0.90)
    assert capped.credit_usd == pytest.approx(184_320.0 * 0.30)


def test_on_demand_bills_only_sold_hours() -> None:
    assert on_demand_revenue_usd([0.0, 100.0], 2.99).tolist() == pytest.approx([0.0, 299.0])
    with pytest.raises(ModelError):
        on_demand_revenue_usd([-1.0], 2.99)
