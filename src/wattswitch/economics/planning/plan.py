"""The conversion plan of one site: feasibility, capex, timeline, strategies, sensitivity, value, financing.

Strategies are compared on the same monthly grid (see :mod:`.projection`): NPV at the plan's
discount rate, IRR and payback of each, and of converting *instead of* keeping the mine
(incremental flows). The recommended strategy is the feasible one with the highest NPV.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from wattswitch.economics.cashflow import irr, npv, payback_years
from wattswitch.economics.financing import FinancingOutcome, ProjectFlows, evaluate_financing
from wattswitch.economics.planning.capex import CapexEstimate, estimate_capex, gpu_capex_line
from wattswitch.economics.planning.feasibility import Feasibility, assess, gross_to_it_ratio, plannable_mw
from wattswitch.economics.planning.phasing import STRATEGIES, PhasePlan, plan_phases
from wattswitch.economics.planning.projection import CashFlows, ProjectionInputs, project
from wattswitch.economics.planning.sensitivity import SensitivityCase, TornadoRow, tornado
from wattswitch.economics.planning.timeline import (
    Schedule,
    Task,
    conversion_tasks,
    hall_tasks,
    schedule_parallel,
    schedule_sequential,
)
from wattswitch.economics.unit_economics import (
    AsicBreakeven,
    asic_breakevens,
    gpu_rental_revenue_usd_per_mwh,
    hosting_revenue_usd_per_mwh,
    inference_revenue_usd_per_mwh,
    mining_revenue_usd_per_mwh,
    revenue_usd_per_mw_year,
)
from wattswitch.economics.valuation import Valuation, value_site
from wattswitch.model.catalog.finance import FINANCING, VALUATION_MULTIPLES, finance_figure
from wattswitch.model.catalog.hardware import ASICS, asic, gpu
from wattswitch.model.catalog.market import figure
from wattswitch.model.site_assessment import SiteAssessment

_REFERENCE_ASIC = "Antminer S21"


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's phases, cash flows and metrics.

    ``capex_usd`` is the build: conversion capex plus the first GPUs (what a budget must fund);
    ``lifetime_capex_usd`` adds GPU refreshes within the horizon.
    """

    strategy: str
    feasible: bool
    phases: PhasePlan
    flows: CashFlows
    npv_usd: float
    irr: float | None
    payback_years: float | None
    incremental_npv_usd: float
    incremental_irr: float | None
    capex_usd: float
    lifetime_capex_usd: float
    stabilised_mining_ebitda_usd: float
    stabilised_ai_ebitda_usd: float
    stabilised_ai_revenue_usd: float
    valuation: Valuation


@dataclass(frozen=True)
class UseEconomics:
    """What one MW of IT earns in one use."""

    use: str
    revenue_usd_per_mwh: float
    revenue_usd_per_mw_year: float
    basis: str


@dataclass(frozen=True)
class SitePlan:
    """Everything planned for one site."""

    site: SiteAssessment
    feasibility: Feasibility
    capex: CapexEstimate
    tasks: tuple[Task, ...]
    parallel: Schedule
    sequential: Schedule
    inputs: ProjectionInputs
    strategies: tuple[StrategyResult, ...]
    recommended: str
    tornado: tuple[TornadoRow, ...]
    tornado_strategy: str
    financing: tuple[FinancingOutcome, ...]
    uses: tuple[UseEconomics, ...]
    asic_breakevens: tuple[AsicBreakeven, ...]

    def strategy(self, name: str) -> StrategyResult:
        """The result of strategy ``name``."""
        for result in self.strategies:
            if result.strategy == name:
                return result
        raise KeyError(name)

    @property
    def best_conversion(self) -> StrategyResult:
        """The conversion strategy (convert or phased) with the higher NPV."""
        return max((self.strategy("convert"), self.strategy("phased")), key=lambda r: r.npv_usd)


@dataclass(frozen=True)
class _Context:
    site: SiteAssessment
    feasibility: Feasibility
    capex: CapexEstimate
    first: Schedule
    hall: Schedule


def projection_inputs(site: SiteAssessment) -> ProjectionInputs:
    """Resolve the site, its plan table and the catalog into projection inputs."""
    plan = site.plan
    efficiency = site.fleet_efficiency_j_per_th or 0.0
    th_per_mw = 1e6 / efficiency if efficiency else 0.0
    spec = gpu(plan.gpu_model)
    utilization = finance_figure("gpu_utilization_fraction").value
    return ProjectionInputs(
        horizon_years=plan.horizon_years,
        energised_mw=site.power.energised_mw,
        fleet_it_mw=site.fleet_power_mw,
        fleet_efficiency_j_per_th=efficiency,
        hashprice_usd_per_ph_day=plan.hashprice_usd_per_ph_day,
        hashprice_change_per_year=plan.hashprice_change_per_year,
        power_price_usd_per_mwh=site.power.power_price_usd_per_mwh,
        pue_asic=figure("pue_asic_air").value,
        pue_ai=figure("pue_ai_liquid").value,
        pool_fee_fraction=finance_figure("pool_fee_fraction").value,
        mining_uptime_fraction=finance_figure("mining_uptime_fraction").value,
        mining_opex_usd_per_mw_year=finance_figure("mining_opex_usd_per_mw_year").value,
        mining_sustaining_capex_usd_per_mw_year=(
            finance_figure("asic_price_usd_per_th").value * th_per_mw
            * finance_figure("asic_repair_fraction_per_year").value
        ),
        ai_use=plan.ai_use,
        rent_usd_per_kw_month=plan.rent_usd_per_kw_month,
        escalator_fraction_per_year=plan.escalator_fraction_per_year,
        noi_margin_fraction=plan.noi_margin_fraction,
        power_pass_through=plan.power_pass_through,
        lease_ramp_months=finance_figure("lease_ramp_months").value,
        price_usd_per_gpu_hour=plan.price_usd_per_gpu_hour,
        gpu_price_change_per_year=finance_figure("gpu_hour_price_change_per_year").value,
        gpu_utilization_fraction=utilization,
        gpus_per_mw_it=1000.0 / spec.system_power_kw * spec.gpus_per_system,
        gpu_load_fraction=utilization + (1 - utilization) * spec.idle_system_power_kw / spec.system_power_kw,
        bare_metal_opex_usd_per_mw_year=finance_figure("bare_metal_opex_usd_per_mw_year").value,
        gpu_capex_usd_per_mw_it=gpu_capex_line(plan.gpu_model, 1.0).mid_usd,
        gpu_life_years=finance_figure("gpu_life_years").value,
    )


def _phase_plans(ctx: _Context, delay_months: float) -> dict[str, PhasePlan]:
    site = ctx.site
    base = site.plan.mining_base_mw
    if base is None:
        base = finance_figure("mining_base_fraction").value * plannable_mw(site)
    return {
        name: plan_phases(
            name, site_mw=plannable_mw(site),
            convertible_facility_mw=ctx.feasibility.convertible_facility_mw,
            gross_to_it_ratio=gross_to_it_ratio(), mining_base_mw=base, phase_count=site.plan.phases,
            first_schedule=ctx.first, hall_schedule=ctx.hall,
            interval_months=finance_figure("phase_interval_months").value, delay_months=delay_months,
        )
        for name in STRATEGIES
    }


def _phase_capex(ctx: _Context, phases: PhasePlan, which: str) -> tuple[float, ...]:
    site_wide = ctx.capex.site_wide_usd(which)
    if not ctx.capex.it_mw:
        return tuple(0.0 for _ in phases.phases)
    per_mw = (ctx.capex.total_usd(which, include_gpus=False) - site_wide) / ctx.capex.it_mw
    return tuple(p.it_mw * per_mw + (site_wide if p.index == 1 else 0.0) for p in phases.phases)


def _project_all(ctx: _Context, inputs: ProjectionInputs, which: str = "mid",
                 delay_months: float = 0.0) -> dict[str, tuple[PhasePlan, CashFlows]]:
    out = {}
    for name, phases in _phase_plans(ctx, delay_months).items():
        out[name] = (phases, project(phases, _phase_capex(ctx, phases, which), inputs))
    return out


def _stabilised_slice(phases: PhasePlan, inputs: ProjectionInputs) -> slice:
    if not phases.phases:
        return slice(0, 12)
    start = math.ceil(phases.last_online_month + inputs.lease_ramp_months)
    if start + 12 <= inputs.months:
        return slice(start, start + 12)
    return slice(inputs.months - 12, inputs.months)


def _result(ctx: _Context, name: str, projected: tuple[PhasePlan, CashFlows], *, keep: CashFlows,
            inputs: ProjectionInputs) -> StrategyResult:
    phases, flows = projected
    rate = ctx.site.plan.discount_rate
    net = flows.net_cash_usd
    incremental = net - keep.net_cash_usd
    window = _stabilised_slice(phases, inputs)
    mining_ebitda = float(flows.mining_ebitda_usd[window].sum())
    ai_ebitda = float(flows.ai_ebitda_usd[window].sum())
    multiples = VALUATION_MULTIPLES
    valuation = value_site(
        mining_ebitda, ai_ebitda, plannable_mw(ctx.site) or 1.0,
        miner_multiple=(multiples["miner_ev_ebitda"].low, multiples["miner_ev_ebitda"].high),
        dc_multiple=(multiples["dc_operator_ev_ebitda"].low, multiples["dc_operator_ev_ebitda"].high),
    )
    has_increment = bool(np.any(incremental != 0))
    return StrategyResult(
        strategy=name,
        feasible=name == "keep_mining" or (ctx.feasibility.feasible and bool(phases.phases)),
        phases=phases, flows=flows,
        npv_usd=npv(rate, net, 12), irr=irr(net, 12), payback_years=payback_years(net, 12),
        incremental_npv_usd=npv(rate, incremental, 12) if has_increment else 0.0,
        incremental_irr=irr(incremental, 12) if has_increment else None,
        capex_usd=_build_capex(phases, flows),
        lifetime_capex_usd=float((flows.conversion_capex_usd + flows.gpu_capex_usd).sum()),
        stabilised_mining_ebitda_usd=mining_ebitda, stabilised_ai_ebitda_usd=ai_ebitda,
        stabilised_ai_revenue_usd=float(flows.ai_revenue_usd[window].sum()),
        valuation=valuation,
    )


def _build_capex(phases: PhasePlan, flows: CashFlows) -> float:
    if not phases.phases:
        return float(flows.conversion_capex_usd.sum())
    first_gpus = flows.gpu_capex_usd[: math.floor(phases.last_online_month) + 1].sum()
    return float(flows.conversion_capex_usd.sum() + first_gpus)


def _incremental_npv(ctx: _Context, strategy: str, inputs: ProjectionInputs, *, which: str = "mid",
                     delay_months: float = 0.0, rate: float | None = None) -> float:
    projected = _project_all(ctx, inputs, which, delay_months)
    difference = projected[strategy][1].net_cash_usd - projected["keep_mining"][1].net_cash_usd
    return npv(ctx.site.plan.discount_rate if rate is None else rate, difference, 12)


def _tornado_cases(ctx: _Context, strategy: str, inputs: ProjectionInputs) -> list[SensitivityCase]:
    replace = dataclasses.replace
    rate = ctx.site.plan.discount_rate

    def scaled(field: str, factor: float) -> ProjectionInputs:
        return replace(inputs, **{field: getattr(inputs, field) * factor})

    hashprice = inputs.hashprice_usd_per_ph_day
    power = inputs.power_price_usd_per_mwh
    if inputs.ai_use == "hosting":
        ai_field, ai_name, ai_unit = "rent_usd_per_kw_month", "Hosting rent", "/kW-month"
    else:
        ai_field, ai_name, ai_unit = "price_usd_per_gpu_hour", "GPU-hour price", "/GPU-h"
    ai_price = getattr(inputs, ai_field)

    def run(case_inputs: ProjectionInputs, which: str = "mid", delay_months: float = 0.0,
            rate: float | None = None) -> float:
        return _incremental_npv(ctx, strategy, case_inputs, which=which, delay_months=delay_months, rate=rate)

    return [
        SensitivityCase("Hashprice", f"${hashprice * 0.7:,.1f}/PH/day", f"${hashprice * 1.3:,.1f}/PH/day",
                        lambda: run(scaled("hashprice_usd_per_ph_day", 0.7)),
                        lambda: run(scaled("hashprice_usd_per_ph_day", 1.3))),
        SensitivityCase(ai_name, f"${ai_price * 0.8:,.2f}{ai_unit}", f"${ai_price * 1.2:,.2f}{ai_unit}",
                        lambda: run(scaled(ai_field, 0.8)), lambda: run(scaled(ai_field, 1.2))),
        SensitivityCase("Capex", "low estimate", "high estimate",
                        lambda: run(inputs, which="low"), lambda: run(inputs, which="high")),
        SensitivityCase("Delay", "3 months early", "6 months late",
                        lambda: run(inputs, delay_months=-3.0), lambda: run(inputs, delay_months=6.0)),
        SensitivityCase("Power price", f"${power * 0.8:,.1f}/MWh", f"${power * 1.2:,.1f}/MWh",
                        lambda: run(scaled("power_price_usd_per_mwh", 0.8)),
                        lambda: run(scaled("power_price_usd_per_mwh", 1.2))),
        SensitivityCase("Discount rate", f"{(rate - 0.02):.0%}", f"{(rate + 0.02):.0%}",
                        lambda: run(inputs, rate=max(rate - 0.02, 0.0)),
                        lambda: run(inputs, rate=rate + 0.02)),
    ]


def unit_economics(site: SiteAssessment, inputs: ProjectionInputs) -> tuple[UseEconomics, ...]:
    """Revenue per MWh and per MW-year of IT in each use, at this site's prices."""
    plan = site.plan
    efficiency = inputs.fleet_efficiency_j_per_th or asic(_REFERENCE_ASIC).efficiency_j_per_th
    fleet = "fleet" if inputs.fleet_efficiency_j_per_th else _REFERENCE_ASIC
    mining = mining_revenue_usd_per_mwh(plan.hashprice_usd_per_ph_day, efficiency)
    hosting = hosting_revenue_usd_per_mwh(plan.rent_usd_per_kw_month)
    spec = gpu(plan.gpu_model)
    utilization = inputs.gpu_utilization_fraction
    rental = gpu_rental_revenue_usd_per_mwh(plan.price_usd_per_gpu_hour, spec,
                                            utilization_fraction=utilization)
    h100 = gpu("H100 SXM5")
    tokens = figure("llm_70b_tokens_per_s_8xh100").value
    token_price = figure("llm_70b_price").value
    inference = inference_revenue_usd_per_mwh(token_price, tokens, h100, utilization_fraction=utilization)
    uptime = inputs.mining_uptime_fraction
    return (
        UseEconomics("Bitcoin mining", mining, revenue_usd_per_mw_year(mining, capacity_factor=uptime),
                     f"${plan.hashprice_usd_per_ph_day:g}/PH/day, {efficiency:.1f} J/TH ({fleet}), "
                     f"{uptime:.0%} uptime, gross of pool fees"),
        UseEconomics("Hosting lease", hosting, revenue_usd_per_mw_year(hosting),
                     f"${plan.rent_usd_per_kw_month:g}/kW-month of critical IT; power passed through"),
        UseEconomics("Bare-metal GPU rental", rental, revenue_usd_per_mw_year(rental),
                     f"${plan.price_usd_per_gpu_hour:g}/GPU-h, {plan.gpu_model}, {utilization:.0%} sold"),
        UseEconomics("Inference (per token)", inference, revenue_usd_per_mw_year(inference),
                     f"${token_price:g}/M tokens, {tokens:,.0f} tok/s per 8×H100, {utilization:.0%} busy"),
    )


def plan_site(site: SiteAssessment) -> SitePlan:
    """Plan the conversion of one site (see module docstring)."""
    feasibility = assess(site)
    capex = estimate_capex(site, feasibility)
    tasks = conversion_tasks(site, feasibility)
    first = schedule_parallel(tasks)
    ctx = _Context(site, feasibility, capex, first, schedule_parallel(hall_tasks(tasks)))
    inputs = projection_inputs(site)
    projected = _project_all(ctx, inputs)
    keep = projected["keep_mining"][1]
    results = tuple(_result(ctx, name, projected[name], keep=keep, inputs=inputs) for name in STRATEGIES)
    feasible = [r for r in results if r.feasible]
    recommended = max(feasible, key=lambda r: r.npv_usd).strategy
    conversions = [r for r in results if r.strategy != "keep_mining"]
    best = max(conversions, key=lambda r: r.npv_usd)
    rows = tornado(_tornado_cases(ctx, best.strategy, inputs)) if best.phases.phases else ()
    flows = best.flows
    project_flows = ProjectFlows(
        flows.conversion_capex_usd + flows.gpu_capex_usd, flows.ai_revenue_usd, flows.net_cash_usd,
        best.stabilised_ai_revenue_usd, best.stabilised_ai_ebitda_usd,
    )
    financing = tuple(
        evaluate_financing(terms, project_flows, cost_of_equity=finance_figure("cost_of_equity").value,
                           lease_signed=site.plan.lease_signed)
        for terms in FINANCING.values()
    ) if best.phases.phases else ()
    breakevens = asic_breakevens(ASICS.values(), site.plan.hashprice_usd_per_ph_day,
                                 pool_fee_fraction=inputs.pool_fee_fraction, pue=inputs.pue_asic)
    return SitePlan(
        site, feasibility, capex, tasks, first, schedule_sequential(tasks), inputs, results, recommended,
        rows, best.strategy, financing, unit_economics(site, inputs), tuple(breakevens),
    )
