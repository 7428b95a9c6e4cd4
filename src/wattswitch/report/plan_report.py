"""The conversion plan as one self-contained HTML page: tables and inline SVG charts, no scripts,
no external files (it opens offline and can be mailed as is)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

import numpy as np

from wattswitch import __version__
from wattswitch.economics.planning.plan import SitePlan
from wattswitch.economics.planning.portfolio import Portfolio
from wattswitch.model.catalog.finance import BUILD_REFERENCE_MONTHS, HOSTING_DEALS, VALUATION_MULTIPLES
from wattswitch.report import svg
from wattswitch.report.plan_data import payback_text, percent_text

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;
color:#0f172a;padding:0 1rem;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #e2e8f0;padding-bottom:.3rem;margin-top:2.5rem}
h3{margin-top:1.6rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem;width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}.muted{color:#64748b;font-size:.85rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.8rem 0}.card{background:#f8fafc;border:1px solid #e2e8f0;
border-radius:6px;padding:.6rem .9rem;min-width:150px}.card b{display:block;font-size:1.2rem}
.blocker{color:#b91c1c;font-weight:600}.ok{color:#047857;font-weight:600}svg{max-width:100%;height:auto}
"""
_NAMES = {"keep_mining": "Keep mining", "convert": "Convert all", "phased": "Phased (mining base)"}


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    def cls(i: int) -> str:
        return "n" if i in numeric else ""

    head = "".join(f'<th class="{cls(i)}">{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{cls(i)}">{cell}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _mark(verified: bool) -> str:
    return "" if verified else "*"


def _cards(plan: SitePlan) -> str:
    best = plan.strategy(plan.recommended)
    items = [
        ("Energised", f"{plan.site.power.energised_mw:,.0f} MW"),
        ("Convertible IT", f"{plan.feasibility.convertible_it_mw:,.1f} MW"),
        ("Capex (mid, ex-GPU)", svg.usd(plan.capex.total_usd(include_gpus=False))),
        ("Build (parallel)", f"{plan.parallel.total_months:.0f} months"),
        ("Recommended", _NAMES[plan.recommended]),
        ("NPV", svg.usd(best.npv_usd)),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><span class="muted">{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in items
    ) + "</div>"


def _feasibility(plan: SitePlan) -> str:
    f = plan.feasibility
    head = ('<p class="ok">Feasible: no blockers.</p>' if f.feasible else
            '<p class="blocker">Blocked: ' + escape("; ".join(b.message for b in f.blockers)) + "</p>")
    upgrades = "".join(f"<li>{escape(u.message)}</li>" for u in f.upgrades)
    notes = "".join(f"<li>{escape(n.message)}</li>" for n in f.notes)
    return (f"<h3>Feasibility</h3>{head}<p><b>Upgrades</b></p><ul>{upgrades}</ul>"
            + (f"<p><b>Notes</b></p><ul>{notes}</ul>" if notes else ""))


def _unit_economics(plan: SitePlan) -> str:
    rows = [(escape(u.use), f"${u.revenue_usd_per_mwh:,.0f}", svg.usd(u.revenue_usd_per_mw_year),
             escape(u.basis)) for u in plan.uses]
    asics = [(escape(b.model), f"{b.efficiency_j_per_th:.1f}", f"${b.revenue_usd_per_mwh:,.0f}",
              f"${b.breakeven_usd_per_mwh:,.0f}") for b in plan.asic_breakevens]
    return ("<h3>What a MW of IT earns</h3>"
            + _table(("use", "$/MWh", "$/MW-year", "basis"), rows, (1, 2))
            + f"<p class='muted'>Mining breakeven power price per ASIC at "
              f"${plan.site.plan.hashprice_usd_per_ph_day:g}/PH/day (after pool fee, per MWh at the "
              "meter):</p>"
            + _table(("ASIC", "J/TH", "revenue $/MWh", "breakeven $/MWh"), asics, (1, 2, 3)))


def _capex(plan: SitePlan) -> str:
    capex = plan.capex
    rows = [(escape(line.label) + _mark(line.verified), svg.usd(line.low_usd), svg.usd(line.high_usd),
             escape(line.basis), f'<span class="muted">{escape(line.source)}</span>') for line in capex.lines]
    rows.append(("<b>Total</b>", f"<b>{svg.usd(capex.total_usd('low'))}</b>",
                 f"<b>{svg.usd(capex.total_usd('high'))}</b>",
                 f"ex-GPU {svg.usd(capex.per_mw_it_usd('low', include_gpus=False))}–"
                 f"{svg.usd(capex.per_mw_it_usd('high', include_gpus=False))} per MW of IT", ""))
    return ("<h3>Capex by component</h3>"
            + _table(("component", "low", "high", "basis", "source"), rows, (1, 2))
            + '<p class="muted">* approximation or wattswitch assumption (verified=False in the '
              "catalog).</p>")


def _timeline(plan: SitePlan) -> str:
    bars = [svg.GanttBar(t.task.label, t.start_month, t.finish_month, t.critical)
            for t in plan.parallel.tasks]
    reference = BUILD_REFERENCE_MONTHS
    text = (f"<p>Trades in parallel: <b>{plan.parallel.total_months:.1f} months</b>; one after another: "
            f"{plan.sequential.total_months:.1f} months. Critical path: "
            f"{escape(' → '.join(plan.parallel.critical_path))}. Public range for an AI build on a "
            f"mining site: {reference.low:g}–{reference.high:g} months.</p>")
    return ("<h3>Timeline</h3>" + text
            + svg.gantt(bars, title="Build schedule (critical path in red)", x_label="months from start"))


def _strategies(plan: SitePlan) -> str:
    rows = []
    for r in plan.strategies:
        phases = "; ".join(f"{p.it_mw:,.1f} MW IT online m{p.online_month:.0f}"
                           for p in r.phases.phases) or "—"
        rows.append((
            escape(_NAMES[r.strategy]) + ("" if r.feasible else ' <span class="blocker">(blocked)</span>'),
            svg.usd(r.npv_usd), percent_text(r.irr), payback_text(r), svg.usd(r.capex_usd),
            svg.usd(r.incremental_npv_usd), percent_text(r.incremental_irr),
            f"{r.phases.mining_base_mw:,.0f} MW",
            escape(phases),
        ))
    return ("<h3>Keep mining vs convert vs phased</h3>"
            + f"<p class='muted'>Monthly, pre-tax, unlevered, {plan.site.plan.horizon_years} years, "
              f"discounted at {plan.site.plan.discount_rate:.0%}; no terminal value. 'Gain' = converting "
              "instead of mining.</p>"
            + _table(("strategy", "NPV", "IRR", "payback", "capex", "NPV gain", "IRR of gain", "mining base",
                      "phases"), rows, (1, 2, 3, 4, 5, 6, 7)))


def _charts(plan: SitePlan) -> str:
    best = plan.strategy(plan.tornado_strategy)
    flows = best.flows
    steps = [("Mining revenue", float(flows.mining_revenue_usd.sum())),
             ("AI revenue", float(flows.ai_revenue_usd.sum())),
             ("Power", -float((flows.mining_power_usd + flows.ai_power_usd).sum())),
             ("Opex", -float((flows.mining_opex_usd + flows.ai_opex_usd).sum())),
             ("Capex", -float(flows.capex_usd.sum()))]
    title = f"Cash-flow waterfall: {_NAMES[best.strategy]}, {plan.site.plan.horizon_years} years"
    waterfall = svg.waterfall(steps, total_label="Net cash", value_format=svg.usd, title=title)
    months = np.arange(plan.inputs.months)
    cumulative = {_NAMES[r.strategy]: list(np.cumsum(r.flows.net_cash_usd)) for r in plan.strategies}
    line = svg.line_chart(list(months / 12.0), cumulative, title="Cumulative net cash", x_label="years",
                          value_format=svg.usd)
    tornado = ""
    if plan.tornado:
        rows = [svg.TornadoBar(r.variable, r.low_label, r.high_label, r.low_value, r.high_value)
                for r in plan.tornado]
        tornado = svg.tornado(rows, base=best.incremental_npv_usd, value_format=svg.usd,
                              title=f"Sensitivity of the NPV gained by '{_NAMES[best.strategy]}'",
                              x_label="NPV gained over keeping the mine")
    return f"<h3>Cash flows and sensitivity</h3>{waterfall}{line}{tornado}"


def _valuation(plan: SitePlan) -> str:
    miner, dc = VALUATION_MULTIPLES["miner_ev_ebitda"], VALUATION_MULTIPLES["dc_operator_ev_ebitda"]
    rows = []
    for r in plan.strategies:
        v = r.valuation
        rows.append((escape(_NAMES[r.strategy]), svg.usd(v.mining_ebitda_usd), svg.usd(v.ai_ebitda_usd),
                     f"{svg.usd(v.as_miner.low_usd)}–{svg.usd(v.as_miner.high_usd)}",
                     f"{svg.usd(v.sum_of_parts.low_usd)}–{svg.usd(v.sum_of_parts.high_usd)}",
                     f"{svg.usd(v.sum_of_parts_usd_per_mw.low_usd)}–{svg.usd(v.sum_of_parts_usd_per_mw.high_usd)}"))
    return ("<h3>Valuation</h3>"
            + f"<p class='muted'>Run-rate EBITDA once built; miner multiple {miner.low:g}–{miner.high:g}x, "
              f"data-center operator {dc.low:g}–{dc.high:g}x ({escape(dc.source)}).</p>"
            + _table(("strategy", "mining EBITDA", "AI EBITDA", "EV all at miner multiple",
                      "EV sum of parts", "EV per MW"), rows, (1, 2, 3, 4, 5)))


def _financing(plan: SitePlan) -> str:
    if not plan.financing:
        return ""
    rows = [(escape(f.label),
             escape(f.note) if f.available else f'<span class="blocker">{escape(f.note)}</span>',
             svg.usd(f.equity_usd), svg.usd(f.debt_usd), svg.usd(f.partner_usd),
             svg.usd(f.annual_debt_service_usd), percent_text(f.cost_of_capital),
             "—" if f.dscr is None else f"{f.dscr:.2f}x",
             "—" if f.npv_usd is None else svg.usd(f.npv_usd)) for f in plan.financing]
    return (f"<h3>Financing '{escape(_NAMES[plan.tornado_strategy])}'</h3>"
            + _table(("structure", "terms", "equity cash", "debt", "partner", "debt service/y",
                      "cost of capital", "DSCR", "NPV at it"), rows, (2, 3, 4, 5, 6, 7, 8)))


def site_section(plan: SitePlan) -> str:
    """One site's part of the report."""
    site = plan.site
    return (f'<section><h2>{escape(site.name)} <span class="muted">— {escape(site.location)}</span></h2>'
            + _cards(plan) + _feasibility(plan) + _unit_economics(plan) + _capex(plan) + _timeline(plan)
            + _strategies(plan) + _charts(plan) + _valuation(plan) + _financing(plan) + "</section>")


def portfolio_section(portfolio: Portfolio) -> str:
    """The ranking under the budget."""
    budget = "no budget limit" if portfolio.budget_usd is None else f"budget {svg.usd(portfolio.budget_usd)}"
    rows = [(str(e.rank), escape(e.site), escape(_NAMES.get(e.chosen_strategy, e.chosen_strategy)),
             "—" if e.best is None else svg.usd(e.best.capex_usd),
             "—" if e.best is None else svg.usd(e.best.incremental_npv_usd),
             "—" if e.best is None else f"{e.best.profitability_index:.2f}",
             ('<span class="ok">funded</span>' if e.funded else escape(e.reason))) for e in portfolio.entries]
    return ("<section><h2>Portfolio</h2>"
            + f"<p>{budget}: capex used {svg.usd(portfolio.capex_used_usd)}, NPV gained "
              f"{svg.usd(portfolio.incremental_npv_usd)}"
            + ("" if portfolio.exact else " (greedy by profitability index)") + ".</p>"
            + _table(("rank", "site", "plan", "capex", "NPV gained", "NPV per capex $", "decision"), rows,
                     (0, 3, 4, 5)) + "</section>")


def _deals() -> str:
    rows = [(escape(d.name), svg.usd(d.contract_value_usd), f"{d.term_years}", f"{d.critical_it_mw:g}",
             svg.usd(d.reported_revenue_usd_per_mw_year), f'<span class="muted">{escape(d.source)}</span>')
            for d in HOSTING_DEALS.values()]
    return ("<h2>Reference deals</h2>"
            + _table(("deal", "contract value", "years", "MW IT", "$/MW-year reported", "source"), rows,
                     (1, 2, 3, 4)))


def render_plan_report(plans: Sequence[SitePlan], portfolio: Portfolio | None = None) -> str:
    """The whole HTML page for one or more site plans (and their portfolio)."""
    title = "Conversion plan" if len(plans) == 1 else f"Conversion plan: {len(plans)} sites"
    body = (f"<h1>{escape(title)}</h1><p class='muted'>wattswitch {escape(__version__)} · figures "
            "marked * are approximations; every figure's source is in the tables.</p>")
    if portfolio is not None:
        body += portfolio_section(portfolio)
    body += "".join(site_section(p) for p in plans) + _deals()
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")
