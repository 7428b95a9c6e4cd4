"""The oracle's LP with the training backlog written as prefix sums over a binary tree.

The dispatch LP of :mod:`wattswitch.dispatch.lp` carries the training queue in a chain,
``backlog[t] − backlog[t−1] + step_h · train[t] = arrivals[t]``. Over a year the optimal queue
stays non-empty for months (work waits for cheap hours), and the simplex pays for that chain:
with the ASICs fixed, the training-only LP alone took 77 s at 5 min (47k dual simplex
iterations on 44k presolved rows).

The same feasible set, ``Σ_{s≤t} step_h · train[s] ≤ opening backlog + Σ_{s≤t} arrivals[s]``
for every t (the backlog is that row's slack, with no cost in the objective), is written here
with one sum variable per dyadic block of intervals (``y = left child + right child``), so each
prefix row holds O(log T) entries instead of a chain of T. The LP is equivalent (same optimal
value, same decision variables); it solves ≈ 3× faster on a year at 5 min.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from wattswitch.dispatch.lp import (
    Plan,
    Window,
    _Layout,
    column_bounds,
    constraint_matrix,
    maximisation,
    objective,
    row_bounds,
    solve_plan,
)
from wattswitch.model.site_model import SiteModel


def _tree_rows(
    periods: int, train_cols: np.ndarray, step_h: float, first_col: int
) -> tuple[sparse.coo_matrix, int, int]:
    """Block-sum rows then prefix rows (as COO with row 0 = the first block-sum row).

    Returns the matrix, the number of block-sum rows and the number of new columns.
    """
    node_count = [periods]
    while node_count[-1] > 1:
        node_count.append((node_count[-1] + 1) // 2)
    levels = len(node_count)  # level 0 = the train columns themselves
    offsets = [0] * levels
    next_col = first_col
    for j in range(1, levels):
        offsets[j] = next_col
        next_col += node_count[j]

    def ref(j: int, i: np.ndarray) -> tuple[np.ndarray, float]:
        return (train_cols[i], step_h) if j == 0 else (offsets[j] + i, 1.0)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    row = 0
    for j in range(1, levels):
        i = np.arange(node_count[j])
        r = row + i
        rows.append(r)
        cols.append(offsets[j] + i)
        vals.append(np.ones(len(i)))
        for child in (2 * i, 2 * i + 1):
            ok = child < node_count[j - 1]
            c, v = ref(j - 1, child[ok])
            rows.append(r[ok])
            cols.append(c)
            vals.append(np.full(int(ok.sum()), -v))
        row += node_count[j]
    block_rows = row
    n = np.arange(1, periods + 1)
    for j in range(levels):
        take = ((n >> j) & 1).astype(bool)
        c, v = ref(j, (n[take] >> j) - 1)
        rows.append(block_rows + np.flatnonzero(take))
        cols.append(c)
        vals.append(np.full(len(c), v))
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(block_rows + periods, next_col),
    )
    return matrix, block_rows, next_col - first_col


def build_prefix_lp(site: SiteModel, w: Window) -> tuple[highspy.HighsLp, _Layout]:
    """The dispatch LP of :func:`wattswitch.dispatch.lp.solve_window` with the backlog as prefix rows.

    Columns keep the layout of :class:`wattswitch.dispatch.lp._Layout` except the backlog block
    (the last ``periods`` columns), which is replaced by the block sums.
    """
    periods = len(w.price_usd_per_mwh)
    lay = _Layout(site.asic_count, periods)
    available = site.training_available_nodes(w.inference_load_fraction)
    base_mw = np.asarray(site.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
    indptr, indices, values, rows = constraint_matrix(site, lay, w, base_mw)
    row_lower, row_upper = row_bounds(site, lay, w, base_mw)
    # drop the backlog chain: its rows come last, its columns too
    kept_rows, kept_cols = rows - periods, lay.columns - periods
    chain = sparse.csc_matrix((values, indices, indptr), shape=(rows, lay.columns))
    head = chain[:kept_rows, :kept_cols].tocoo()
    tree, block_rows, new_cols = _tree_rows(periods, lay.train, site.step_h, kept_cols)
    columns = kept_cols + new_cols
    matrix = sparse.coo_matrix(
        (
            np.concatenate((head.data, tree.data)),
            (np.concatenate((head.row, tree.row + kept_rows)), np.concatenate((head.col, tree.col))),
        ),
        shape=(kept_rows + tree.shape[0], columns),
    ).tocsc()
    cumulative = np.cumsum(np.asarray(w.training_arrivals_node_hours, dtype=float))
    cumulative += w.backlog_before_node_hours

    train_upper = np.maximum(np.asarray(available, dtype=float), 0.0)
    cost = np.zeros(columns)
    cost[:kept_cols] = objective(site, lay, w)[:kept_cols]
    lp = maximisation(
        cost=cost,
        col_bounds=column_bounds(site, lay, w, base_mw, columns=columns, training_upper=train_upper),
        row_bounds=(
            np.concatenate((row_lower[:kept_rows], np.zeros(block_rows), np.full(periods, -np.inf))),
            np.concatenate((row_upper[:kept_rows], np.zeros(block_rows), cumulative)),
        ),
        matrix=matrix,
    )
    return lp, lay


def solve_prefix(site: SiteModel, w: Window) -> Plan:
    """Solve the window's dispatch LP in its prefix-sum form; same optimum as ``solve_window``."""
    lp, lay = build_prefix_lp(site, w)
    return solve_plan(lp, lay)
