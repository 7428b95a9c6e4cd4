"""Plans and portfolios as plain JSON-ready dicts (what ``wattswitch plan --json`` prints)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from wattswitch.economics.planning.plan import SitePlan, StrategyResult
from wattswitch.economics.planning.portfolio import Portfolio
from wattswitch.economics.planning.timeline import Schedule
from wattswitch.model.codec import to_plain


def percent_text(value: float | None) -> str:
    """``12.3%``, or ``—`` when there is no value (e.g. an IRR without a sign change)."""
    return "—" if value is None else f"{value:.1%}"


def payback_text(result: StrategyResult) -> str:
    """Payback in years, ``never`` when cash never turns positive, ``—`` without capex."""
    if result.capex_usd == 0:
        return "—"
    return "never" if result.payback_years is None else f"{result.payback_years:.1f} y"


def _num(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def annual_sums(monthly: npt.NDArray[np.float64]) -> list[float]:
    """Monthly amounts summed into years (the last year may be partial)."""
    years = math.ceil(monthly.size / 12)
    return [round(float(monthly[12 * y: 12 * y + 12].sum()), 2) for y in range(years)]


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    """A schedule's tasks, total and critical path."""
    return {
        "mode": schedule.mode,
        "total_months": _num(schedule.total_months),
        "critical_path": list(schedule.critical_path),
        "tasks": [
            {"key": t.task.key, "label": t.task.label, "duration_months": _num(t.task.duration_months),
             "depends_on": list(t.task.depends_on), "start_month": _num(t.start_month),
             "finish_month": _num(t.finish_month), "slack_months": _num(t.slack_months),
             "critical": t.critical}
            for t in schedule.tasks
        ],
    }


def strategy_to_dict(result: StrategyResult) -> dict[str, Any]:
    """A strategy's metrics, phases, valuation and annual cash flows."""
    flows = result.flows
    valuation = result.valuation
    return {
        "strategy": result.strategy,
        "feasible": result.feasible,
        "npv_usd": _num(result.npv_usd),
        "irr": _num(result.irr, 6),
        "payback_years": _num(result.payback_years),
        "incremental_npv_usd": _num(result.incremental_npv_usd),
        "incremental_irr": _num(result.incremental_irr, 6),
        "capex_usd": _num(result.capex_usd),
        "lifetime_capex_usd": _num(result.lifetime_capex_usd),
        "mining_base_mw": _num(result.phases.mining_base_mw),
        "ai_it_mw": _num(result.phases.ai_it_mw),
        "phases": [
            {"index": p.index, "facility_mw": _num(p.facility_mw), "it_mw": _num(p.it_mw),
             "capex_start_month": _num(p.capex_start_month),
             "commissioning_start_month": _num(p.commissioning_start_month),
             "online_month": _num(p.online_month)}
            for p in result.phases.phases
        ],
        "stabilised_ebitda_usd": {"mining": _num(result.stabilised_mining_ebitda_usd),
                                  "ai": _num(result.stabilised_ai_ebitda_usd)},
        "valuation": {
            "as_miner_ev_usd": {"low": _num(valuation.as_miner.low_usd),
                                "high": _num(valuation.as_miner.high_usd)},
            "sum_of_parts_ev_usd": {"low": _num(valuation.sum_of_parts.low_usd),
                                    "high": _num(valuation.sum_of_parts.high_usd)},
            "sum_of_parts_ev_usd_per_mw": {"low": _num(valuation.sum_of_parts_usd_per_mw.low_usd),
                                           "high": _num(valuation.sum_of_parts_usd_per_mw.high_usd)},
        },
        "annual_usd": {
            "mining_revenue": annual_sums(flows.mining_revenue_usd),
            "ai_revenue": annual_sums(flows.ai_revenue_usd),
            "power": annual_sums(flows.mining_power_usd + flows.ai_power_usd),
            "opex": annual_sums(flows.mining_opex_usd + flows.ai_opex_usd),
            "capex": annual_sums(flows.capex_usd),
            "net_cash": annual_sums(flows.net_cash_usd),
        },
    }


def plan_to_dict(plan: SitePlan) -> dict[str, Any]:
    """Everything in a site plan as plain data."""
    feasibility, capex = plan.feasibility, plan.capex
    return {
        "site": to_plain(plan.site),
        "feasibility": {
            "feasible": feasibility.feasible,
            "convertible_facility_mw": _num(feasibility.convertible_facility_mw),
            "convertible_it_mw": _num(feasibility.convertible_it_mw),
            "inference_ready": feasibility.inference_ready,
            "blockers": [{"key": f.key, "message": f.message} for f in feasibility.blockers],
            "upgrades": [{"key": f.key, "message": f.message} for f in feasibility.upgrades],
            "notes": [{"key": f.key, "message": f.message} for f in feasibility.notes],
        },
        "capex": {
            "it_mw": _num(capex.it_mw),
            "lines": [dataclasses.asdict(line) for line in capex.lines],
            "total_usd": {w: _num(capex.total_usd(w)) for w in ("low", "mid", "high")},
            "total_ex_gpu_usd": {w: _num(capex.total_usd(w, include_gpus=False))
                                 for w in ("low", "mid", "high")},
            "per_mw_it_ex_gpu_usd": {w: _num(capex.per_mw_it_usd(w, include_gpus=False))
                                     for w in ("low", "mid", "high")},
        },
        "timeline": {
            "parallel": schedule_to_dict(plan.parallel),
            "sequential": schedule_to_dict(plan.sequential),
            "months_saved_by_parallel": _num(plan.sequential.total_months - plan.parallel.total_months),
        },
        "strategies": [strategy_to_dict(r) for r in plan.strategies],
        "recommended": plan.recommended,
        "tornado": {
            "strategy": plan.tornado_strategy,
            "output": "NPV gained over keeping the mine, USD",
            "base_usd": _num(plan.strategy(plan.tornado_strategy).incremental_npv_usd),
            "rows": [{"variable": r.variable, "low_label": r.low_label, "high_label": r.high_label,
                      "low_usd": _num(r.low_value), "high_usd": _num(r.high_value)} for r in plan.tornado],
        },
        "financing": [
            {**dataclasses.asdict(f), "cost_of_capital": _num(f.cost_of_capital, 6), "dscr": _num(f.dscr, 3),
             "npv_usd": _num(f.npv_usd)}
            for f in plan.financing
        ],
        "unit_economics": {
            "uses": [dataclasses.asdict(u) for u in plan.uses],
            "asic_breakevens": [dataclasses.asdict(b) for b in plan.asic_breakevens],
        },
        "assumptions": dataclasses.asdict(plan.inputs),
    }


def portfolio_to_dict(portfolio: Portfolio) -> dict[str, Any]:
    """The ranking, the funded conversions and the budget they use."""
    return {
        "budget_usd": portfolio.budget_usd,
        "capex_used_usd": _num(portfolio.capex_used_usd),
        "incremental_npv_usd": _num(portfolio.incremental_npv_usd),
        "exact": portfolio.exact,
        "ranking": [
            {"rank": e.rank, "site": e.site, "funded": e.funded, "strategy": e.chosen_strategy,
             "reason": e.reason,
             "best_option": None if e.best is None else {
                 "strategy": e.best.strategy, "capex_usd": _num(e.best.capex_usd),
                 "incremental_npv_usd": _num(e.best.incremental_npv_usd),
                 "profitability_index": _num(e.best.profitability_index, 4)}}
            for e in portfolio.entries
        ],
    }
