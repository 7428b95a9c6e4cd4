"""Conversion capex by component, low/high, each line with its quantity basis and source.

Per-MW components scale with the MW of critical IT built; site-wide lines (substation, fiber,
interconnect) are paid once, in the first phase. Soft costs are a fraction of hard costs; GPU
systems (bare metal only) are listed apart so totals can be quoted with and without GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.economics.planning.feasibility import Feasibility
from wattswitch.model.catalog.finance import LONG_LEAD_SHARE_OF_ELECTRICAL, capex_component
from wattswitch.model.catalog.hardware import gpu
from wattswitch.model.site_assessment import SiteAssessment

_PER_MW_IT = ("powered_shell", "electrical", "backup_n_plus_1", "backup_2n_extra", "liquid_cooling",
              "rack_power", "network_backbone", "dry_cooler_premium")
_SITE_WIDE_PER_MW_IT = ("substation",)


@dataclass(frozen=True)
class CapexLine:
    """One capex line: low/high USD, how it was computed, its source."""

    key: str
    label: str
    low_usd: float
    high_usd: float
    basis: str
    source: str
    verified: bool
    site_wide: bool = False
    gpu: bool = False

    @property
    def mid_usd(self) -> float:
        """Midpoint."""
        return (self.low_usd + self.high_usd) / 2.0


@dataclass(frozen=True)
class CapexEstimate:
    """All capex lines of a conversion of ``it_mw`` MW of critical IT."""

    lines: tuple[CapexLine, ...]
    it_mw: float

    def total_usd(self, which: str = "mid", *, include_gpus: bool = True) -> float:
        """Sum of the lines at ``low``, ``mid`` or ``high``."""
        lines = (line for line in self.lines if include_gpus or not line.gpu)
        return sum(float(getattr(line, f"{which}_usd")) for line in lines)

    def per_mw_it_usd(self, which: str = "mid", *, include_gpus: bool = True) -> float:
        """Total per MW of critical IT."""
        return self.total_usd(which, include_gpus=include_gpus) / self.it_mw if self.it_mw else 0.0

    def site_wide_usd(self, which: str = "mid") -> float:
        """Part of the total paid once for the whole site."""
        return sum(float(getattr(line, f"{which}_usd")) for line in self.lines if line.site_wide)


def _money(value: float) -> str:
    return f"${value / 1e6:,.2f}M" if value >= 1e5 else f"${value / 1e3:,.0f}k"


def estimate_capex(
    site: SiteAssessment, feasibility: Feasibility, *, it_mw: float | None = None
) -> CapexEstimate:
    """Capex to convert ``it_mw`` (default: the convertible MW) of critical IT at ``site``."""
    mw = feasibility.convertible_it_mw if it_mw is None else it_mw
    lines: list[CapexLine] = []
    for key in _PER_MW_IT + _SITE_WIDE_PER_MW_IT:
        if not feasibility.needs(key):
            continue
        item = capex_component(key)
        factor = 1.0
        basis = f"{mw:,.1f} MW IT × {_money(item.cost.low)}–{_money(item.cost.high)}/MW"
        if key == "electrical" and site.power.long_lead_equipment_on_hand:
            factor = 1.0 - LONG_LEAD_SHARE_OF_ELECTRICAL.value
            basis += f" × {factor:.2f} (long-lead equipment on hand)"
        lines.append(CapexLine(key, item.label, mw * item.cost.low * factor, mw * item.cost.high * factor,
                               basis, item.cost.source, item.cost.verified,
                               site_wide=key in _SITE_WIDE_PER_MW_IT))
    if feasibility.needs("interconnect_upgrade"):
        item = capex_component("interconnect_upgrade")
        added_mw = max(feasibility.convertible_facility_mw - site.power.energised_mw, 0.0)
        basis = f"{added_mw:,.1f} MW added × {_money(item.cost.low)}–{_money(item.cost.high)}/MW"
        lines.append(CapexLine(item.key, item.label, added_mw * item.cost.low, added_mw * item.cost.high,
                               basis, item.cost.source, item.cost.verified, site_wide=True))
    if feasibility.needs("fiber_build"):
        item = capex_component("fiber_build")
        miles = site.network.fiber_distance_miles
        lines.append(CapexLine(item.key, item.label, miles * item.cost.low, miles * item.cost.high,
                               f"{miles:g} miles × {_money(item.cost.low)}–{_money(item.cost.high)}/mile",
                               item.cost.source, item.cost.verified, site_wide=True))
    soft = capex_component("soft_costs")
    hard_low = sum(line.low_usd for line in lines)
    hard_high = sum(line.high_usd for line in lines)
    lines.append(CapexLine(soft.key, soft.label, hard_low * soft.cost.low, hard_high * soft.cost.high,
                           f"{soft.cost.low:.0%}–{soft.cost.high:.0%} of hard cost", soft.cost.source,
                           soft.cost.verified))
    if site.plan.ai_use == "bare_metal":
        lines.append(gpu_capex_line(site.plan.gpu_model, mw))
    return CapexEstimate(tuple(lines), mw)


def gpu_capex_line(gpu_model: str, it_mw: float) -> CapexLine:
    """GPU systems for ``it_mw`` MW of IT: systems = MW · 1000 / system kW, at the catalog price."""
    spec = gpu(gpu_model)
    item = capex_component("gpu_systems")
    systems = it_mw * 1000.0 / spec.system_power_kw
    scale = spec.gpus_per_system / 8.0  # price is quoted per 8-GPU system
    return CapexLine(item.key, f"GPU systems ({gpu_model})", systems * item.cost.low * scale,
                     systems * item.cost.high * scale,
                     f"{systems:,.0f} systems of {spec.system_power_kw:g} kW × "
                     f"{_money(item.cost.low * scale)}–{_money(item.cost.high * scale)}",
                     item.cost.source, item.cost.verified, gpu=True)
