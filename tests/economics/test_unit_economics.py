"""Revenue per MWh and per MW-year of each use, checked against derivations done by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wattswitch.economics.unit_economics import (
    asic_breakevens,
    gpu_rental_revenue_usd_per_mwh,
    hashprice_for_breakeven_usd_per_ph_day,
    hosting_noi_usd_per_mw_year,
    hosting_revenue_usd_per_mwh,
    inference_revenue_usd_per_mwh,
    mining_breakeven_usd_per_mwh,
    mining_revenue_usd_per_mwh,
    revenue_usd_per_mw_year,
)
from wattswitch.errors import ModelError
from wattswitch.model.catalog import ASICS, gpu


def test_mining_revenue_per_mwh_from_first_principles() -> None:
    # 1 MW of 17.5 J/TH miners: 1e6 W / 17.5 W per TH/s = 57,142.86 TH/s = 57.14 PH/s.
    # At $50/PH/day that is $2,857.14 a day from 24 MWh → $119.05/MWh.
    ph_s = 1e6 / 17.5 / 1000.0
    by_hand = ph_s * 50.0 / 24.0
    assert by_hand == pytest.approx(119.047619, rel=1e-6)
    assert mining_revenue_usd_per_mwh(50.0, 17.5) == pytest.approx(by_hand)


def test_breakeven_power_price_nets_pool_fee_opex_and_pue() -> None:
    # $119.05 gross, 2 % pool fee → $116.67; minus $5 opex → $111.67 per IT-MWh; PUE 1.05 → $106.35
    expected = (50_000.0 / (24 * 17.5) * 0.98 - 5.0) / 1.05
    got = mining_breakeven_usd_per_mwh(50.0, 17.5, pool_fee_fraction=0.02, pue=1.05,
                                       other_opex_usd_per_mwh=5.0)
    assert got == pytest.approx(expected)
    assert got == pytest.approx(106.35, abs=0.01)


def test_breakeven_hashprice_is_the_inverse() -> None:
    hashprice = hashprice_for_breakeven_usd_per_ph_day(40.0, 17.5, pue=1.05)
    assert mining_revenue_usd_per_mwh(hashprice, 17.5) == pytest.approx(40.0 * 1.05)


def test_mining_revenue_is_vectorised_over_arrays_and_series() -> None:
    prices = np.array([25.0, 50.0, 100.0])
    result = mining_revenue_usd_per_mwh(prices, 20.0)
    assert isinstance(result, np.ndarray)
    assert result.tolist() == pytest.approx([25e3 / 480, 50e3 / 480, 100e3 / 480])
    index = pd.date_range("2025-01-01", periods=2, freq="D", tz="UTC")
    series = mining_revenue_usd_per_mwh(pd.Series([48.0, 96.0], index=index), 20.0)
    assert isinstance(series, pd.Series)
    assert series.index.equals(index)
    assert series.tolist() == pytest.approx([100.0, 200.0])


def test_bad_efficiency_is_rejected() -> None:
    with pytest.raises(ModelError, match="efficiency_j_per_th"):
        mining_revenue_usd_per_mwh(50.0, 0.0)


def test_gpu_rental_per_mwh() -> None:
    h100 = gpu("H100 SXM5")  # 8 GPUs, 10.2 kW
    # $2.10 × 8 GPUs × 85 % = $14.28 per system-hour, from 10.2 kW × 1.25 = 12.75 kWh → $1,120/MWh
    got = gpu_rental_revenue_usd_per_mwh(2.10, h100, utilization_fraction=0.85, pue=1.25)
    assert got == pytest.approx(1120.0)


def test_hosting_rent_per_mwh_and_noi() -> None:
    # $120/kW-month = $1.44M per MW-year; over 8,760 MWh → $164.38/MWh; at 80 % load → $205.48
    assert hosting_revenue_usd_per_mwh(120.0) == pytest.approx(1_440_000 / 8760)
    assert hosting_revenue_usd_per_mwh(120.0, load_factor=0.8) == pytest.approx(1_440_000 / 8760 / 0.8)
    assert hosting_noi_usd_per_mw_year(120.0, 0.8) == pytest.approx(1_152_000.0)


def test_inference_per_mwh() -> None:
    h100 = gpu("H100 SXM5")
    # 2,500 tok/s × 3,600 s = 9M tokens/h → $7.92/h at $0.88/M, from 10.2 kWh → $776.47/MWh
    assert inference_revenue_usd_per_mwh(0.88, 2500.0, h100) == pytest.approx(7.92 / 0.0102)


def test_revenue_per_mw_year() -> None:
    assert revenue_usd_per_mw_year(100.0) == pytest.approx(876_000.0)
    assert revenue_usd_per_mw_year(100.0, capacity_factor=0.5) == pytest.approx(438_000.0)


def test_asic_breakevens_rank_the_catalog_by_efficiency() -> None:
    rows = asic_breakevens(ASICS.values(), 50.0)
    assert len(rows) == len(ASICS)
    efficiencies = [r.efficiency_j_per_th for r in rows]
    assert efficiencies == sorted(efficiencies)
    breakevens = [r.breakeven_usd_per_mwh for r in rows]
    assert breakevens == sorted(breakevens, reverse=True)  # the most efficient affords the dearest power
    s21 = next(r for r in rows if r.model == "Antminer S21")
    assert s21.breakeven_usd_per_mwh == pytest.approx(50_000.0 / (24 * 17.5))
