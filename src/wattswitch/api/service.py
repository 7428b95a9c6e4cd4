"""What the routes do besides reading rows: validate scenarios (including which files they may
read), resolve a run's horizon, run simulations, compute plans."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wattswitch.data.scenario_file import checked_as_written
from wattswitch.data.signals import build_signals
from wattswitch.data.site_build import build_site
from wattswitch.economics.planning.plan import plan_site
from wattswitch.errors import InputError, ModelError, shown
from wattswitch.json_safe import finite
from wattswitch.metrics.summary import ledger_summary
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_assessment import SiteAssessment
from wattswitch.report.plan_data import plan_to_dict
from wattswitch.sim.runner import BASELINE, BOUND, compare
from wattswitch.store import codec
from wattswitch.store.series import Series, input_series, ledger_series

FILE_FIELDS = (
    "prices_file",
    "day_ahead_prices_file",
    "bitcoin_file",
    "grid_load_file",
    "jobs_file",
    "inference_file",
)


def parse_scenario(plain: dict[str, Any] | None, toml: str | None, data_dir: Path | None) -> Scenario:
    """A scenario from exactly one of JSON or TOML, whose signal files lie inside ``data_dir``."""
    if (plain is None) == (toml is None):
        raise InputError("request", "give exactly one of scenario (JSON) or toml (text)", field="scenario")
    if plain is not None:  # (TOML is checked as written by its parser)
        scenario = checked_as_written(codec.scenario_from_json(plain), "scenario")
    else:
        scenario = codec.scenario_from_toml(str(toml))
    resolve_signal_files(scenario, data_dir)  # refuses files outside the folder; stored as written
    return scenario


def resolve_signal_files(scenario: Scenario, data_dir: Path | None) -> Scenario:
    """The scenario with every signal file resolved once against the data folder, as the worker opens it.

    A path must be relative and must stay inside the folder once resolved (``..`` and symlinks
    pointing out are refused): the server reads no other file, whatever its working directory.
    """
    resolved: dict[str, Any] = {}
    for name in FILE_FIELDS:
        value = getattr(scenario.signals, name)
        if value is not None:
            resolved[name] = str(_data_file(str(value), data_dir, f"scenario.signals.{name}"))
    if not resolved:
        return scenario
    return dataclasses.replace(scenario, signals=dataclasses.replace(scenario.signals, **resolved))


def _data_file(value: str, data_dir: Path | None, field: str) -> Path:
    expected = "a path relative to WATTSWITCH_DATA"
    if data_dir is None:
        raise InputError(
            "scenario",
            "this server reads no signal files (WATTSWITCH_DATA is not set)",
            field=field,
            expected="no file (generated signals)",
        )
    if Path(value).is_absolute():
        raise InputError("scenario", f"absolute path {shown(value)}", field=field, expected=expected)
    root = data_dir.resolve()
    try:
        path = (root / value).resolve()
    except (OSError, ValueError) as err:
        raise InputError("scenario", f"bad path {shown(value)}", field=field, expected=expected) from err
    if not path.is_relative_to(root):
        problem = f"{shown(value)} leads outside the data folder"
        raise InputError("scenario", problem, field=field, expected=expected)
    if not path.is_file():
        problem = f"no file {shown(value)} in the data folder"
        raise InputError("scenario", problem, field=field, expected=expected)
    return path


def parse_assessment(plain: dict[str, Any] | None, toml: str | None) -> SiteAssessment | None:
    """A site assessment from JSON or TOML (None when neither is given; both is an error)."""
    if plain is not None and toml is not None:
        raise InputError(
            "request", "give at most one of assessment (JSON) or assessment_toml (text)", field="assessment"
        )
    if plain is not None:
        return codec.site_from_json(plain)
    if toml is not None:
        return codec.site_from_toml(toml)
    return None


def _local_midnight_utc(day: date, timezone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def run_scenario(
    scenario: Scenario, start: date | None, end: date | None, step_s: int | None, max_days: int
) -> Scenario:
    """The scenario with a run's horizon and step applied, checked and no longer than ``max_days``."""
    changes: dict[str, Any] = {}
    timezone = scenario.site.timezone
    if start is not None:
        changes["start_utc"] = _local_midnight_utc(start, timezone)
    if end is not None:
        changes["end_utc"] = _local_midnight_utc(end, timezone)
    if step_s is not None:
        changes["step_s"] = step_s
    try:
        chosen = dataclasses.replace(scenario, **changes)
    except ModelError as err:
        field = "end" if "end_utc" in str(err) else "start" if "start_utc" in str(err) else "step_s"
        raise InputError("run", str(err).split(": ", 1)[-1], field=field) from err
    days = (chosen.end_utc - chosen.start_utc).total_seconds() / 86400
    if days > max_days:
        raise InputError(
            "run",
            f"the horizon is {days:,.0f} days",
            field="end",
            expected=f"at most {max_days} days (WATTSWITCH_MAX_RUN_DAYS)",
        )
    return chosen


Reporter = Callable[[float], None]


def simulate(
    scenario: Scenario, policies: list[str], report: Reporter
) -> tuple[dict[str, Any], list[Series]]:
    """Run the policies (plus always-on and the oracle) and return the metrics and hourly series.

    ``report`` gets the overall progress in [0, 1] (a run in progress is stopped by ending its process).
    """
    report(0.0)
    signals = build_signals(scenario)
    site = build_site(scenario, signals)
    wanted = list(dict.fromkeys([BASELINE, *policies, BOUND]))
    share = 0.95 / len(wanted)
    report(0.05)
    order = {name: i for i, name in enumerate(wanted)}

    def factory(name: str) -> Callable[[int, int], None]:
        def update(done: int, total: int) -> None:
            report(0.05 + share * (order[name] + (done / total if total else 1.0)))

        return update

    result = compare(site, policies, factory)
    notes = list(signals.notes)
    if site.inputs.filled_price_intervals:
        notes.append(
            f"{site.inputs.filled_price_intervals:,} price intervals bridged with the last known price"
        )
    metrics = {
        "policies": {n: ledger_summary(ledger, result.capture[n]) for n, ledger in result.ledgers.items()},
        "notes": notes,
        "start_utc": codec.jsonable(scenario.start_utc),
        "end_utc": codec.jsonable(scenario.end_utc),
        "step_s": scenario.step_s,
        "periods": scenario.periods,
    }
    ledgers = list(result.ledgers.values())
    series = input_series(ledgers[0]) + [s for ledger in ledgers for s in ledger_series(ledger)]
    return finite(metrics), series


def compute_plan(assessment: SiteAssessment) -> dict[str, Any]:
    """The full plan of a site as plain JSON."""
    return dict(finite(plan_to_dict(plan_site(assessment))))
