"""Choosing conversions under a capex budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattswitch.data.site_file import load_site
from wattswitch.economics.planning import portfolio as portfolio_module
from wattswitch.economics.planning.plan import plan_site
from wattswitch.economics.planning.portfolio import Option, rank_sites, select_options

EXAMPLES = Path(__file__).parents[2] / "examples" / "sites"


def _options() -> list[list[Option]]:
    return [
        [Option("A", "convert", 600.0, 60.0)],                                   # index 0.10
        [Option("B", "convert", 500.0, 55.0), Option("B", "phased", 300.0, 40.0)],  # 0.11, 0.133
        [Option("C", "convert", 400.0, 44.0)],                                   # 0.11
    ]


def test_exact_choice_beats_greedy_when_the_budget_binds() -> None:
    pick, exact = select_options(_options(), 1000.0)
    assert exact
    chosen = sorted((o.site, o.strategy) for o in pick if o is not None)
    # A (600) + phased B (300) = 900 → 100; B convert + C = 900 → 99; A + C = 1000 → 104 is best
    assert chosen == [("A", "convert"), ("C", "convert")]
    assert sum(o.incremental_npv_usd for o in pick if o is not None) == pytest.approx(104.0)


def test_greedy_fallback_for_many_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portfolio_module, "EXACT_SITE_LIMIT", 1)
    pick, exact = select_options(_options(), 1000.0)
    assert not exact
    chosen = sorted((o.site, o.strategy) for o in pick if o is not None)
    assert chosen == [("B", "phased"), ("C", "convert")]  # highest NPV per dollar first


def test_no_budget_funds_every_best_option() -> None:
    pick, _ = select_options(_options(), None)
    assert [o.strategy if o else None for o in pick] == ["convert", "convert", "convert"]


def test_example_sites_ranked_under_a_budget() -> None:
    plans = [plan_site(load_site(p)) for p in sorted(EXAMPLES.glob("*.toml"))]
    portfolio = rank_sites(plans, 2e9)
    assert portfolio.capex_used_usd <= 2e9
    entries = {e.site: e for e in portfolio.entries}
    assert entries["Bluegrass 80"].reason.startswith("blocked")
    assert not entries["Bluegrass 80"].funded
    assert entries["Permian 200"].funded
    assert entries["Permian 200"].rank == 1
    unlimited = rank_sites(plans, None)
    assert unlimited.incremental_npv_usd >= portfolio.incremental_npv_usd
    tight = rank_sites(plans, 1e8)
    assert tight.capex_used_usd == 0.0
    assert all(e.reason in {"not funded within the budget", "converting adds no NPV over mining"}
               or e.reason.startswith("blocked") for e in tight.entries)
