"""The dispatch LP over a window of intervals, built in small ``define_*`` steps and solved by HiGHS.

Per interval t and ASIC group g: ``normal[g,t]`` and ``low[g,t]`` (fractions of the group's
units in each mode), ``start[g,t]`` (units switched on, which draw power but hash only after
their switchover), ``above[t]`` (MW bought above the PPA block), ``reserve[t]`` (MW sold as an
ancillary service, held by running ASICs), ``train[t]`` (GPU nodes training) and
``backlog[t]`` (training node-hours waiting at the end of t).

The objective is the run's profit up to constants (block cost, reserved, inference and DR
revenue), written exactly as the ledger books it, so that replaying the optimal plan through the
simulator reproduces the LP's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from wattswitch.dispatch.highs_solver import quiet_highs
from wattswitch.model.inputs import SiteInputs
from wattswitch.model.site_model import SiteModel


@dataclass(frozen=True)
class Window:
    """The inputs one LP sees (all arrays of the window's length; forecasts or the truth)."""

    price_usd_per_mwh: np.ndarray
    hashprice_usd_per_ph_day: np.ndarray
    inference_load_fraction: np.ndarray
    training_arrivals_node_hours: np.ndarray
    power_cap_mw: np.ndarray
    four_cp_usd_per_mw: np.ndarray
    on_fraction_before: np.ndarray
    backlog_before_node_hours: float

    @classmethod
    def of_inputs(
        cls,
        inputs: SiteInputs,
        *,
        power_cap_mw: np.ndarray,
        four_cp_usd_per_mw: np.ndarray,
        on_fraction_before: np.ndarray,
        backlog_before_node_hours: float = 0.0,
    ) -> Window:
        """The whole run's truth as one window (what the oracle sees)."""
        return cls(
            price_usd_per_mwh=inputs.rt_price_usd_per_mwh,
            hashprice_usd_per_ph_day=inputs.hashprice_usd_per_ph_day,
            inference_load_fraction=inputs.inference_load_fraction,
            training_arrivals_node_hours=inputs.training_arrivals_node_hours,
            power_cap_mw=power_cap_mw,
            four_cp_usd_per_mw=four_cp_usd_per_mw,
            on_fraction_before=on_fraction_before,
            backlog_before_node_hours=backlog_before_node_hours,
        )


@dataclass(frozen=True)
class Plan:
    """The LP's decisions for each interval of the window."""

    normal: np.ndarray
    low: np.ndarray
    train: np.ndarray
    objective_usd: float
    status: str


class _Layout:
    """Column indices of each variable block."""

    def __init__(self, groups: int, periods: int) -> None:
        self.groups, self.periods = groups, periods
        gt = groups * periods
        self.normal = np.arange(gt).reshape(groups, periods)
        self.low = gt + self.normal
        self.start = 2 * gt + self.normal
        base = 3 * gt
        self.above = base + np.arange(periods)
        self.reserve = base + periods + np.arange(periods)
        self.train = base + 2 * periods + np.arange(periods)
        self.backlog = base + 3 * periods + np.arange(periods)
        self.columns = base + 4 * periods


class _Builder:
    """Accumulates constraint rows as COO triplets (row, column, coefficient)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(
        self,
        entries: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | float]],
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        """Add ``len(lower)`` rows; entries give (row within the block, column, coefficient)."""
        for rows, cols, vals in entries:
            rows_flat = np.asarray(rows).ravel()
            self.rows.append(self.count + rows_flat)
            self.cols.append(np.asarray(cols).ravel())
            self.vals.append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(rows)).ravel())
        self.lower.append(np.asarray(lower, dtype=float))
        self.upper.append(np.asarray(upper, dtype=float))
        self.count += len(lower)


def _asic_load_entries(
    site: SiteModel, lay: _Layout, sign: float
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Row-per-interval entries of ``sign`` · Σ_g P_g (normal + low_power_fraction · low)."""
    t = np.broadcast_to(np.arange(lay.periods), (lay.groups, lay.periods))
    power = np.broadcast_to(site.asic_power_mw[:, None], t.shape)
    low_power = power * site.asic_low_power_fraction[:, None]
    return [(t, lay.normal, sign * power), (t, lay.low, sign * low_power)]


def define_mode_limits(b: _Builder, lay: _Layout) -> None:
    """normal + low ≤ 1 for each group and interval."""
    n = lay.groups * lay.periods
    rows = np.arange(n).reshape(lay.groups, lay.periods)
    b.add([(rows, lay.normal, 1.0), (rows, lay.low, 1.0)], np.full(n, -np.inf), np.ones(n))


def define_startups(b: _Builder, lay: _Layout, on_before: np.ndarray) -> None:
    """start[g,t] − on[g,t] + on[g,t−1] ≥ 0, with on[g,−1] = ``on_before``."""
    g, p = lay.groups, lay.periods
    rows = np.arange(g * p).reshape(g, p)
    entries = [
        (rows, lay.start, 1.0),
        (rows, lay.normal, -1.0),
        (rows, lay.low, -1.0),
        (rows[:, 1:], lay.normal[:, :-1], 1.0),
        (rows[:, 1:], lay.low[:, :-1], 1.0),
    ]
    lower = np.zeros((g, p))
    lower[:, 0] = -np.asarray(on_before, dtype=float)
    b.add(entries, lower.ravel(), np.full(g * p, np.inf))


def define_power_rows(b: _Builder, site: SiteModel, lay: _Layout, w: Window, base_mw: np.ndarray) -> None:
    """Site load ≤ cap; above ≥ load − block; reserve ≤ ASIC load."""
    p = lay.periods
    t = np.arange(p)
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    headroom = np.maximum(w.power_cap_mw - base_mw, 0.0)
    b.add([*_asic_load_entries(site, lay, 1.0), (t, lay.train, per_node)], np.full(p, -np.inf), headroom)
    b.add(
        [(t, lay.above, 1.0), *_asic_load_entries(site, lay, -1.0), (t, lay.train, -per_node)],
        base_mw - site.ppa_block_mw,
        np.full(p, np.inf),
    )
    b.add([(t, lay.reserve, 1.0), *_asic_load_entries(site, lay, -1.0)], np.full(p, -np.inf), np.zeros(p))


def define_backlog(b: _Builder, site: SiteModel, lay: _Layout, w: Window) -> None:
    """backlog[t] − backlog[t−1] + step_h · train[t] = arrivals[t] (plus the opening backlog at t=0)."""
    p = lay.periods
    t = np.arange(p)
    arrivals = np.asarray(w.training_arrivals_node_hours, dtype=float).copy()
    arrivals[0] += w.backlog_before_node_hours
    b.add(
        [(t, lay.backlog, 1.0), (t, lay.train, site.step_h), (t[1:], lay.backlog[:-1], -1.0)],
        arrivals,
        arrivals,
    )


def objective(site: SiteModel, lay: _Layout, w: Window) -> np.ndarray:
    """Profit per unit of each variable (constants left out)."""
    step_h = site.step_h
    cost = np.zeros(lay.columns)
    energy_usd_per_mw = w.price_usd_per_mwh * step_h + w.four_cp_usd_per_mw
    hash_usd = site.asic_hashrate_ph_s[:, None] * w.hashprice_usd_per_ph_day[None, :] / 24.0 * step_h
    power = site.asic_power_mw[:, None]
    cost[lay.normal] = hash_usd - power * energy_usd_per_mw
    cost[lay.low] = (
        hash_usd * site.asic_low_hashrate_fraction[:, None]
        - power * site.asic_low_power_fraction[:, None] * energy_usd_per_mw
    )
    cost[lay.start] = -hash_usd * site.asic_startup_fraction[:, None]
    cost[lay.above] = -site.rt_adder_usd_per_mwh * step_h
    cost[lay.reserve] = site.ancillary_usd_per_mw_h * step_h
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    cost[lay.train] = site.training_usd_per_node_hour * step_h - per_node * energy_usd_per_mw
    return cost


def surely_on(site: SiteModel, w: Window, base_mw: np.ndarray) -> np.ndarray:
    """(group, interval) pairs where running in normal mode is optimal whatever else the plan does.

    Normal mode beats off even after paying a startup when the marginal energy cost stays below
    ``(1 − startup_fraction)`` of the group's breakeven, and beats low-power mode below 3/4 of it
    (in general ``(1 − low_hash)/(1 − low_power)``); with no 4CP charge and the whole fleet fitting
    under the cap, fixing those pairs to normal cannot cut the optimum, and presolve drops them.
    """
    breakeven = (
        site.asic_hashrate_ph_s[:, None]
        * w.hashprice_usd_per_ph_day[None, :]
        / 24.0
        / site.asic_power_mw[:, None]
    )
    low_ratio = (1 - site.asic_low_hashrate_fraction) / np.maximum(1 - site.asic_low_power_fraction, 1e-9)
    factor = np.minimum(1 - site.asic_startup_fraction, np.minimum(low_ratio, 1.0))[:, None]
    marginal = (w.price_usd_per_mwh + site.rt_adder_usd_per_mwh)[None, :]
    full_load = base_mw + site.asic_power_mw.sum() + site.training_pool_nodes * site.training_node_busy_mw
    quiet = (w.four_cp_usd_per_mw == 0) & (full_load <= w.power_cap_mw)
    return np.asarray((marginal < factor * breakeven) & quiet[None, :])


# Constraint matrices depend only on the site and the window's length (mpc solves thousands of
# windows of one length): a few are kept, keyed by what enters their coefficients.
_MATRIX_CACHE: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
_MATRIX_CACHE_SIZE = 8
_MATRIX_CACHE_MAX_PERIODS = 4096


def constraint_matrix(
    site: SiteModel, lay: _Layout, w: Window, base_mw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The LP's constraint matrix in CSC form (start, index, value) and its row count."""
    key = (
        lay.groups,
        lay.periods,
        site.asic_power_mw.tobytes(),
        site.asic_low_power_fraction.tobytes(),
        site.training_node_busy_mw,
        site.training_node_idle_mw,
        site.step_h,
    )
    cached = _MATRIX_CACHE.get(key)
    if cached is not None:
        return cached
    b = _Builder()
    define_mode_limits(b, lay)
    define_startups(b, lay, w.on_fraction_before)
    define_power_rows(b, site, lay, w, base_mw)
    define_backlog(b, site, lay, w)
    matrix = sparse.coo_matrix(
        (np.concatenate(b.vals), (np.concatenate(b.rows), np.concatenate(b.cols))),
        shape=(b.count, lay.columns),
    ).tocsc()
    built = (matrix.indptr, matrix.indices, matrix.data, b.count)
    if lay.periods <= _MATRIX_CACHE_MAX_PERIODS:
        if len(_MATRIX_CACHE) >= _MATRIX_CACHE_SIZE:
            _MATRIX_CACHE.pop(next(iter(_MATRIX_CACHE)))
        _MATRIX_CACHE[key] = built
    return built


def row_bounds(
    site: SiteModel, lay: _Layout, w: Window, base_mw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of every row, in the order the ``define_*`` steps add them."""
    g, p = lay.groups, lay.periods
    startup_lower = np.zeros((g, p))
    startup_lower[:, 0] = -np.asarray(w.on_fraction_before, dtype=float)
    arrivals = np.asarray(w.training_arrivals_node_hours, dtype=float).copy()
    arrivals[0] += w.backlog_before_node_hours
    headroom = np.maximum(w.power_cap_mw - base_mw, 0.0)
    lower = np.concatenate(
        (
            np.full(g * p, -np.inf),
            startup_lower.ravel(),
            np.full(p, -np.inf),
            base_mw - site.ppa_block_mw,
            np.full(p, -np.inf),
            arrivals,
        )
    )
    upper = np.concatenate(
        (np.ones(g * p), np.full(g * p, np.inf), headroom, np.full(p, np.inf), np.zeros(p), arrivals)
    )
    return lower, upper


def column_bounds(
    site: SiteModel,
    lay: _Layout,
    w: Window,
    base_mw: np.ndarray,
    *,
    columns: int,
    training_upper: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``columns`` columns (the layout's first, the rest free ≥ 0): unit fractions,
    reserve, training up to ``training_upper``; groups surely on are fixed to normal with no startup."""
    lower = np.zeros(columns)
    upper = np.full(columns, np.inf)
    upper[lay.normal] = upper[lay.low] = upper[lay.start] = 1.0
    upper[lay.low[~site.asic_has_low_mode]] = 0.0
    upper[lay.reserve] = site.ancillary_capacity_mw
    upper[lay.train] = training_upper
    fixed = surely_on(site, w, base_mw)
    lower[lay.normal[fixed]] = 1.0
    upper[lay.low[fixed]] = 0.0
    steady = fixed.copy()
    steady[:, 1:] &= fixed[:, :-1]
    steady[:, 0] &= np.asarray(w.on_fraction_before, dtype=float) >= 1.0
    upper[lay.start[steady]] = 0.0
    return lower, upper


def maximisation(
    *,
    cost: np.ndarray,
    col_bounds: tuple[np.ndarray, np.ndarray],
    row_bounds: tuple[np.ndarray, np.ndarray],
    matrix: sparse.csc_matrix,
) -> highspy.HighsLp:
    """A HiGHS model maximising ``cost`` over a column-wise sparse matrix."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = col_bounds
    lp.row_lower_, lp.row_upper_ = row_bounds
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    return lp


def dispatch_solver(lp: highspy.HighsLp, *, presolve: bool = True) -> highspy.Highs:
    """A quiet HiGHS instance holding ``lp``, with the settings every dispatch LP uses."""
    solver = quiet_highs()
    # Devex pricing: ~20 % faster than the default on these long, sparse models (measured).
    solver.setOptionValue("simplex_dual_edge_weight_strategy", 1)
    if not presolve:
        solver.setOptionValue("presolve", "off")
    solver.passModel(lp)
    return solver


def run_to_optimum(solver: highspy.Highs, what: str) -> str:
    """Solve; a status other than Optimal raises RuntimeError naming ``what``."""
    solver.run()
    status: str = solver.modelStatusToString(solver.getModelStatus())
    if status != "Optimal":
        raise RuntimeError(f"{what} not solved: {status}")
    return status


def solve_plan(lp: highspy.HighsLp, lay: _Layout) -> Plan:
    """Solve a dispatch LP laid out by ``lay`` and read each interval's decisions."""
    solver = dispatch_solver(lp)
    status = run_to_optimum(solver, "dispatch LP")
    x = np.asarray(solver.getSolution().col_value)
    return Plan(
        normal=x[lay.normal],
        low=x[lay.low],
        train=x[lay.train],
        objective_usd=float(solver.getInfo().objective_function_value),
        status=status,
    )


def solve_window(site: SiteModel, w: Window) -> Plan:
    """Build and solve the LP for one window; returns each interval's decisions."""
    periods = len(w.price_usd_per_mwh)
    lay = _Layout(site.asic_count, periods)
    available = site.training_available_nodes(w.inference_load_fraction)
    base_mw = np.asarray(site.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
    indptr, indices, values, rows = constraint_matrix(site, lay, w, base_mw)
    matrix = sparse.csc_matrix((values, indices, indptr), shape=(rows, lay.columns))
    train_upper = np.maximum(np.asarray(available, dtype=float), 0.0)
    lp = maximisation(
        cost=objective(site, lay, w),
        col_bounds=column_bounds(site, lay, w, base_mw, columns=lay.columns, training_upper=train_upper),
        row_bounds=row_bounds(site, lay, w, base_mw),
        matrix=matrix,
    )
    return solve_plan(lp, lay)
