"""The simulation report: one self-contained page with the summary, the spike week, the monthly
revenue and the cumulative profit of every policy."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import numpy as np
import pytest

from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.signals import build_signals
from wattswitch.errors import ModelError
from wattswitch.model.scenario import Scenario
from wattswitch.report.simulation_report import (
    bucket_intervals,
    choose_week,
    interval_profit_usd,
    render_simulation_report,
)
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.runner import POLICY_NAMES, Comparison, compare

Run = tuple[Scenario, Comparison, tuple[str, ...]]
SECTIONS = (
    "Summary by policy",
    "The week with the largest price spike",
    "Monthly revenue by stream",
    "Cumulative profit",
    "Notes on the inputs",
)


@pytest.fixture(scope="module")
def run(scenario: Scenario) -> tuple[Scenario, Comparison, tuple[str, ...]]:
    """Ten summer days of the default scenario (crossing a month end and a 4CP peak), every policy."""
    start = scenario.start_utc + timedelta(days=180)
    short = dataclasses.replace(scenario, start_utc=start, end_utc=start + timedelta(days=10))
    signals = build_signals(short)
    site = SimulatedSite(short, site_inputs(short, signals))
    return short, compare(site), (*signals.notes, "a note with <markup> & more")


@pytest.fixture(scope="module")
def page(run: Run) -> str:
    scenario, comparison, notes = run
    return render_simulation_report(scenario, comparison, focus="mpc", notes=notes)


def test_page_has_every_section_and_policy(page: str) -> None:
    assert page.startswith("<!doctype html>")
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page
    for name in POLICY_NAMES:
        assert f"<th class=\"n\">{name}</th>" in page or f'<th class="n focus">{name}</th>' in page
    assert '<th class="n focus">mpc</th>' in page
    assert "Permian Flats" in page
    assert "960 intervals of 15 min" in page


def test_one_well_formed_svg_per_chart(page: str) -> None:
    charts = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(charts) == 3
    for chart in charts:
        ET.fromstring(chart)
    week, monthly, cumulative = charts
    assert "power split against the real-time price" in week
    assert "site limit" in week
    assert "mining s21" in week
    assert "AI training" in week
    assert "revenue by stream" in monthly
    assert "Cumulative profit" in cumulative


def test_page_is_self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*https?://", page, flags=re.I)
    assert not re.search(r"\s(src|href)\s*=", page, flags=re.I)


def test_notes_are_listed_and_escaped(page: str) -> None:
    assert "<li>a note with &lt;markup&gt; &amp; more</li>" in page
    assert "4CP system peaks used" in page


def test_the_chosen_week_holds_the_spike(run: Run, page: str) -> None:
    _, comparison, _ = run
    inputs = comparison.ledgers["mpc"].inputs
    spike = float(inputs.rt_price_usd_per_mwh.max())
    week = choose_week(inputs.rt_price_usd_per_mwh, inputs.local_hour, 900)
    assert week.stop - week.start == 7 * 96
    assert week.start <= int(np.argmax(inputs.rt_price_usd_per_mwh)) < week.stop
    assert f"${spike:,.0f}/MWh" in page


def test_choose_week_starts_at_local_midnight_and_stays_inside() -> None:
    hours = np.tile(np.arange(96) / 4.0, 30)  # 30 local days at 15 min, midnight at index 0
    price = np.zeros(len(hours))
    price[20 * 96 + 50] = 900.0
    week = choose_week(price, hours, 900)
    assert (week.start, week.stop) == (17 * 96, 24 * 96)
    price[:] = 0.0
    price[-1] = 50.0  # spike on the last day: the window is shifted back inside the run
    week = choose_week(price, hours, 900)
    assert week.stop == len(hours)
    short = choose_week(price[:100], hours[:100], 900)
    assert (short.start, short.stop) == (0, 100)


def test_cumulative_profit_ends_on_the_totals(run: Run) -> None:
    _, comparison, _ = run
    for ledger in comparison.ledgers.values():
        assert interval_profit_usd(ledger).sum() == pytest.approx(ledger.totals["profit_usd"], abs=1e-3)


def test_a_year_at_five_minutes_is_drawn_with_few_points() -> None:
    periods = 365 * 288
    bucket = bucket_intervals(periods, 300)
    assert periods / bucket <= 750
    assert bucket == 12 * 12  # every 12 hours: 730 points
    assert bucket_intervals(960, 900) == 4


def test_unknown_focus_is_a_clear_error(run: Run) -> None:
    scenario, comparison, _ = run
    with pytest.raises(ModelError, match="'nope' is not among the policies run"):
        render_simulation_report(scenario, comparison, focus="nope")
