"""Calendars a run needs before its first step: caps in force, DR payments, DA publication, 4CP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.model.inputs import SiteInputs
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel

# ERCOT posts day-ahead market results by about 13:30 Central the day before delivery.
DA_PUBLISH_HOUR_LOCAL = 14


@dataclass(frozen=True)
class RunSchedule:
    """Per-interval calendars derived from the scenario and the inputs."""

    power_cap_mw: np.ndarray
    dr_usd_per_h: np.ndarray
    da_known_until: np.ndarray
    rt_known_until: np.ndarray
    load_known_until: np.ndarray
    four_cp_usd_per_mw: np.ndarray
    four_cp_peaks: tuple[int, ...]
    four_cp_months_without_load: tuple[int, ...]


def power_caps(scenario: Scenario, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The site limit, lowered by demand-response caps, and DR payments per hour of each interval.

    An event is paid ``payment_usd_per_mwh`` for each MW between the site limit and its cap,
    for every hour it lasts (capacity made available; the cap itself is enforced in ``apply``).
    """
    step_s = scenario.step_s
    limit = scenario.site.interconnect_limit_mw
    caps = np.full(periods, limit)
    pay = np.zeros(periods)
    for event in scenario.demand_response_events:
        first = int((event.start_utc - scenario.start_utc).total_seconds() // step_s)
        last = int(np.ceil((event.end_utc - scenario.start_utc).total_seconds() / step_s))
        first, last = max(first, 0), min(last, periods)
        if first >= last:
            continue
        caps[first:last] = np.minimum(caps[first:last], event.cap_mw)
        pay[first:last] += event.payment_usd_per_mwh * max(0.0, limit - event.cap_mw)
    return caps, pay


def da_known_until(inputs: SiteInputs) -> np.ndarray:
    """For each interval t, the first interval whose day-ahead price is not yet published at t.

    Day-ahead prices for local day D are known from 14:00 local on D-1; intervals of the
    current local day are always known.
    """
    hour = inputs.local_hour
    periods = inputs.periods
    new_day = np.flatnonzero(np.diff(hour) < -12) + 1  # midnight, not the repeated DST hour
    day_starts = np.concatenate(([0], new_day, [periods]))
    known = np.empty(periods, dtype=np.int64)
    for k in range(len(day_starts) - 1):
        start, stop = day_starts[k], day_starts[k + 1]
        next_stop = day_starts[k + 2] if k + 2 < len(day_starts) else periods
        published = hour[start:stop] >= DA_PUBLISH_HOUR_LOCAL
        known[start:stop] = np.where(published, next_stop, stop)
    return known


def settled_until(scenario: Scenario, periods: int, native_step_s: int) -> np.ndarray:
    """For each interval t, the first interval whose value of a signal recorded every
    ``native_step_s`` is not yet known at t.

    A value recorded at a coarser step than the grid (an hourly load on 15-min intervals) is
    an average over its whole period, so it is known only once that period ends; its periods
    start on multiples of ``native_step_s`` since the Unix epoch, as the files' hours do. At
    the grid's own step (or 0) this is ``t``: everything before the interval is known.
    """
    step_s = scenario.step_s
    intervals = np.arange(periods, dtype=np.int64)
    if native_step_s <= step_s:
        return intervals
    start_s = int(scenario.start_utc.timestamp()) + intervals * step_s
    into_period_s = start_s % native_step_s
    return np.asarray(np.maximum(intervals - into_period_s // step_s, 0))


def four_cp_weights(
    site: SiteModel, inputs: SiteInputs
) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """USD charged per MW of site load in each interval under 4CP (non-zero only at the peaks).

    For each 4CP month in the horizon (each calendar month separately) the system peak is the
    interval (or the equal-valued intervals of an hourly series) with the highest system load;
    the annual charge is the rate × the site's mean kW over the four peaks. Months without
    load data are returned so the report can say the charge there is unknown.
    """
    weights = np.zeros(inputs.periods)
    peaks: list[int] = []
    unknown: list[int] = []
    if not site.four_cp_usd_per_kw_year:
        return weights, (), ()
    per_peak_usd_per_mw = site.four_cp_usd_per_kw_year * 1000.0 / 4.0
    month = inputs.local_month
    run_starts = np.concatenate(([0], np.flatnonzero(np.diff(month) != 0) + 1))
    run_stops = np.concatenate((run_starts[1:], [inputs.periods]))
    for start, stop in zip(run_starts, run_stops, strict=True):
        if int(month[start]) not in site.four_cp_months:
            continue
        load = inputs.system_load_mw[start:stop]
        if np.isnan(load).all():
            unknown.append(int(month[start]))
            continue
        at_peak = start + np.flatnonzero(load == np.nanmax(load))
        weights[at_peak] = per_peak_usd_per_mw / len(at_peak)
        peaks.append(int(at_peak[0]))
    return weights, tuple(peaks), tuple(unknown)


def run_schedule(scenario: Scenario, site: SiteModel, inputs: SiteInputs) -> RunSchedule:
    """All calendars of a run."""
    caps, pay = power_caps(scenario, inputs.periods)
    weights, peaks, unknown = four_cp_weights(site, inputs)
    return RunSchedule(
        power_cap_mw=caps,
        dr_usd_per_h=pay,
        da_known_until=da_known_until(inputs),
        rt_known_until=settled_until(scenario, inputs.periods, inputs.rt_price_native_step_s),
        load_known_until=settled_until(scenario, inputs.periods, inputs.system_load_native_step_s),
        four_cp_usd_per_mw=weights,
        four_cp_peaks=peaks,
        four_cp_months_without_load=unknown,
    )
