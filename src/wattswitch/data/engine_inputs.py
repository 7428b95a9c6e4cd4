"""Turn a scenario's signals into the arrays a simulation replays (gaps bridged and counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wattswitch.data.signals import (
    DA_PRICE,
    HASHPRICE,
    INFERENCE,
    RT_PRICE,
    SYSTEM_LOAD,
    ScenarioSignals,
)
from wattswitch.errors import InputError
from wattswitch.model.inputs import SiteInputs
from wattswitch.model.scenario import Scenario
from wattswitch.model.traces import JobTrace


def _values(signals: ScenarioSignals, name: str) -> np.ndarray:
    return signals.series[name].frame.iloc[:, 0].to_numpy(dtype=float)


# Gaps inside the data are bridged with the last known value (and counted); a file that starts
# later or ends earlier than the horizon by more than this is the wrong file or the wrong dates.
MAX_EDGE_GAP_S = 86400.0


def bridge_gaps(
    values: np.ndarray, label: str, index: pd.DatetimeIndex | None = None
) -> tuple[np.ndarray, int]:
    """Carry the last known value over gaps (the first known value before the start).

    Returns the bridged copy and how many intervals were bridged, so callers report it. With the
    grid's ``index``, data that starts after or ends before the horizon by more than a day is an
    error naming the dates, not months of invented prices.
    """
    missing = np.isnan(values)
    if missing.all():
        raise InputError(
            label,
            "no value at all in the scenario's horizon",
            expected="data covering the run's --start..--end (or a scenario horizon inside the file's span)",
        )
    if not missing.any():
        return values, 0
    if index is not None and len(index) > 1:
        _check_edges(missing, index, label)
    bridged = pd.Series(values).ffill().bfill().to_numpy()
    return bridged, int(missing.sum())


def _check_edges(missing: np.ndarray, index: pd.DatetimeIndex, label: str) -> None:
    step_s = (index[1] - index[0]).total_seconds()
    known = np.flatnonzero(~missing)
    first, last = int(known[0]), int(known[-1])
    late_s, early_s = first * step_s, (len(missing) - 1 - last) * step_s
    if early_s > MAX_EDGE_GAP_S:
        ends = index[last] + pd.Timedelta(seconds=step_s)
        raise InputError(
            label,
            f"the data ends {ends:%Y-%m-%d %H:%M} UTC, {early_s / 86400:,.1f} days before the run's end",
            expected=f"an --end on or before {ends:%Y-%m-%d}, or a file that covers the whole run",
        )
    if late_s > MAX_EDGE_GAP_S:
        raise InputError(
            label,
            f"the data starts {index[first]:%Y-%m-%d %H:%M} UTC, "
            f"{late_s / 86400:,.1f} days after the run's start",
            expected=f"a --start on or after {index[first]:%Y-%m-%d}, or a file that covers the whole run",
        )


def training_arrivals(jobs: JobTrace | None, scenario: Scenario) -> np.ndarray:
    """Node-hours of training work submitted in each interval (jobs outside the horizon dropped)."""
    periods, step_s = scenario.periods, scenario.step_s
    arrivals = np.zeros(periods)
    queue = scenario.training_queue
    if jobs is None or queue is None or jobs.frame.empty:
        return arrivals
    gpus_per_node = scenario.gpu_group(queue.gpu_group).gpus_per_node
    offset_s = 0.0
    if jobs.origin_utc is not None:
        offset_s = (jobs.origin_utc - pd.Timestamp(scenario.start_utc)).total_seconds()
    submit_s = jobs.frame["submit_s"].to_numpy(dtype=float) + offset_s
    node_hours = (
        jobs.frame["duration_s"].to_numpy(dtype=float)
        * jobs.frame["gpus"].to_numpy(dtype=float)
        / gpus_per_node
        / 3600.0
    )
    index = np.floor(submit_s / step_s).astype(np.int64)
    inside = (index >= 0) & (index < periods)
    np.add.at(arrivals, index[inside], node_hours[inside])
    return arrivals


def site_inputs(scenario: Scenario, signals: ScenarioSignals) -> SiteInputs:
    """The arrays of one run; real-time price and hashprice gaps are bridged and counted."""
    index = pd.DatetimeIndex(signals.series[RT_PRICE].frame.index)
    rt, filled = bridge_gaps(_values(signals, RT_PRICE), signals.series[RT_PRICE].source, index)
    hashprice, _ = bridge_gaps(_values(signals, HASHPRICE), signals.series[HASHPRICE].source, index)
    inference = np.clip(np.nan_to_num(_values(signals, INFERENCE), nan=0.0), 0.0, 1.0)
    local = index.tz_convert(scenario.site.timezone)
    return SiteInputs(
        rt_price_usd_per_mwh=rt,
        da_price_usd_per_mwh=_values(signals, DA_PRICE),
        system_load_mw=_values(signals, SYSTEM_LOAD),
        hashprice_usd_per_ph_day=hashprice,
        inference_load_fraction=inference,
        training_arrivals_node_hours=training_arrivals(signals.training_jobs, scenario),
        local_hour=(local.hour + local.minute / 60.0).to_numpy(dtype=float),
        local_month=local.month.to_numpy(dtype=np.int64),
        utc_day=(index.as_unit("s").asi8 // 86400).astype(np.int64),
        filled_price_intervals=filled,
        rt_price_native_step_s=signals.native_step_s.get(RT_PRICE, 0),
        system_load_native_step_s=signals.native_step_s.get(SYSTEM_LOAD, 0),
    )
