"""The oracle's LP solved in two parts — a training greedy and small ASIC LPs — with a proof of optimality.

The whole-year dispatch LP couples intervals only through ASIC startups (from one interval to the
next) and the training backlog (over months). Written as prefix sums, the backlog is a transport
problem — node-hours arriving at t may be trained in any slot s ≥ t — that a simplex solves
slowly but a greedy solves exactly: sweep time backwards, add each slot to a heap, and give the
work arriving at t the best free slots (an exchange argument: a later arrival's slots are a
subset of an earlier one's, and every node-hour earns the same). Training meets the ASICs only
inside an interval, through the power cap and the real-time adder above the PPA block.

The method, for a fixed training plan ``x``:

1. Intervals where :func:`~wattswitch.dispatch.lp.surely_on` fixes every ASIC group to normal
   mode (most of the year) need no LP: the ASICs run, ``above`` and ``reserve`` follow in closed
   form, and the value of training there is an exact concave function of ``x[t]``.
2. The other intervals (plus one fixed neighbour each side, which carries the startups) form the
   ASIC LP with training fixed at ``x``; it splits at every pair of consecutive fixed intervals
   into independent chunks of about a thousand intervals, each a small HiGHS solve.

Let ``Φ(x)`` be the best profit with training fixed at ``x``. The reduced costs ``r`` of the
fixed training columns are a supergradient of the concave ``Φ`` at ``x`` (LP sensitivity), so
for every feasible training plan ``x'``: ``Φ(x') ≤ Φ(x) + r·(x' − x)`` on the LP intervals and
the exact concave value on the fixed ones. The greedy maximises that bound over all ``x'``
(linear slots in the LP intervals, two-piece slots elsewhere), which gives an upper bound on the
LP's optimum; ``Φ(x)`` is a lower bound. When they agree (to ``1e-9`` relative) the plan is
optimal. The first guess for ``x`` assumes every ASIC runs. If the bound does not close, the next
``x`` is the greedy's maximiser of the bound (halfway to it if that did not improve ``Φ``), and
the best plan and the lowest bound so far are kept. On the default year the first round closes
the bound; on small random sites two rounds usually do, a few stall a few dollars short. Then
:func:`solve_split` returns ``None`` and the caller solves the whole LP
(:func:`~wattswitch.dispatch.oracle_prefix.solve_prefix`): the oracle never ships an unproven plan.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from wattswitch.dispatch.lp import (
    Plan,
    Window,
    _Layout,
    column_bounds,
    constraint_matrix,
    dispatch_solver,
    maximisation,
    objective,
    row_bounds,
    run_to_optimum,
    surely_on,
)
from wattswitch.model.site_model import SiteModel

CHUNK_INTERVALS = 1000
"""Target length of one ASIC LP (chunks end at a pair of fixed intervals, so may run longer).

On a year at 5 min, chunks of 1,000–2,000 intervals solved without presolve were fastest
(≈ 1.7 s for all of them, against ≈ 7.8 s for one LP over the same intervals)."""

GAP_TOLERANCE = 1e-9
"""Relative gap between the bounds below which the plan is accepted as optimal."""

Pieces = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Training slot pieces: (interval, value per node-hour, node-hours)."""


def greedy_training(slot: np.ndarray, value: np.ndarray, cap: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
    """Node-hours placed in each slot piece by the optimal plan of the training transport problem.

    Piece k belongs to interval ``slot[k]``, earns ``value[k]`` per node-hour and holds up to
    ``cap[k]`` node-hours (an interval may have several pieces; if its values are concave, a
    higher-valued piece fills first, as in the LP). ``arrivals[t]`` node-hours arrive at t and
    may be trained in any piece of an interval ≥ t; work left over earns nothing. The backward
    sweep gives each arrival the best pieces still free, which maximises the total value.
    """
    order = np.argsort(slot, kind="stable")
    value_s = value[order].tolist()
    useful = ((value[order] > 0) & (cap[order] > 0)).tolist()
    remaining = cap[order].astype(float).tolist()
    bounds = np.searchsorted(slot[order], np.arange(len(arrivals) + 1)).tolist()
    work_at = np.asarray(arrivals, dtype=float).tolist()
    heap: list[tuple[float, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    for t in range(len(work_at) - 1, -1, -1):
        for k in range(bounds[t], bounds[t + 1]):
            if useful[k]:
                push(heap, (-value_s[k], k))
        work = work_at[t]
        while work > 0.0 and heap:
            k = heap[0][1]
            if remaining[k] <= work:
                work -= remaining[k]
                remaining[k] = 0.0
                pop(heap)
            else:
                remaining[k] -= work
                work = 0.0
    placed = np.empty(len(slot))
    placed[order] = cap[order] - np.asarray(remaining)
    return placed


def _slice(w: Window, idx: np.ndarray, on_before: np.ndarray) -> Window:
    return Window(
        price_usd_per_mwh=w.price_usd_per_mwh[idx],
        hashprice_usd_per_ph_day=w.hashprice_usd_per_ph_day[idx],
        inference_load_fraction=w.inference_load_fraction[idx],
        training_arrivals_node_hours=w.training_arrivals_node_hours[idx],
        power_cap_mw=w.power_cap_mw[idx],
        four_cp_usd_per_mw=w.four_cp_usd_per_mw[idx],
        on_fraction_before=on_before,
        backlog_before_node_hours=0.0,
    )


class _AsicLp:
    """The dispatch LP of some intervals with the training fixed (no backlog rows)."""

    def __init__(self, site: SiteModel, w: Window, idx: np.ndarray, on_before: np.ndarray) -> None:
        self.idx = idx
        sw = _slice(w, idx, on_before)
        periods = len(idx)
        lay = self.lay = _Layout(site.asic_count, periods)
        base_mw = np.asarray(site.gpu_load_mw(sw.inference_load_fraction, 0.0), dtype=float)
        indptr, indices, values, rows = constraint_matrix(site, lay, sw, base_mw)
        row_lower, row_upper = row_bounds(site, lay, sw, base_mw)
        # the backlog chain comes last in rows and columns: drop it
        rows_kept, cols_kept = rows - periods, lay.columns - periods
        matrix = sparse.csc_matrix((values, indices, indptr), shape=(rows, lay.columns))
        matrix = matrix[:rows_kept, :cols_kept].tocsc()
        lp = maximisation(
            cost=objective(site, lay, sw)[:cols_kept],
            col_bounds=column_bounds(site, lay, sw, base_mw, columns=cols_kept, training_upper=0.0),
            row_bounds=(row_lower[:rows_kept], row_upper[:rows_kept]),
            matrix=matrix,
        )
        # the chunks are small and already reduced: presolve costs more than it saves
        self.solver = dispatch_solver(lp, presolve=False)
        self._train_cols = lay.train.astype(np.int32)

    def solve(self, train: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Objective, column values and the training columns' reduced costs for this training."""
        x = train[self.idx]
        self.solver.changeColsBounds(len(x), self._train_cols, x, x)
        run_to_optimum(self.solver, "ASIC LP")
        solution = self.solver.getSolution()
        columns = np.asarray(solution.col_value)
        reduced = np.asarray(solution.col_dual)[self.lay.train]
        return float(self.solver.getInfo().objective_function_value), columns, reduced


@dataclass(frozen=True)
class _Split:
    """Which intervals need an LP, and the chunks they form."""

    fixed: np.ndarray  # intervals solved in closed form
    chunks: list[np.ndarray]  # interval indices of each ASIC LP


def _split(site: SiteModel, w: Window, base_mw: np.ndarray) -> _Split:
    fixed = np.asarray(surely_on(site, w, base_mw).all(axis=0))
    fixed[0] = False  # the first interval carries the opening ASIC state
    in_lp = ~fixed
    in_lp[1:] |= ~fixed[:-1]
    in_lp[:-1] |= ~fixed[1:]
    idx = np.flatnonzero(in_lp)
    # consecutive LP intervals that are both fixed decouple the startups: cut there
    both = fixed[idx[:-1]] & fixed[idx[1:]]
    cuts = np.flatnonzero(both) + 1
    chunks: list[np.ndarray] = []
    start = 0
    for cut in cuts.tolist():
        if cut - start >= CHUNK_INTERVALS:
            chunks.append(idx[start:cut])
            start = cut
    if start < len(idx):
        chunks.append(idx[start:])
    return _Split(np.flatnonzero(~in_lp), chunks)


def _training_pieces(
    site: SiteModel, w: Window, t: np.ndarray, asic_mw: np.ndarray, *, base_mw: np.ndarray, avail: np.ndarray
) -> Pieces:
    """Training's two pieces per interval (below / above the PPA block) for a fixed ASIC load."""
    step_h = site.step_h
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    value = site.training_usd_per_node_hour - per_node * (
        w.price_usd_per_mwh[t] + w.four_cp_usd_per_mw[t] / step_h
    )
    headroom = np.maximum(w.power_cap_mw[t] - base_mw[t], 0.0)
    room = np.clip((headroom - asic_mw) / per_node, 0.0, avail[t])
    below = np.clip((site.ppa_block_mw - base_mw[t] - asic_mw) / per_node, 0.0, room)
    return (
        np.concatenate((t, t)),
        np.concatenate((value, value - per_node * site.rt_adder_usd_per_mwh)),
        np.concatenate((below, room - below)) * step_h,
    )


def _pieces_value(pieces: Pieces, train: np.ndarray, step_h: float) -> float:
    """Value of a training plan on two-piece slots (the lower piece fills first)."""
    half = len(pieces[0]) // 2
    work = train[pieces[0][:half]] * step_h
    first = np.minimum(work, pieces[2][:half])
    return float(first @ pieces[1][:half] + (work - first) @ pieces[1][half:])


def _fixed_asic_value(
    site: SiteModel, w: Window, t: np.ndarray, base_mw: np.ndarray, train: np.ndarray
) -> float:
    """Profit of the fixed intervals (all ASICs normal), training included, as the LP books it."""
    step_h = site.step_h
    full = float(site.asic_power_mw.sum())
    energy = w.price_usd_per_mwh[t] * step_h + w.four_cp_usd_per_mw[t]
    hash_usd = float(site.asic_hashrate_ph_s.sum()) * w.hashprice_usd_per_ph_day[t] / 24.0 * step_h
    asics = float((hash_usd - full * energy).sum())
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    above = np.maximum(full + base_mw[t] + per_node * train[t] - site.ppa_block_mw, 0.0)
    reserve = min(full, site.ancillary_capacity_mw) if site.ancillary_usd_per_mw_h > 0 else 0.0
    training = float(train[t] @ (site.training_usd_per_node_hour * step_h - per_node * energy))
    return (
        asics
        - float(above.sum()) * site.rt_adder_usd_per_mwh * step_h
        + reserve * site.ancillary_usd_per_mw_h * step_h * len(t)
        + training
    )


def solve_split(site: SiteModel, w: Window, max_rounds: int = 4) -> Plan | None:
    """The dispatch LP's optimum by the split method, or ``None`` if optimality was not proven."""
    if site.rt_adder_usd_per_mwh < 0 or site.training_node_busy_mw <= site.training_node_idle_mw:
        return None
    periods = len(w.price_usd_per_mwh)
    step_h = site.step_h
    base_mw = np.asarray(site.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
    avail = np.maximum(np.asarray(site.training_available_nodes(w.inference_load_fraction), dtype=float), 0.0)
    arrivals = np.asarray(w.training_arrivals_node_hours, dtype=float).copy()
    arrivals[0] += w.backlog_before_node_hours
    split = _split(site, w, base_mw)
    lp_idx = np.concatenate(split.chunks) if split.chunks else np.zeros(0, dtype=int)
    full = float(site.asic_power_mw.sum())
    fixed_pieces = _training_pieces(
        site, w, split.fixed, np.full(len(split.fixed), full), base_mw=base_mw, avail=avail
    )

    def place(lp_pieces: Pieces) -> tuple[np.ndarray, float]:
        slot = np.concatenate((fixed_pieces[0], lp_pieces[0]))
        value = np.concatenate((fixed_pieces[1], lp_pieces[1]))
        placed = greedy_training(slot, value, np.concatenate((fixed_pieces[2], lp_pieces[2])), arrivals)
        return np.bincount(slot, weights=placed, minlength=periods) / step_h, float(placed @ value)

    # first guess: every ASIC runs in the LP intervals too
    train, _ = place(
        _training_pieces(site, w, lp_idx, np.full(len(lp_idx), full), base_mw=base_mw, avail=avail)
    )
    lps = [
        _AsicLp(
            site,
            w,
            chunk,
            np.asarray(w.on_fraction_before, dtype=float) if chunk[0] == 0 else np.ones(site.asic_count),
        )
        for chunk in split.chunks
    ]
    best: tuple[float, np.ndarray, list[tuple[float, np.ndarray, np.ndarray]]] | None = None
    upper = np.inf
    for _ in range(max_rounds):
        solved = [lp.solve(train) for lp in lps]
        lp_value = sum(s[0] for s in solved)
        reduced = np.concatenate([s[2] for s in solved]) if solved else np.zeros(0)
        lower = lp_value + _pieces_value(fixed_pieces, train, step_h)
        if best is None or lower > best[0]:
            best = (lower, train, solved)
        # Φ(x') ≤ Φ(x) + r·(x' − x) on the LP intervals: maximise the bound with the greedy
        proposal, bound = place((lp_idx, reduced / step_h, avail[lp_idx] * step_h))
        upper = min(upper, lp_value - float(reduced @ train[lp_idx]) + bound)
        if upper - best[0] <= GAP_TOLERANCE * max(1.0, abs(best[0])):
            break
        # next: the bound's maximiser, or halfway to it if that did not improve (Φ is concave)
        train = proposal if lower >= best[0] else 0.5 * (best[1] + proposal)
    else:
        return None
    _, train, solved = best
    normal = np.ones((site.asic_count, periods))
    low = np.zeros((site.asic_count, periods))
    for s, lp in zip(solved, lps, strict=True):
        normal[:, lp.idx] = s[1][lp.lay.normal]
        low[:, lp.idx] = s[1][lp.lay.low]
    total = lp_value + _fixed_asic_value(site, w, split.fixed, base_mw, train)
    return Plan(normal=normal, low=low, train=train, objective_usd=total, status="Optimal")
