"""NPV, IRR and payback of small cash flows worked out by hand."""

from __future__ import annotations

import math

import pytest

from wattswitch.economics.cashflow import irr, irr_all, npv, payback_years, period_rate
from wattswitch.errors import ModelError


def test_npv_by_hand() -> None:
    # −100 + 60/1.1 + 60/1.21 = −100 + 54.5455 + 49.5868
    assert npv(0.10, [-100.0, 60.0, 60.0]) == pytest.approx(4.132231, rel=1e-6)
    assert npv(0.0, [-100.0, 60.0, 60.0]) == pytest.approx(20.0)


def test_monthly_periods_use_the_equivalent_monthly_rate() -> None:
    monthly = [0.0] * 12 + [110.0]
    assert period_rate(0.10, 12) == pytest.approx(1.1 ** (1 / 12) - 1)
    assert npv(0.10, monthly, periods_per_year=12) == pytest.approx(100.0)


def test_irr_by_hand() -> None:
    assert irr([-100.0, 110.0]) == pytest.approx(0.10)
    # 100 x² = 60 x + 60 with x = 1 + r → x = (60 + √27,600) / 200
    assert irr([-100.0, 60.0, 60.0]) == pytest.approx((60 + math.sqrt(27_600)) / 200 - 1)


def test_monthly_irr_is_annualised() -> None:
    assert irr([-100.0] + [0.0] * 11 + [110.0], periods_per_year=12) == pytest.approx(0.10)


def test_irr_is_none_without_a_sign_change() -> None:
    assert irr([100.0, 50.0]) is None
    assert irr([-100.0, -50.0]) is None
    assert irr([0.0, 0.0]) is None


def test_several_sign_changes_give_several_irrs() -> None:
    # −100 x² + 230 x − 132 = 0 → x = 1.1 or 1.2
    assert irr_all([-100.0, 230.0, -132.0]) == pytest.approx([0.10, 0.20])
    assert irr([-100.0, 230.0, -132.0]) == pytest.approx(0.10)  # nearest to zero


def test_irr_handles_deep_losses_and_large_gains() -> None:
    assert irr([-1000.0] + [100.0] * 5) == pytest.approx(-0.1940185, rel=1e-5)
    assert irr([-1.0, 6.0]) == pytest.approx(5.0)


def test_payback_interpolates_inside_the_crossing_period() -> None:
    assert payback_years([-100.0, 60.0, 60.0]) == pytest.approx(1 + 40 / 60)
    assert payback_years([-120.0] + [10.0] * 24, periods_per_year=12) == pytest.approx(1.0)
    assert payback_years([-100.0, 10.0, 10.0]) is None
    assert payback_years([50.0, 10.0]) == 0.0


def test_discounted_payback_is_later() -> None:
    flows = [-100.0, 60.0, 60.0]
    discounted = payback_years(flows, discount_rate_per_year=0.10)
    # cumulative PV: −100, −45.45, +4.13 → 1 + 45.45 / 49.59
    assert discounted == pytest.approx(1 + (100 - 60 / 1.1) / (60 / 1.21))
    simple = payback_years(flows)
    assert discounted is not None
    assert simple is not None
    assert discounted > simple


def test_bad_cash_flows_are_rejected() -> None:
    with pytest.raises(ModelError, match="non-empty"):
        npv(0.1, [])
    with pytest.raises(ModelError, match="finite"):
        irr([-1.0, float("nan")])
    with pytest.raises(ModelError, match="rate"):
        npv(-1.5, [1.0])
