"""Site feasibility: blockers (conversion cannot go ahead), upgrades (it can, at a cost) and notes.

The upgrade keys drive the capex lines (:mod:`.capex`) and the task graph (:mod:`.timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.model.catalog.finance import finance_figure
from wattswitch.model.site_assessment import SiteAssessment

BLOCKER = "blocker"
UPGRADE = "upgrade"
NOTE = "note"
_REDUNDANCY_RANK = {"N": 0, "N+1": 1, "2N": 2}


@dataclass(frozen=True)
class Finding:
    """One result of the assessment: a blocker, an upgrade (with its capex/timeline key) or a note."""

    key: str
    severity: str
    message: str


@dataclass(frozen=True)
class Feasibility:
    """The assessment of one site for conversion to AI."""

    findings: tuple[Finding, ...]
    convertible_facility_mw: float
    convertible_it_mw: float
    inference_ready: bool

    @property
    def blockers(self) -> tuple[Finding, ...]:
        """Findings that stop the conversion."""
        return tuple(f for f in self.findings if f.severity == BLOCKER)

    @property
    def upgrades(self) -> tuple[Finding, ...]:
        """Upgrades the conversion needs."""
        return tuple(f for f in self.findings if f.severity == UPGRADE)

    @property
    def notes(self) -> tuple[Finding, ...]:
        """Things to know that neither block nor cost."""
        return tuple(f for f in self.findings if f.severity == NOTE)

    @property
    def feasible(self) -> bool:
        """True when nothing blocks the conversion."""
        return not self.blockers

    def needs(self, key: str) -> bool:
        """Whether the upgrade ``key`` is on the list."""
        return any(f.key == key for f in self.upgrades)


def gross_to_it_ratio() -> float:
    """Utility MW per MW of critical IT in AI builds (catalog)."""
    return finance_figure("ai_gross_to_it_ratio").value


def plannable_mw(site: SiteAssessment) -> float:
    """Facility MW the plan can count on: approved MW when partly energised, else energised MW."""
    power = site.power
    return power.capacity_mw if power.interconnect_status == "partial" else power.energised_mw


def requested_facility_mw(site: SiteAssessment) -> float:
    """Facility MW the plan wants to convert: ``plan.convert_mw`` or everything plannable."""
    plannable = plannable_mw(site)
    return plannable if site.plan.convert_mw is None else min(site.plan.convert_mw, plannable)


def assess(site: SiteAssessment) -> Feasibility:
    """Blockers, upgrades and notes for converting ``site`` to AI (see module docstring)."""
    findings: list[Finding] = []
    findings += _power_findings(site)
    findings += _land_findings(site)
    requested_mw = requested_facility_mw(site)
    land_it_mw = site.land.acres / finance_figure("land_acres_per_mw_it").value
    it_mw = min(requested_mw / gross_to_it_ratio(), land_it_mw)
    if land_it_mw < requested_mw / gross_to_it_ratio():
        findings.append(Finding("land", NOTE, (
            f"land limits the AI build to {land_it_mw:,.1f} MW of IT ({site.land.acres:,.0f} acres at "
            f"{finance_figure('land_acres_per_mw_it').value:g} acres/MW)")))
    if it_mw < 1.0 and site.power.interconnect_status != "none":
        findings.append(Finding("land", BLOCKER, f"room for only {it_mw:.2f} MW of IT"))
    findings += _water_findings(site, it_mw)
    findings += _network_findings(site)
    findings += _facility_findings(site)
    latency_ok = site.network.latency_to_metro_ms <= finance_figure("inference_latency_max_ms").value
    return Feasibility(tuple(findings), it_mw * gross_to_it_ratio(), it_mw, latency_ok)


def _power_findings(site: SiteAssessment) -> list[Finding]:
    power = site.power
    out: list[Finding] = []
    if power.interconnect_status == "none":
        out.append(Finding("interconnect", BLOCKER, "no energised interconnect: not a conversion "
                                                    "candidate until power is secured"))
    elif power.interconnect_status == "partial" and requested_facility_mw(site) > power.energised_mw:
        out.append(Finding("interconnect_upgrade", UPGRADE, (
            f"energise the approved {power.capacity_mw:g} MW (today {power.energised_mw:g} MW)")))
    elif power.interconnect_status == "queued":
        out.append(Finding("interconnect", NOTE, "expansion is queued, not approved: the plan uses "
                                                 f"the {power.energised_mw:g} MW energised"))
    if not power.substation_on_hand and power.interconnect_status != "none":
        out.append(Finding("substation", UPGRADE, "build an HV substation and main transformers"))
    if not power.long_lead_equipment_on_hand:
        out.append(Finding("long_lead", UPGRADE, "procure long-lead transformers and switchgear"))
    return out


def _land_findings(site: SiteAssessment) -> list[Finding]:
    zoning = site.land.zoning
    if zoning == "denied":
        return [Finding("zoning", BLOCKER, "zoning/approval for a data center was denied")]
    if zoning in ("pending", "not_applied"):
        state = "pending" if zoning == "pending" else "not yet applied for"
        return [Finding("zoning", UPGRADE, f"zoning/approvals for a data center {state}")]
    return []


def _water_findings(site: SiteAssessment, it_mw: float) -> list[Finding]:
    need = it_mw * finance_figure("water_m3_per_day_per_mw_it").value
    if site.water.available_m3_per_day < need:
        return [Finding("dry_cooler_premium", UPGRADE, (
            f"cooling water {site.water.available_m3_per_day:,.0f} m³/day < {need:,.0f} m³/day for "
            "evaporative heat rejection: closed-loop dry coolers"))]
    return []


def _network_findings(site: SiteAssessment) -> list[Finding]:
    network = site.network
    out = [Finding("network_backbone", UPGRADE, "network backbone: meet-me rooms, fiber plant, spine")]
    if not network.dark_fiber:
        out.append(Finding("fiber_build", UPGRADE,
                           f"no dark fiber: build a {network.fiber_distance_miles:g}-mile lateral"))
    limit = finance_figure("inference_latency_max_ms").value
    if network.latency_to_metro_ms > limit:
        metro = f" to {network.metro}" if network.metro else ""
        out.append(Finding("latency", NOTE, (
            f"{network.latency_to_metro_ms:g} ms{metro} > {limit:g} ms: sell training and batch, not "
            "interactive inference")))
    return out


def _facility_findings(site: SiteAssessment) -> list[Finding]:
    facility, plan = site.facility, site.plan
    out: list[Finding] = []
    if facility.form_factor != "data_hall":
        out.append(Finding("powered_shell", UPGRADE,
                           f"form factor: {facility.form_factor} → data hall (slab, racks, containment)"))
    out.append(Finding("electrical", UPGRADE, "data-center grade MV/LV electrical distribution"))
    have, want = _REDUNDANCY_RANK[facility.redundancy], _REDUNDANCY_RANK[plan.target_redundancy]
    if want >= 1 > have:
        out.append(Finding("backup_n_plus_1", UPGRADE,
                           f"redundancy {facility.redundancy} → N+1: UPS, batteries, generators"))
    if want == 2 > have:
        out.append(Finding("backup_2n_extra", UPGRADE, f"redundancy {facility.redundancy} → 2N"))
    if facility.cooling != "direct_to_chip":
        out.append(Finding("liquid_cooling", UPGRADE,
                           f"cooling: {facility.cooling} → direct-to-chip liquid cooling"))
    if facility.rack_power_kw < plan.target_rack_power_kw:
        out.append(Finding("rack_power", UPGRADE, (
            f"rack power {facility.rack_power_kw:g} → {plan.target_rack_power_kw:g} kW")))
    if facility.skilled_labour != "available":
        out.append(Finding("labour", NOTE,
                           f"skilled labour {facility.skilled_labour}: build tasks take longer"))
    return out
