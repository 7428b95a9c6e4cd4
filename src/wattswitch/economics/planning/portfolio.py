"""Which sites to convert under a capex budget.

Each feasible site offers its conversion strategies (convert, phased) with positive NPV gained
over keeping the mine; keeping the mine costs nothing. The choice of at most one option per site
maximises the total NPV gained with total capex within the budget — exactly (enumeration) for up
to ``EXACT_SITE_LIMIT`` sites, greedily by profitability index (NPV gained per capex dollar)
beyond. Sites are ranked by the profitability index of their best option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wattswitch.economics.planning.plan import SitePlan

EXACT_SITE_LIMIT = 10


@dataclass(frozen=True)
class Option:
    """Converting one site with one strategy: its capex and the NPV it adds over mining."""

    site: str
    strategy: str
    capex_usd: float
    incremental_npv_usd: float

    @property
    def profitability_index(self) -> float:
        """NPV gained per dollar of capex."""
        return self.incremental_npv_usd / self.capex_usd if self.capex_usd > 0 else float("inf")


@dataclass(frozen=True)
class PortfolioEntry:
    """One site's place in the ranking and what the budget does with it."""

    rank: int
    site: str
    best: Option | None
    chosen_strategy: str
    funded: bool
    reason: str


@dataclass(frozen=True)
class Portfolio:
    """The ranked sites, the chosen conversions and what they use of the budget."""

    budget_usd: float | None
    entries: tuple[PortfolioEntry, ...]
    exact: bool

    @property
    def capex_used_usd(self) -> float:
        """Capex of the funded conversions."""
        return sum(e.best.capex_usd for e in self.entries if e.funded and e.best is not None)

    @property
    def incremental_npv_usd(self) -> float:
        """NPV the funded conversions add over keeping every site mining."""
        return sum(e.best.incremental_npv_usd for e in self.entries if e.funded and e.best is not None)


def site_options(plan: SitePlan) -> list[Option]:
    """Feasible conversion strategies of a site that add NPV over keeping the mine."""
    return [
        Option(plan.site.name, r.strategy, r.capex_usd, r.incremental_npv_usd)
        for r in plan.strategies
        if r.strategy != "keep_mining" and r.feasible and r.incremental_npv_usd > 0
    ]


def _best_exact(options: list[list[Option]], budget: float) -> list[Option | None]:
    best_value = 0.0
    best_pick: list[Option | None] = [None] * len(options)
    # upper bound of what sites i.. can still add, for pruning
    remaining = [0.0] * (len(options) + 1)
    for i in range(len(options) - 1, -1, -1):
        remaining[i] = remaining[i + 1] + max((o.incremental_npv_usd for o in options[i]), default=0.0)

    def search(i: int, spent: float, value: float, pick: list[Option | None]) -> None:
        nonlocal best_value, best_pick
        if value + remaining[i] <= best_value:
            return
        if i == len(options):
            best_value, best_pick = value, list(pick)
            return
        for option in options[i]:
            if spent + option.capex_usd <= budget:
                search(i + 1, spent + option.capex_usd, value + option.incremental_npv_usd, [*pick, option])
        search(i + 1, spent, value, [*pick, None])

    search(0, 0.0, 0.0, [])
    return best_pick


def _best_greedy(options: list[list[Option]], budget: float) -> list[Option | None]:
    pick: list[Option | None] = [None] * len(options)
    spent = 0.0
    flat = sorted(((o, i) for i, opts in enumerate(options) for o in opts),
                  key=lambda item: item[0].profitability_index, reverse=True)
    for option, i in flat:
        if pick[i] is None and spent + option.capex_usd <= budget:
            pick[i] = option
            spent += option.capex_usd
    return pick


def select_options(
    options: Sequence[Sequence[Option]], budget_usd: float | None
) -> tuple[list[Option | None], bool]:
    """At most one option per site, maximising NPV gained within the budget; also says if exact."""
    budget = float("inf") if budget_usd is None else budget_usd
    lists = [list(o) for o in options]
    exact = len(lists) <= EXACT_SITE_LIMIT
    return (_best_exact(lists, budget) if exact else _best_greedy(lists, budget)), exact


def rank_sites(plans: Sequence[SitePlan], budget_usd: float | None = None) -> Portfolio:
    """Rank sites for conversion and fund the best set within ``budget_usd`` (None: no limit)."""
    options = [site_options(p) for p in plans]
    pick, exact = select_options(options, budget_usd)
    rows = []
    for plan, opts, chosen in zip(plans, options, pick, strict=True):
        best = max(opts, key=lambda o: o.incremental_npv_usd, default=None)
        if chosen is not None:
            best, reason = chosen, "funded"
        elif not plan.feasibility.feasible:
            reason = "blocked: " + "; ".join(f.message for f in plan.feasibility.blockers)
        elif best is None:
            reason = "converting adds no NPV over mining"
        else:
            reason = "not funded within the budget"
        rows.append((plan.site.name, best, chosen is not None, reason))
    rows.sort(key=lambda r: (r[1] is None, -(r[1].profitability_index if r[1] else 0.0)))
    entries = tuple(
        PortfolioEntry(i + 1, name, best, best.strategy if funded and best else "keep_mining", funded, reason)
        for i, (name, best, funded, reason) in enumerate(rows)
    )
    return Portfolio(budget_usd, entries, exact)
