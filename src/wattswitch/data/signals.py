"""A scenario's signals on its own step: read from the files it names, else generated (seeded)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress

from wattswitch.data.align import align
from wattswitch.data.bitcoin import load_bitcoin
from wattswitch.data.inference import diurnal_profile, load_inference
from wattswitch.data.jobs import load_jobs
from wattswitch.data.prices import load_grid_load, load_prices, looks_like_prices
from wattswitch.data.synthetic import generate_signals
from wattswitch.errors import InputError
from wattswitch.model.scenario import Scenario
from wattswitch.model.timeseries import TimeSeries
from wattswitch.model.traces import JobTrace, RequestTrace

RT_PRICE = "rt_price_usd_per_mwh"
DA_PRICE = "da_price_usd_per_mwh"
SYSTEM_LOAD = "system_load_mw"
HASHPRICE = "hashprice_usd_per_ph_day"
INFERENCE = "inference_load_fraction"
SYSTEM_LOAD_COLUMN = "ERCOT_TOTAL"
HASHPRICE_SMOOTHING_DAYS = 7


@dataclass(frozen=True)
class ScenarioSignals:
    """Every signal as a one-column series on the scenario's grid, plus the training jobs.

    ``native_step_s`` is the step each signal was recorded at, before it was laid on the grid.
    """

    series: dict[str, TimeSeries]
    training_jobs: JobTrace | None
    notes: tuple[str, ...] = field(default=())
    native_step_s: dict[str, int] = field(default_factory=dict)
    inference_requests: RequestTrace | None = None


def _one_column(series: TimeSeries, column: str, source: str) -> TimeSeries:
    if column not in series.frame.columns:
        if looks_like_prices(series.columns):
            raise InputError(source, "this file holds hub prices, not system load",
                             expected="a load file here (ERCOT_TOTAL in MW); give prices as --prices")
        raise InputError(source, f"no column {column!r}", expected=f"one of {', '.join(series.columns)}")
    return TimeSeries(series.frame[[column]], series.step_s, series.unit, series.source)


def _generated(scenario: Scenario) -> tuple[dict[str, TimeSeries], JobTrace]:
    max_gpus = max((g.gpu_count for g in scenario.gpu_groups), default=8)
    queue = scenario.training_queue
    generated = generate_signals(
        scenario.signals.synthetic,
        scenario.start_utc,
        scenario.end_utc,
        scenario.step_s,
        scenario.site.timezone,
        mean_jobs_per_day=queue.mean_jobs_per_day if queue is not None else 0.0,
        max_gpus=max_gpus,
    )
    series = {
        RT_PRICE: generated.rt_price,
        DA_PRICE: generated.da_price,
        SYSTEM_LOAD: generated.system_load,
        HASHPRICE: generated.hashprice,
        INFERENCE: generated.inference_demand,
    }
    return series, generated.training_jobs


def _from_files(scenario: Scenario, series: dict[str, TimeSeries]) -> list[str]:
    """Replace generated signals by the files the scenario names; returns notes on what was used."""
    sources = scenario.signals
    notes: list[str] = []
    hub = sources.hub or scenario.site.hub
    if sources.prices_file:
        series[RT_PRICE] = load_prices(sources.prices_file, hub=hub)
        notes.append(f"real-time prices: {sources.prices_file} ({hub})")
    if sources.day_ahead_prices_file:
        series[DA_PRICE] = load_prices(sources.day_ahead_prices_file, hub=hub)
        notes.append(f"day-ahead prices: {sources.day_ahead_prices_file} ({hub})")
    if sources.grid_load_file:
        loaded = load_grid_load(sources.grid_load_file)
        series[SYSTEM_LOAD] = _one_column(loaded, SYSTEM_LOAD_COLUMN, sources.grid_load_file)
        notes.append(f"system load: {sources.grid_load_file} ({SYSTEM_LOAD_COLUMN})")
    if sources.bitcoin_file:
        loaded = load_bitcoin(sources.bitcoin_file, smoothing_days=HASHPRICE_SMOOTHING_DAYS)
        series[HASHPRICE] = _one_column(loaded, HASHPRICE, sources.bitcoin_file)
        notes.append(f"hashprice: {sources.bitcoin_file} ({HASHPRICE_SMOOTHING_DAYS}-day mean)")
    return notes


def build_signals(scenario: Scenario, *, show_progress: bool = False) -> ScenarioSignals:
    """Load or generate every signal and lay it on ``[start_utc, end_utc)`` at the scenario's step.

    Gaps in real files stay NaN and are reported in ``notes``; nothing is filled here.
    """
    console = Console(stderr=True)  # no bar (and no blank lines) when stderr is not a terminal
    hidden = not show_progress or not console.is_terminal
    with Progress(transient=True, disable=hidden, console=console) as progress:
        task = progress.add_task("building signals", total=3)
        series, jobs = _generated(scenario)
        progress.advance(task)
        notes = _from_files(scenario, series)
        if scenario.signals.jobs_file:
            jobs = load_jobs(scenario.signals.jobs_file)
            notes.append(f"training jobs: {scenario.signals.jobs_file}")
            if jobs.origin_utc is None:
                notes.append("training jobs: the trace's times are relative; its first job starts the run")
            if jobs.cpu_only_jobs_left_out:
                left_out = jobs.cpu_only_jobs_left_out
                notes.append(f"training jobs: {left_out:,} rows asking for 0 GPUs left out (CPU-only)")
        requests = None
        if scenario.signals.inference_file:
            requests = load_inference(scenario.signals.inference_file)
            series[INFERENCE] = _inference_shape(requests, series[INFERENCE], scenario.site.timezone, notes)
        progress.advance(task)
        aligned = align(series, scenario.start_utc, scenario.end_utc, scenario.step_s)
        progress.advance(task)
    on_grid: dict[str, TimeSeries] = {}
    for name, original in series.items():
        frame = aligned.frame[[name]]
        on_grid[name] = TimeSeries(frame, scenario.step_s, original.unit, original.source)
        missing = aligned.missing_intervals[name]
        if missing:
            notes.append(f"{name}: {missing:,} of {len(frame):,} intervals missing in {original.source}")
    native = {name: original.step_s for name, original in series.items()}
    return ScenarioSignals(
        series=on_grid, training_jobs=jobs, notes=tuple(notes), native_step_s=native,
        inference_requests=requests,
    )


def _inference_shape(
    requests: RequestTrace, generated: TimeSeries, timezone: str, notes: list[str]
) -> TimeSeries:
    """The inference demand shape from a request trace: its daily profile by local hour, scaled to
    a peak of 1 (and floored at 10 %), where the trace spans a day; else the generated shape."""
    source = requests.source
    if requests.origin_utc is None or requests.span_s < 86400:
        notes.append(
            f"inference: {source} spans {requests.span_s / 3600:.1f} h, less than a day: its token sizes "
            "and short-term bursts are used on the generated daily shape"
        )
        return generated
    profile = diurnal_profile(requests)
    smooth = np.mean([np.roll(profile, k) for k in (-1, 0, 1)], axis=0)
    shape = np.maximum(smooth / smooth.max(), 0.1)
    index = generated.frame.index
    local_hour = pd.DatetimeIndex(index).tz_convert(timezone).hour.to_numpy()
    frame = pd.DataFrame({generated.frame.columns[0]: shape[local_hour]}, index=index)
    notes.append(
        f"inference: daily shape, token sizes and bursts from {source} (its clock's hours taken as local)"
    )
    return TimeSeries(frame, generated.step_s, generated.unit, source)
