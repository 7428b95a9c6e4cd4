"""Finance figures: capex, hosting deals, multiples, financing, opex and build durations, with sources.

Every number the planner uses from the world sits here. ``verified=False`` marks figures that come
from secondary reporting or are wattswitch's documented assumptions; check them before relying on
them. Capex per MW is per MW of *critical IT* load unless the unit says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model.catalog.market import Figure


@dataclass(frozen=True)
class RangeFigure:
    """A figure from the world quoted as a low–high range, with its unit and source."""

    low: float
    high: float
    unit: str
    source: str
    verified: bool = True

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ModelError(f"RangeFigure: low {self.low} exceeds high {self.high} ({self.unit})")

    @property
    def mid(self) -> float:
        """Midpoint of the range."""
        return (self.low + self.high) / 2.0


@dataclass(frozen=True)
class CapexComponent:
    """One line of conversion capex: ``low``–``high`` in ``unit``, applied when the upgrade is needed."""

    key: str
    label: str
    cost: RangeFigure


@dataclass(frozen=True)
class HostingDeal:
    """A public AI hosting (colocation) lease signed by a bitcoin miner, as announced."""

    name: str
    landlord: str
    tenant: str
    contract_value_usd: float
    term_years: int
    critical_it_mw: float
    reported_revenue_usd_per_mw_year: float
    escalator_fraction_per_year: float
    lease_type: str
    announced: str
    source: str
    verified: bool = True


@dataclass(frozen=True)
class FinancingTerms:
    """A way to fund conversion capex and what it costs.

    ``debt_fraction`` of capex is borrowed at ``debt_rate`` over ``tenor_years``;
    ``partner_fraction`` is funded by a partner (hyperscaler prepayment/JV) who takes
    ``partner_revenue_share`` of AI revenue; ``equity_cost_delta`` shifts the cost of equity
    (e.g. a PPA lock-in removes power-price risk).
    """

    key: str
    label: str
    debt_fraction: float
    debt_rate: float
    tenor_years: int
    partner_fraction: float
    partner_revenue_share: float
    equity_cost_delta: float
    requires_signed_lease: bool
    source: str
    verified: bool = True


@dataclass(frozen=True)
class DurationFigure:
    """How long a build task takes, months (base, and the low–high range reported)."""

    months: float
    low_months: float
    high_months: float
    source: str
    verified: bool = True


_ISSUE5_REPORT = (
    "'Bitcoin miners power the AI revolution' industry report as quoted in wattswitch issue #5 "
    "(mirror: sipoch.com/en/articles/300330023248293); primary figures not re-checked"
)
_COST_SPLIT = (
    "wattswitch split of the $9–11M/MW critical-IT build cost reported by Cipher (Barber Lake, "
    "2025-09-25) and CBRE ($7–10M/MW wholesale, Construction Dive 2022) into components, in the "
    "proportions of public data-center cost guides (electrical ≈ 40–45 %, mechanical ≈ 20–25 %, "
    "shell ≈ 15–20 %); approximate"
)

CAPEX_BENCHMARKS: dict[str, RangeFigure] = {
    "mining_farm": RangeFigure(
        350_000.0, 400_000.0, "usd_per_mw",
        f"{_ISSUE5_REPORT}; Sabre56's CEO quotes $300–350k/MW for a commercial mining facility "
        "(Cointelegraph interview, 2024-09)", verified=False,
    ),
    "ai_data_center": RangeFigure(
        11_000_000.0, 11_000_000.0, "usd_per_mw_it", f"≈$11M/MW: {_ISSUE5_REPORT}", verified=False,
    ),
    "analysts_ex_gpu": RangeFigure(
        8_000_000.0, 10_000_000.0, "usd_per_mw_it",
        f"analysts' $8–10M/MW excluding GPUs: {_ISSUE5_REPORT}", verified=False,
    ),
    "cipher_barber_lake": RangeFigure(
        9_000_000.0, 11_000_000.0, "usd_per_mw_it",
        "Cipher Mining press release 2025-09-25 (Fluidstack lease, Barber Lake): estimated project "
        "cost $9–11M per MW of critical IT load (Blockworks, StockTitan)",
    ),
    "cbre_wholesale": RangeFigure(
        7_000_000.0, 10_000_000.0, "usd_per_mw_it",
        "CBRE data center group quoted in Construction Dive (2022): a large wholesale data center "
        "costs $7–10M per MW to build",
    ),
}

CONVERSION_CAPEX: dict[str, CapexComponent] = {
    c.key: c
    for c in (
        CapexComponent("powered_shell", "Powered shell / data hall (form factor)", RangeFigure(
            1_500_000.0, 2_300_000.0, "usd_per_mw_it", _COST_SPLIT, verified=False)),
        CapexComponent("electrical", "Electrical: MV/LV switchgear, transformers, distribution",
                       RangeFigure(2_000_000.0, 2_800_000.0, "usd_per_mw_it", _COST_SPLIT,
                                   verified=False)),
        CapexComponent("backup_n_plus_1", "N+1 redundancy: UPS, batteries, generators", RangeFigure(
            1_000_000.0, 1_400_000.0, "usd_per_mw_it", _COST_SPLIT, verified=False)),
        CapexComponent("backup_2n_extra", "2N redundancy: second UPS/generator path", RangeFigure(
            800_000.0, 1_200_000.0, "usd_per_mw_it",
            "wattswitch assumption: a second full power path adds ≈ 70–90 % of the N+1 backup cost",
            verified=False)),
        CapexComponent("liquid_cooling", "Direct-to-chip liquid cooling: CDUs, heat rejection, piping",
                       RangeFigure(1_800_000.0, 2_400_000.0, "usd_per_mw_it", _COST_SPLIT,
                                   verified=False)),
        CapexComponent("rack_power", "High-density rack power (busway, rack PDUs, manifolds)",
                       RangeFigure(300_000.0, 500_000.0, "usd_per_mw_it", _COST_SPLIT, verified=False)),
        CapexComponent("network_backbone", "Network backbone: meet-me rooms, fiber plant, spine",
                       RangeFigure(300_000.0, 500_000.0, "usd_per_mw_it",
                                   f"{_COST_SPLIT}; excludes the GPU cluster fabric", verified=False)),
        CapexComponent("substation", "HV substation and main power transformers", RangeFigure(
            500_000.0, 900_000.0, "usd_per_mw_it",
            "utility-scale substation at $50–90M per ~100 MW of IT; wattswitch approximation",
            verified=False)),
        CapexComponent("dry_cooler_premium", "Closed-loop dry coolers (no evaporative water)",
                       RangeFigure(200_000.0, 400_000.0, "usd_per_mw_it",
                                   "wattswitch assumption: dry coolers cost more than evaporative "
                                   "towers for the same heat load", verified=False)),
        CapexComponent("interconnect_upgrade", "Interconnect upgrade (utility network upgrades)",
                       RangeFigure(100_000.0, 300_000.0, "usd_per_mw",
                                   "wattswitch assumption for customer-funded network upgrades per MW "
                                   "of added interconnect capacity", verified=False)),
        CapexComponent("fiber_build", "Long-haul fiber lateral to the site", RangeFigure(
            40_000.0, 100_000.0, "usd_per_mile",
            "rural fiber construction commonly quoted at $30–100k per mile (aerial to buried); "
            "wattswitch takes $40–100k", verified=False)),
        CapexComponent("soft_costs", "Soft costs: design, permits, commissioning, contingency",
                       RangeFigure(0.10, 0.15, "fraction_of_hard_cost",
                                   "typical 10–15 % of hard cost in construction cost guides; "
                                   "approximate", verified=False)),
        CapexComponent("gpu_systems", "GPU systems (bare metal only)", RangeFigure(
            250_000.0, 300_000.0, "usd_per_8_gpu_system",
            "HGX/DGX H100 8-GPU servers reported at roughly $250–300k each in 2024 trade press; "
            "approximate", verified=False)),
    )
}

# Share of the electrical line that is long-lead equipment (transformers, switchgear): when a
# miner already holds it, that part is not bought again.
LONG_LEAD_SHARE_OF_ELECTRICAL = Figure(
    0.25, "fraction",
    "wattswitch assumption: transformers and switchgear ≈ a quarter of electrical capex",
    verified=False,
)

HOSTING_DEALS: dict[str, HostingDeal] = {
    d.name: d
    for d in (
        HostingDeal(
            "CoreWeave–Core Scientific", "Core Scientific", "CoreWeave",
            8.7e9, 12, 500.0, 1.45e6, 0.0, "hosting (colocation), 12-year contracts",
            "2024-10-22",
            "Core Scientific press release 2024-10-22 (SEC exhibit, sec.gov/Archives/edgar/data/"
            "1839341/000162828024043341): ≈500 MW critical IT, potential cumulative revenue $8.7B "
            "over 12-year contract terms; escalator not disclosed (0 assumed)",
        ),
        HostingDeal(
            "Cipher–Fluidstack", "Cipher Mining", "Fluidstack (Google backstop $1.4B)",
            3.0e9, 10, 168.0, 1.79e6, 0.03, "modified gross lease with annual escalators",
            "2025-09-25",
            "Cipher Mining press release 2025-09-25 (Blockworks, StockTitan): 10-year HPC "
            "colocation, ≈$3B contracted revenue, 168 MW critical IT at Barber Lake (244 MW gross); "
            "escalator rate not disclosed (3 %/year assumed)",
        ),
        HostingDeal(
            "Hut 8–Fluidstack", "Hut 8", "Fluidstack / Anthropic (Google backstop)",
            7.0e9, 15, 245.0, 1.9e6, 0.0, "triple-net lease", "2025-12-17",
            "Hut 8 announcement 2025-12-17 (DCD, dcpulse.com): 15-year triple-net lease, $7B base "
            "term, 245 MW IT at River Bend (≈330 MW utility power); escalator not disclosed",
        ),
    )
}

VALUATION_MULTIPLES: dict[str, RangeFigure] = {
    "miner_ev_ebitda": RangeFigure(
        6.0, 12.0, "ev_over_ebitda", f"bitcoin miners trade at 6–12x EV/EBITDA: {_ISSUE5_REPORT}",
        verified=False,
    ),
    "dc_operator_ev_ebitda": RangeFigure(
        20.0, 25.0, "ev_over_ebitda",
        f"leading data-center operators (e.g. Equinix, Digital Realty) at 20–25x: {_ISSUE5_REPORT}",
        verified=False,
    ),
}

FINANCING: dict[str, FinancingTerms] = {
    f.key: f
    for f in (
        FinancingTerms(
            "all_equity", "All equity (baseline)", 0.0, 0.0, 0, 0.0, 0.0, 0.0, False,
            "no borrowing; cost of capital = cost of equity (see FINANCE_FIGURES)",
        ),
        FinancingTerms(
            "project_finance", "Project finance against a signed lease", 0.80, 0.0775, 10, 0.0, 0.0,
            0.0, True,
            "Hut 8 River Bend: J.P. Morgan and Goldman Sachs to underwrite up to 85 % loan-to-cost "
            "(2025-12-17); TeraWulf WULF Compute 7.750 % senior secured notes due 2030, $3.2B "
            "(2025-10-23); wattswitch takes 80 % at 7.75 % over 10 years", verified=False,
        ),
        FinancingTerms(
            "equipment_leasing", "Equipment leasing (electrical, cooling, GPUs)", 0.50, 0.11, 5, 0.0,
            0.0, 0.0, False,
            "wattswitch assumption: lessors fund ≈ the equipment half of capex at ≈ 10–12 % over "
            "5 years", verified=False,
        ),
        FinancingTerms(
            "ppa_lock_in", "PPA lock-in (fixed power price)", 0.0, 0.0, 0, 0.0, 0.0, -0.01, False,
            "wattswitch assumption: a fixed-price PPA removes power-price risk, ≈ 1 point off the "
            "cost of equity", verified=False,
        ),
        FinancingTerms(
            "hyperscaler_prepay_jv", "Hyperscaler prepayment / JV", 0.0, 0.0, 0, 0.30, 0.20, 0.0,
            False,
            "wattswitch assumption: a hyperscaler funds ≈ 30 % of capex for ≈ 20 % of AI revenue "
            "(cf. Google's $1.4B backstop of Fluidstack's lease with Cipher, 2025-09-25)",
            verified=False,
        ),
    )
}

FINANCE_FIGURES: dict[str, Figure] = {
    "ai_gross_to_it_ratio": Figure(
        1.4, "mw_facility_per_mw_it",
        "utility MW per MW of critical IT in public builds: Cipher Barber Lake 244/168 = 1.45, "
        "Hut 8 River Bend 330/245 = 1.35, Core Scientific Muskogee 100/70 = 1.43",
    ),
    "hosting_noi_margin": Figure(
        0.825, "fraction",
        "Cipher expects 80–85 % site NOI margins on the Fluidstack lease (2025-09-25)",
    ),
    "hosting_rent_usd_per_kw_month": Figure(
        130.0, "usd_per_kw_month",
        "≈ year-1 rent implied by the Core Scientific and Cipher deals ($121–130/kW-month, see "
        "HOSTING_DEALS); approximate", verified=False,
    ),
    "hosting_escalator": Figure(
        0.03, "fraction_per_year",
        "wattswitch assumption: leases carry annual escalators (Cipher), rate undisclosed",
        verified=False,
    ),
    "wholesale_rent_low": Figure(
        110.0, "usd_per_kw_month",
        "hyperscale build-to-suit and wholesale leases ≈ $110–190/kW-month (CBRE North America "
        "Data Center Trends 2024 quotes ≈ $184 for 250–500 kW in primary markets; large leases "
        "lower); approximate", verified=False,
    ),
    "wholesale_rent_high": Figure(
        190.0, "usd_per_kw_month", "see wholesale_rent_low", verified=False,
    ),
    "lease_ramp_months": Figure(
        6.0, "months", "wattswitch assumption: tenants ramp into delivered halls over ≈ 6 months",
        verified=False,
    ),
    "hashprice_usd_per_ph_day": Figure(
        45.0, "usd_per_ph_day",
        "network hashprice ≈ $40–55/PH/day through 2025 (Luxor Hashrate Index); approximate",
        verified=False,
    ),
    "hashprice_change_per_year": Figure(
        -0.20, "fraction_per_year",
        "wattswitch assumption: hashprice drifts down as difficulty outgrows price (it fell from "
        "≈ $300 to ≈ $50/PH/day 2021–2025 across a halving)", verified=False,
    ),
    "pool_fee_fraction": Figure(
        0.02, "fraction", "FPPS pool fees ≈ 1.5–2.5 % (public pool fee schedules); approximate",
        verified=False,
    ),
    "mining_uptime_fraction": Figure(
        0.95, "fraction", "wattswitch assumption: fleet uptime after maintenance and curtailment",
        verified=False,
    ),
    "mining_opex_usd_per_mw_year": Figure(
        87_600.0, "usd_per_mw_year",
        "non-power mining opex ≈ $10/MWh (≈ $0.01/kWh for cooling, staff etc. in a public 20 MW "
        "mining pro-forma, 1mining.ca) × 8,760 h", verified=False,
    ),
    "asic_price_usd_per_th": Figure(
        15.0, "usd_per_th",
        "new S21-class miners ≈ $13–18 per TH/s in 2025 retail listings; approximate",
        verified=False,
    ),
    "asic_repair_fraction_per_year": Figure(
        0.03, "fraction_per_year",
        "wattswitch assumption: repairs and spare hashboards ≈ 3 % of the fleet's replacement value "
        "a year; keep-mining buys no new fleet, so an old fleet stops when its margin turns negative",
        verified=False,
    ),
    "bare_metal_opex_usd_per_mw_year": Figure(
        400_000.0, "usd_per_mw_year",
        "wattswitch assumption: staff, spares, software and network for a GPU cloud per MW of IT",
        verified=False,
    ),
    "gpu_hour_price_change_per_year": Figure(
        -0.15, "fraction_per_year",
        "wattswitch assumption: rental prices of a GPU generation fall ≈ 15 %/year", verified=False,
    ),
    "gpu_life_years": Figure(
        5.0, "years", "wattswitch assumption: GPU servers are depreciated over ≈ 5 years",
        verified=False,
    ),
    "gpu_utilization_fraction": Figure(
        0.85, "fraction",
        "wattswitch assumption: sold GPU-hours over available (matches the Reservation default)",
        verified=False,
    ),
    "discount_rate": Figure(
        0.10, "fraction_per_year", "wattswitch default hurdle rate (unlevered, pre-tax)",
        verified=False,
    ),
    "cost_of_equity": Figure(
        0.15, "fraction_per_year",
        "wattswitch assumption for a miner's cost of equity (high-beta small/mid caps)",
        verified=False,
    ),
    "land_acres_per_mw_it": Figure(
        0.75, "acres_per_mw_it",
        "campus land per MW of IT: Stargate Abilene ≈ 875 acres / 1.2 GW, Cipher Barber Lake "
        "587 acres / up to 500 MW; wattswitch takes 0.75", verified=False,
    ),
    "water_m3_per_day_per_mw_it": Figure(
        43.0, "m3_per_day_per_mw_it",
        "evaporative heat rejection at WUE ≈ 1.8 L/kWh (LBNL 2016 US data center energy report) "
        "× 24 MWh/day", verified=False,
    ),
    "inference_latency_max_ms": Figure(
        20.0, "ms",
        "wattswitch assumption: interactive inference wants ≤ 20 ms round trip to its metro",
        verified=False,
    ),
    "labour_limited_multiplier": Figure(
        1.15, "ratio", "wattswitch assumption: build tasks take 15 % longer with limited labour",
        verified=False,
    ),
    "labour_scarce_multiplier": Figure(
        1.35, "ratio", "wattswitch assumption: build tasks take 35 % longer with scarce labour",
        verified=False,
    ),
    "phase_interval_months": Figure(
        6.0, "months", "wattswitch assumption: later phases come online every ≈ 6 months",
        verified=False,
    ),
    "mining_base_fraction": Figure(
        0.25, "fraction",
        "wattswitch default: a quarter of the energised MW stays mining as the flexible base "
        "(Bitdeer-style hybrid)", verified=False,
    ),
}

_TIMELINE_SOURCE = (
    "wattswitch durations chosen so that the task graph gives the reported 24 months when the four "
    f"trades run back to back and 18 months when they overlap ({_ISSUE5_REPORT})"
)

TASK_DURATIONS: dict[str, DurationFigure] = {
    "design_permits": DurationFigure(3.0, 2.0, 6.0, _TIMELINE_SOURCE, verified=False),
    "construction": DurationFigure(9.0, 6.0, 12.0, _TIMELINE_SOURCE, verified=False),
    "electrical": DurationFigure(4.0, 3.0, 6.0, _TIMELINE_SOURCE, verified=False),
    "power_distribution": DurationFigure(2.0, 1.0, 3.0, _TIMELINE_SOURCE, verified=False),
    "cooling": DurationFigure(3.0, 2.0, 5.0, _TIMELINE_SOURCE, verified=False),
    "commissioning": DurationFigure(3.0, 2.0, 4.0, _TIMELINE_SOURCE, verified=False),
    "zoning_pending": DurationFigure(
        6.0, 3.0, 12.0, "wattswitch assumption: a pending rezoning/permit takes ≈ 6 months",
        verified=False,
    ),
    "zoning_not_applied": DurationFigure(
        9.0, 6.0, 18.0, "wattswitch assumption: applying from scratch takes ≈ 9 months",
        verified=False,
    ),
    "long_lead_procurement": DurationFigure(
        18.0, 12.0, 30.0,
        "transformer lead times grew from ≈ 50 weeks (2021) to ≈ 2–2.5 years (2024) (Wood "
        "Mackenzie, 'Power transformers: supply shortage and high lead times', 2024); medium-voltage "
        "gear for a data hall ≈ 12–30 months; wattswitch takes 18", verified=False,
    ),
    "substation_build": DurationFigure(
        18.0, 12.0, 30.0,
        "wattswitch assumption: a new HV substation incl. its transformers ≈ 18 months",
        verified=False,
    ),
    "fiber_build": DurationFigure(
        6.0, 3.0, 12.0, "wattswitch assumption: permitting and building a fiber lateral ≈ 6 months",
        verified=False,
    ),
    "interconnect_expansion": DurationFigure(
        24.0, 18.0, 48.0,
        "interconnection and construction times stretched by 2–4 years for large loads "
        f"({_ISSUE5_REPORT}); wattswitch takes 24 months for an expansion of an existing service",
        verified=False,
    ),
}

BUILD_REFERENCE_MONTHS = RangeFigure(
    18.0, 36.0, "months", f"18–36 months for an AI build on a mining site: {_ISSUE5_REPORT}",
    verified=False,
)
PARALLEL_REFERENCE_MONTHS = RangeFigure(
    18.0, 24.0, "months",
    f"reported 24 → 18 months when construction, electrical, power distribution and cooling run in "
    f"parallel: {_ISSUE5_REPORT}", verified=False,
)


def finance_figure(key: str) -> Figure:
    """A sourced finance figure by key (clear error listing the known ones)."""
    if key not in FINANCE_FIGURES:
        raise ModelError(f"catalog: unknown finance figure {key!r}; known: {', '.join(FINANCE_FIGURES)}")
    return FINANCE_FIGURES[key]


def capex_component(key: str) -> CapexComponent:
    """A conversion capex component by key (clear error listing the known ones)."""
    if key not in CONVERSION_CAPEX:
        raise ModelError(f"catalog: unknown capex component {key!r}; known: {', '.join(CONVERSION_CAPEX)}")
    return CONVERSION_CAPEX[key]


def task_duration(key: str) -> DurationFigure:
    """A build task's duration by key (clear error listing the known ones)."""
    if key not in TASK_DURATIONS:
        raise ModelError(f"catalog: unknown task {key!r}; known: {', '.join(TASK_DURATIONS)}")
    return TASK_DURATIONS[key]
