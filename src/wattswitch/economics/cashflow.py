"""Discounted cash flow: NPV, IRR (robust root finding) and payback.

Cash flows are point amounts at t = 0, 1, 2, … periods (period 0 is not discounted);
``periods_per_year`` turns annual rates into per-period rates: ``(1 + r)^(1/n) − 1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from wattswitch.errors import ModelError

FloatArray = npt.NDArray[np.float64]
# per-period rates scanned for sign changes of NPV: dense near 0, out to +1000 % per period
_RATE_GRID = np.unique(np.concatenate([
    np.linspace(-0.99, -0.1, 90), np.linspace(-0.1, 0.5, 601), np.geomspace(0.5, 10.0, 120),
]))


def _flows(cash_flows_usd: Sequence[float] | npt.ArrayLike) -> FloatArray:
    flows = np.asarray(cash_flows_usd, dtype=np.float64)
    if flows.ndim != 1 or flows.size == 0:
        raise ModelError("cash flows: need a non-empty one-dimensional series")
    if not np.all(np.isfinite(flows)):
        raise ModelError("cash flows: every amount must be a finite number")
    return flows


def period_rate(rate_per_year: float, periods_per_year: int = 1) -> float:
    """Per-period rate equivalent to an annual rate: ``(1 + r)^(1/n) − 1``."""
    if rate_per_year <= -1.0:
        raise ModelError(f"rate must be > −100 %, got {rate_per_year!r}")
    return float((1.0 + rate_per_year) ** (1.0 / periods_per_year) - 1.0)


def discount_factors(rate_per_year: float, periods: int, periods_per_year: int = 1) -> FloatArray:
    """``1 / (1 + r_p)^t`` for t = 0 … periods − 1."""
    rate = period_rate(rate_per_year, periods_per_year)
    return np.asarray((1.0 + rate) ** -np.arange(periods, dtype=np.float64), dtype=np.float64)


def npv(rate_per_year: float, cash_flows_usd: Sequence[float] | npt.ArrayLike,
        periods_per_year: int = 1) -> float:
    """Net present value: ``Σ cf_t / (1 + r_p)^t`` with t = 0 undiscounted.

    >>> round(npv(0.10, [-100.0, 60.0, 60.0]), 4)
    4.1322
    """
    flows = _flows(cash_flows_usd)
    return float(np.dot(flows, discount_factors(rate_per_year, flows.size, periods_per_year)))


def _npv_at_period_rate(flows: FloatArray, rate: float) -> float:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return float(np.dot(flows, (1.0 + rate) ** -np.arange(flows.size, dtype=np.float64)))


def _bisect(flows: FloatArray, low: float, high: float) -> float:
    f_low = _npv_at_period_rate(flows, low)
    f_high = _npv_at_period_rate(flows, high)
    if f_low == 0.0 or (f_low > 0) == (f_high > 0):  # rounding put the root on an end point
        return low if abs(f_low) <= abs(f_high) else high
    for _ in range(200):
        mid = (low + high) / 2.0
        f_mid = _npv_at_period_rate(flows, mid)
        if f_mid == 0.0 or high - low < 1e-14:
            return mid
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return (low + high) / 2.0


def irr_all(cash_flows_usd: Sequence[float] | npt.ArrayLike, periods_per_year: int = 1) -> list[float]:
    """Every annual rate at which NPV changes sign (scan, then bisection), ascending.

    Conventional flows (outflows, then inflows) have exactly one; flows whose sign changes more
    than once can have several or none.
    """
    flows = _flows(cash_flows_usd)
    if not (np.any(flows > 0) and np.any(flows < 0)):
        return []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        powers = (1.0 + _RATE_GRID)[:, None] ** -np.arange(flows.size, dtype=np.float64)[None, :]
        values = powers @ flows
    roots: list[float] = []
    for i in range(len(_RATE_GRID) - 1):
        a, b = values[i], values[i + 1]
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        if a == 0.0:
            roots.append(float(_RATE_GRID[i]))
        elif np.sign(a) != np.sign(b):
            roots.append(_bisect(flows, float(_RATE_GRID[i]), float(_RATE_GRID[i + 1])))
    unique: list[float] = []
    for root in sorted(roots):
        if not unique or root - unique[-1] > 1e-9:
            unique.append(root)
    return [float((1.0 + r) ** periods_per_year - 1.0) for r in unique]


def irr(cash_flows_usd: Sequence[float] | npt.ArrayLike, periods_per_year: int = 1) -> float | None:
    """Annual internal rate of return, or None when there is none (e.g. no sign change).

    When the flows have several IRRs, the one nearest to zero is returned (see :func:`irr_all`).

    >>> round(irr([-100.0, 110.0]), 10)
    0.1
    """
    roots = irr_all(cash_flows_usd, periods_per_year)
    if not roots:
        return None
    return min(roots, key=abs)


def payback_years(
    cash_flows_usd: Sequence[float] | npt.ArrayLike,
    periods_per_year: int = 1,
    *,
    discount_rate_per_year: float | None = None,
) -> float | None:
    """Years until cumulative (optionally discounted) cash first reaches zero; None if it never does.

    Interpolates linearly inside the period where the cumulative sum crosses zero; 0 when the
    cumulative sum never goes negative.
    """
    flows = _flows(cash_flows_usd)
    if discount_rate_per_year is not None:
        flows = flows * discount_factors(discount_rate_per_year, flows.size, periods_per_year)
    cumulative = np.cumsum(flows)
    if cumulative[0] >= 0 and np.all(cumulative >= 0):
        return 0.0
    negative_seen = False
    for t in range(flows.size):
        if cumulative[t] < 0:
            negative_seen = True
        elif negative_seen:
            before = cumulative[t - 1]
            periods = (t - 1) + (-before / flows[t])
            return float(periods / periods_per_year)
    return None
