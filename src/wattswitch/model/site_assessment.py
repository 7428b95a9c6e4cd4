"""A mining site's attributes for conversion planning, plus the plan's targets and market inputs.

One frozen dataclass per TOML table of a site file (``[power]``, ``[land]``, ``[water]``,
``[network]``, ``[facility]``, ``[[fleet]]``, ``[plan]``). Impossible values raise ModelError
naming the table and field; defaults of ``[plan]`` come from the finance catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model import checks
from wattswitch.model.catalog.finance import finance_figure
from wattswitch.model.catalog.hardware import ASICS, GPUS
from wattswitch.model.catalog.market import figure

INTERCONNECT_STATUSES = ("energised", "partial", "queued", "none")
ZONING_STATES = ("approved", "pending", "not_applied", "denied")
COOLING_TYPES = ("air", "immersion", "hydro", "direct_to_chip")
REDUNDANCY_LEVELS = ("N", "N+1", "2N")
FORM_FACTORS = ("containers", "sheds", "warehouse", "data_hall")
LABOUR_STATES = ("available", "limited", "scarce")
AI_USES = ("hosting", "bare_metal")


def _one_of(owner: str, field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ModelError(f"{owner}.{field}: {value!r} is not one of {', '.join(allowed)}")


@dataclass(frozen=True)
class PowerAttributes:
    """Grid power: energised MW at the meter, what is approved, equipment held, price paid."""

    energised_mw: float
    interconnect_status: str
    power_price_usd_per_mwh: float
    approved_mw: float | None = None
    substation_on_hand: bool = False
    long_lead_equipment_on_hand: bool = False

    def __post_init__(self) -> None:
        checks.non_negative("power", "energised_mw", self.energised_mw)
        _one_of("power", "interconnect_status", self.interconnect_status, INTERCONNECT_STATUSES)
        checks.in_range("power", "power_price_usd_per_mwh", self.power_price_usd_per_mwh, -100, 1000)
        if self.approved_mw is not None:
            checks.non_negative("power", "approved_mw", self.approved_mw)
            if self.approved_mw < self.energised_mw:
                raise ModelError(
                    f"power.approved_mw: {self.approved_mw:g} MW is less than energised_mw "
                    f"{self.energised_mw:g} MW"
                )
        if self.interconnect_status == "none" and self.energised_mw > 0:
            raise ModelError("power.interconnect_status: 'none' but energised_mw is above 0")
        if self.interconnect_status != "none" and self.energised_mw == 0 and not self.approved_mw:
            raise ModelError("power.energised_mw: 0 MW energised and nothing approved; use "
                             "interconnect_status = 'none'")

    @property
    def capacity_mw(self) -> float:
        """MW the site can plan on: approved capacity, else what is energised."""
        return self.energised_mw if self.approved_mw is None else self.approved_mw


@dataclass(frozen=True)
class LandAttributes:
    """Land held and the state of zoning/approvals for a data center on it."""

    acres: float
    zoning: str

    def __post_init__(self) -> None:
        checks.positive("land", "acres", self.acres)
        _one_of("land", "zoning", self.zoning, ZONING_STATES)


@dataclass(frozen=True)
class WaterAttributes:
    """Cooling water the site can draw."""

    available_m3_per_day: float

    def __post_init__(self) -> None:
        checks.non_negative("water", "available_m3_per_day", self.available_m3_per_day)


@dataclass(frozen=True)
class NetworkAttributes:
    """Fiber: dark fiber on site or the distance to the nearest long-haul route; metro latency."""

    dark_fiber: bool
    latency_to_metro_ms: float
    metro: str = ""
    fiber_distance_miles: float = 0.0

    def __post_init__(self) -> None:
        checks.non_negative("network", "latency_to_metro_ms", self.latency_to_metro_ms)
        checks.non_negative("network", "fiber_distance_miles", self.fiber_distance_miles)
        if not self.dark_fiber and self.fiber_distance_miles == 0:
            raise ModelError("network.fiber_distance_miles: needed (> 0) when dark_fiber is false")


@dataclass(frozen=True)
class FacilityAttributes:
    """The mining facility as built: cooling, redundancy, rack density, building type, labour."""

    cooling: str
    redundancy: str
    rack_power_kw: float
    form_factor: str
    skilled_labour: str

    def __post_init__(self) -> None:
        _one_of("facility", "cooling", self.cooling, COOLING_TYPES)
        _one_of("facility", "redundancy", self.redundancy, REDUNDANCY_LEVELS)
        checks.in_range("facility", "rack_power_kw", self.rack_power_kw, 0.1, 1000)
        _one_of("facility", "form_factor", self.form_factor, FORM_FACTORS)
        _one_of("facility", "skilled_labour", self.skilled_labour, LABOUR_STATES)


@dataclass(frozen=True)
class FleetEntry:
    """``count`` miners of one model; hashrate and power default to the catalog's nameplate."""

    model: str
    count: int
    hashrate_th_s: float | None = None
    power_w: float | None = None

    def __post_init__(self) -> None:
        checks.name("fleet", "model", self.model)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ModelError(f"fleet {self.model}.count: must be a whole number ≥ 1, got {self.count!r}")
        if self.model not in ASICS and (self.hashrate_th_s is None or self.power_w is None):
            raise ModelError(
                f"fleet {self.model}.model: not in the catalog; give hashrate_th_s and power_w "
                f"(known: {', '.join(ASICS)})"
            )
        if self.hashrate_th_s is not None:
            checks.positive(f"fleet {self.model}", "hashrate_th_s", self.hashrate_th_s)
        if self.power_w is not None:
            checks.positive(f"fleet {self.model}", "power_w", self.power_w)

    @property
    def unit_hashrate_th_s(self) -> float:
        """Hashrate of one miner, TH/s."""
        return self.hashrate_th_s if self.hashrate_th_s is not None else ASICS[self.model].hashrate_th_s

    @property
    def unit_power_w(self) -> float:
        """Wall power of one miner, W."""
        return self.power_w if self.power_w is not None else ASICS[self.model].power_w

    @property
    def power_mw(self) -> float:
        """IT power of the whole entry, MW."""
        return self.count * self.unit_power_w / 1e6

    @property
    def hashrate_ph_s(self) -> float:
        """Hashrate of the whole entry, PH/s."""
        return self.count * self.unit_hashrate_th_s / 1000.0


@dataclass(frozen=True)
class PlanTargets:
    """What to plan for and the market inputs; every default is a sourced catalog figure."""

    ai_use: str = "hosting"
    convert_mw: float | None = None
    mining_base_mw: float | None = None
    phases: int = 2
    target_rack_power_kw: float = 132.0
    target_redundancy: str = "N+1"
    lease_signed: bool = False
    rent_usd_per_kw_month: float = finance_figure("hosting_rent_usd_per_kw_month").value
    escalator_fraction_per_year: float = finance_figure("hosting_escalator").value
    noi_margin_fraction: float = finance_figure("hosting_noi_margin").value
    power_pass_through: bool = True
    gpu_model: str = "H100 SXM5"
    price_usd_per_gpu_hour: float = figure("h100_reserved_price").value
    hashprice_usd_per_ph_day: float = finance_figure("hashprice_usd_per_ph_day").value
    hashprice_change_per_year: float = finance_figure("hashprice_change_per_year").value
    discount_rate: float = finance_figure("discount_rate").value
    horizon_years: int = 15

    def __post_init__(self) -> None:
        _one_of("plan", "ai_use", self.ai_use, AI_USES)
        if self.convert_mw is not None:
            checks.positive("plan", "convert_mw", self.convert_mw)
        if self.mining_base_mw is not None:
            checks.non_negative("plan", "mining_base_mw", self.mining_base_mw)
        if isinstance(self.phases, bool) or not isinstance(self.phases, int) or not 1 <= self.phases <= 10:
            raise ModelError(f"plan.phases: must be a whole number in 1–10, got {self.phases!r}")
        checks.in_range("plan", "target_rack_power_kw", self.target_rack_power_kw, 1, 1000)
        _one_of("plan", "target_redundancy", self.target_redundancy, REDUNDANCY_LEVELS)
        checks.positive("plan", "rent_usd_per_kw_month", self.rent_usd_per_kw_month)
        checks.in_range("plan", "escalator_fraction_per_year", self.escalator_fraction_per_year, -0.2, 0.2)
        checks.fraction("plan", "noi_margin_fraction", self.noi_margin_fraction)
        if self.gpu_model not in GPUS:
            raise ModelError(f"plan.gpu_model: {self.gpu_model!r} is not one of {', '.join(GPUS)}")
        checks.positive("plan", "price_usd_per_gpu_hour", self.price_usd_per_gpu_hour)
        checks.positive("plan", "hashprice_usd_per_ph_day", self.hashprice_usd_per_ph_day)
        checks.in_range("plan", "hashprice_change_per_year", self.hashprice_change_per_year, -0.9, 2.0)
        checks.in_range("plan", "discount_rate", self.discount_rate, 0.0, 1.0)
        if isinstance(self.horizon_years, bool) or not isinstance(self.horizon_years, int) or not (
            3 <= self.horizon_years <= 40
        ):
            raise ModelError(
                f"plan.horizon_years: must be a whole number in 3–40, got {self.horizon_years!r}"
            )


@dataclass(frozen=True)
class SiteAssessment:
    """Everything the planner needs to know about one mining site."""

    name: str
    location: str
    power: PowerAttributes
    land: LandAttributes
    water: WaterAttributes
    network: NetworkAttributes
    facility: FacilityAttributes
    fleet: tuple[FleetEntry, ...] = ()
    plan: PlanTargets = PlanTargets()

    def __post_init__(self) -> None:
        checks.name("site", "name", self.name)
        checks.name("site", "location", self.location)
        if self.fleet_power_mw > self.power.energised_mw + 1e-9:
            raise ModelError(
                f"site.fleet: the fleet draws {self.fleet_power_mw:,.1f} MW, more than the "
                f"{self.power.energised_mw:g} MW energised"
            )
        plan = self.plan
        if plan.convert_mw is not None and plan.convert_mw > self.power.capacity_mw:
            raise ModelError(
                f"site.plan.convert_mw: {plan.convert_mw:g} MW exceeds the site's "
                f"{self.power.capacity_mw:g} MW (energised or approved)"
            )
        if plan.mining_base_mw is not None and plan.mining_base_mw >= self.power.capacity_mw > 0:
            raise ModelError(
                f"site.plan.mining_base_mw: {plan.mining_base_mw:g} MW leaves nothing to convert "
                f"of {self.power.capacity_mw:g} MW"
            )

    @property
    def fleet_power_mw(self) -> float:
        """IT power of the mining fleet, MW."""
        return sum(entry.power_mw for entry in self.fleet)

    @property
    def fleet_hashrate_ph_s(self) -> float:
        """Hashrate of the mining fleet, PH/s."""
        return sum(entry.hashrate_ph_s for entry in self.fleet)

    @property
    def fleet_efficiency_j_per_th(self) -> float | None:
        """Fleet efficiency (total W over total TH/s), None without a fleet."""
        if not self.fleet:
            return None
        return self.fleet_power_mw * 1e6 / (self.fleet_hashrate_ph_s * 1000.0)
