"""Helpers several policies share: breakevens and fitting a split under a power cap."""

from __future__ import annotations

import numpy as np

from wattswitch.dispatch.rows import KnownRows
from wattswitch.model.observation import Observation
from wattswitch.model.site_model import SiteModel


def marginal_price_usd_per_mwh(site: SiteModel, price_usd_per_mwh: float, load_mw: float) -> float:
    """What one more MWh costs: the real-time price, plus the adder when above the PPA block."""
    return price_usd_per_mwh + (site.rt_adder_usd_per_mwh if load_mw >= site.ppa_block_mw else 0.0)


def training_breakeven_usd_per_mwh(site: SiteModel) -> float:
    """Energy price above which a training node earns less than its extra power costs."""
    per_node_mw = site.training_node_busy_mw - site.training_node_idle_mw
    return site.training_usd_per_node_hour / per_node_mw if per_node_mw > 0 else float("inf")


def fit_to_cap(
    site: SiteModel, obs: Observation, normal: np.ndarray, low: np.ndarray, training_nodes: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Trim ASICs (least efficient first), then training, so the expected load fits the cap in force.

    ``training_nodes`` is an upper bound ("up to"); it is returned as is unless it must shrink.

    The expected GPU load uses last interval's must-serve load and available nodes; the
    simulator still enforces the cap against the actual load.
    """
    cap = float(obs.power_cap_mw[obs.t])
    training = min(training_nodes, obs.training_available_nodes_last)  # the load we expect
    gpu_mw = (
        obs.must_serve_gpu_mw_last
        + obs.training_available_nodes_last * site.training_node_idle_mw
        + training * (site.training_node_busy_mw - site.training_node_idle_mw)
    )
    low_unit = site.asic_power_mw * site.asic_low_power_fraction
    excess = float((normal * site.asic_power_mw + low * low_unit).sum()) + gpu_mw - cap
    normal, low = normal.copy(), low.copy()
    for g in site.shed_order:
        for units, unit_mw in ((low, low_unit[g]), (normal, site.asic_power_mw[g])):
            if excess > 0 and units[g] > 0:
                cut = min(excess, float(units[g] * unit_mw))
                units[g] -= cut / unit_mw
                excess -= cut
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    if excess > 0 and per_node > 0:
        return np.maximum(normal, 0.0), np.maximum(low, 0.0), max(0.0, training - excess / per_node)
    return np.maximum(normal, 0.0), np.maximum(low, 0.0), training_nodes


def fit_to_cap_rows(
    site: SiteModel, known: KnownRows, normal: np.ndarray, low: np.ndarray, training_nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fit_to_cap` for many rows at once (groups × rows), float for float the same."""
    cap = known.power_cap_mw
    available_last = known.training_available_nodes_last
    training = np.minimum(training_nodes, available_last)
    per_node = site.training_node_busy_mw - site.training_node_idle_mw
    gpu_mw = known.must_serve_gpu_mw_last + available_last * site.training_node_idle_mw + training * per_node
    low_unit = site.asic_power_mw * site.asic_low_power_fraction
    excess = (normal * site.asic_power_mw[:, None] + low * low_unit[:, None]).sum(axis=0) + gpu_mw - cap
    normal, low = normal.copy(), low.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for g in site.shed_order:
            for units, unit_mw in ((low, low_unit[g]), (normal, site.asic_power_mw[g])):
                row = units[g]
                cutting = (excess > 0) & (row > 0)
                if cutting.any():
                    cut = np.minimum(excess, row * unit_mw)
                    units[g] = np.where(cutting, row - cut / unit_mw, row)
                    excess = np.where(cutting, excess - cut, excess)
    if per_node > 0:
        over = excess > 0
        training_out = np.where(over, np.maximum(0.0, training - excess / per_node), training_nodes)
    else:
        training_out = np.asarray(training_nodes, dtype=float)
    return np.maximum(normal, 0.0), np.maximum(low, 0.0), training_out
