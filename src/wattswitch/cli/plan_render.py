"""Rich tables for ``wattswitch plan``: one site in full, many sites in brief, the portfolio."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from wattswitch.cli.render import label, money, number, value_column
from wattswitch.economics.planning.plan import SitePlan
from wattswitch.economics.planning.portfolio import Portfolio
from wattswitch.report.plan_data import payback_text, percent_text


def _table(title: str, headers: Sequence[str], right: Sequence[int] = ()) -> Table:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        if i in right:
            value_column(table, header)
        else:
            table.add_column(header)
    return table


def site_header(plan: SitePlan) -> str:
    """One line: name, location, power, what converts."""
    site, f = plan.site, plan.feasibility
    state = "[green]feasible[/]" if f.feasible else "[bold red]blocked[/]"
    return (f"[bold]{site.name}[/] — {site.location}: {site.power.energised_mw:g} MW energised, "
            f"{f.convertible_it_mw:,.1f} MW of IT convertible; {state}; recommended: "
            f"[bold]{label(plan.recommended)}[/]")


def feasibility_lines(plan: SitePlan) -> list[str]:
    """Blockers, upgrades and notes as markup lines."""
    f = plan.feasibility
    lines = [f"  [bold red]blocker:[/] {b.message}" for b in f.blockers]
    lines += [f"  upgrade: {u.message}" for u in f.upgrades]
    lines += [f"  [yellow]note:[/] {n.message}" for n in f.notes]
    return lines


def unit_economics_table(plan: SitePlan) -> Table:
    """Revenue per MWh and per MW-year of IT in each use."""
    table = _table("What a MW of IT earns", ("use", "$/MWh", "$/MW-year", "basis"), (1, 2))
    for use in plan.uses:
        table.add_row(use.use, number(use.revenue_usd_per_mwh), money(use.revenue_usd_per_mw_year), use.basis)
    return table


def capex_table(plan: SitePlan) -> Table:
    """Capex lines with low/high and basis."""
    capex = plan.capex
    table = _table(f"Capex for {capex.it_mw:,.1f} MW of IT (* = approximation)",
                   ("component", "low", "high", "basis"), (1, 2))
    for line in capex.lines:
        label = line.label + ("" if line.verified else " *")
        table.add_row(label, money(line.low_usd), money(line.high_usd), line.basis)
    table.add_row("[bold]total[/]", f"[bold]{money(capex.total_usd('low'))}[/]",
                  f"[bold]{money(capex.total_usd('high'))}[/]",
                  f"ex-GPU {money(capex.per_mw_it_usd('low', include_gpus=False))}–"
                  f"{money(capex.per_mw_it_usd('high', include_gpus=False))} per MW of IT")
    return table


def timeline_table(plan: SitePlan) -> Table:
    """Tasks with start, finish and slack; critical ones marked."""
    table = _table(
        f"Timeline: {plan.parallel.total_months:.1f} months with trades in parallel, "
        f"{plan.sequential.total_months:.1f} one after another",
        ("#", "task", "after #", "start month", "finish month", "slack months", ""), (0, 3, 4, 5))
    order = {t.task.key: str(i) for i, t in enumerate(plan.parallel.tasks, start=1)}
    for t in plan.parallel.tasks:
        table.add_row(order[t.task.key], t.task.label,
                      ", ".join(order.get(d, d) for d in t.task.depends_on) or "—",
                      number(t.start_month, 1), number(t.finish_month, 1), number(t.slack_months, 1),
                      "[red]critical path[/]" if t.critical else "")
    return table


def strategies_table(plan: SitePlan) -> Table:
    """NPV, IRR, payback, capex and the gain over mining of each strategy."""
    p = plan.site.plan
    table = _table(
        f"Strategies ({p.horizon_years} y, monthly, {p.discount_rate:.0%} discount, pre-tax, "
        "no terminal value)",
        ("strategy", "NPV", "IRR", "payback", "capex", "NPV gain", "IRR of gain", "mining base",
         "phases online"),
        (1, 2, 3, 4, 5, 6, 7))
    for r in plan.strategies:
        online = ", ".join(f"{ph.it_mw:,.0f} MW in month {ph.online_month:.0f}"
                           for ph in r.phases.phases) or "—"
        name = label(r.strategy) + ("" if r.feasible else " [red](blocked)[/]")
        table.add_row(name, money(r.npv_usd), percent_text(r.irr), payback_text(r), money(r.capex_usd),
                      money(r.incremental_npv_usd), percent_text(r.incremental_irr),
                      f"{r.phases.mining_base_mw:,.0f} MW", online)
    return table


def tornado_table(plan: SitePlan) -> Table:
    """The tornado as a table: NPV gained at each variable's low and high case."""
    base = plan.strategy(plan.tornado_strategy).incremental_npv_usd
    table = _table(f"Sensitivity of the NPV gained by '{label(plan.tornado_strategy)}' (base {money(base)})",
                   ("variable", "low case", "NPV gain", "high case", "NPV gain"), (2, 4))
    for r in plan.tornado:
        table.add_row(r.variable, r.low_label, money(r.low_value), r.high_label, money(r.high_value))
    return table


def valuation_table(plan: SitePlan) -> Table:
    """Run-rate EBITDA and EV under both multiples."""
    table = _table("Valuation (run-rate EBITDA once built)",
                   ("strategy", "mining EBITDA", "AI EBITDA", "EV as a miner", "EV sum of parts",
                    "EV per MW"), (1, 2, 3, 4, 5))
    for r in plan.strategies:
        v = r.valuation
        table.add_row(label(r.strategy), money(v.mining_ebitda_usd), money(v.ai_ebitda_usd),
                      f"{money(v.as_miner.low_usd)}–{money(v.as_miner.high_usd)}",
                      f"{money(v.sum_of_parts.low_usd)}–{money(v.sum_of_parts.high_usd)}",
                      f"{money(v.sum_of_parts_usd_per_mw.low_usd)}–{money(v.sum_of_parts_usd_per_mw.high_usd)}")
    return table


def financing_table(plan: SitePlan) -> Table:
    """Each financing structure's cash need and cost of capital."""
    table = _table(f"Financing '{label(plan.tornado_strategy)}'",
                   ("structure", "equity cash", "debt", "partner", "cost of capital", "DSCR", "NPV at it",
                    "terms"), (1, 2, 3, 4, 5, 6))
    for f in plan.financing:
        terms = f.note if f.available else f"[red]{f.note}[/]"
        table.add_row(f.label, money(f.equity_usd), money(f.debt_usd), money(f.partner_usd),
                      percent_text(f.cost_of_capital), "—" if f.dscr is None else f"{f.dscr:.2f}x",
                      "—" if f.npv_usd is None else money(f.npv_usd), terms)
    return table


def summary_table(plans: Sequence[SitePlan]) -> Table:
    """One row per site."""
    table = _table("Sites (NPV gain: best conversion vs keep mining)",
                   ("site", "IT MW", "capex", "build", "best conversion", "NPV gain", "IRR", "recommended"),
                   (1, 2, 3, 5, 6))
    for plan in plans:
        best = plan.best_conversion
        recommended = label(plan.recommended) if plan.feasibility.feasible else "[red]blocked[/]: keep mining"
        table.add_row(plan.site.name, f"{plan.feasibility.convertible_it_mw:,.1f}",
                      money(plan.capex.total_usd()), f"{plan.parallel.total_months:.0f} months",
                      label(best.strategy), money(best.incremental_npv_usd), percent_text(best.irr),
                      recommended)
    return table


def portfolio_table(portfolio: Portfolio) -> Table:
    """The ranking and what the budget funds."""
    budget = "no budget limit" if portfolio.budget_usd is None else f"budget {money(portfolio.budget_usd)}"
    table = _table(
        f"Portfolio ({budget}): capex {money(portfolio.capex_used_usd)}, "
        f"NPV gained {money(portfolio.incremental_npv_usd)}",
        ("rank", "site", "plan", "capex", "NPV gained", "per capex $", "decision"), (0, 3, 4, 5))
    for e in portfolio.entries:
        table.add_row(str(e.rank), e.site, label(e.chosen_strategy),
                      "—" if e.best is None else money(e.best.capex_usd),
                      "—" if e.best is None else money(e.best.incremental_npv_usd),
                      "—" if e.best is None else f"{e.best.profitability_index:.2f}",
                      "[green]funded[/]" if e.funded else e.reason)
    return table
