"""Phasing: which MW convert when, and how many stay mining as the base.

Three strategies: ``keep_mining`` (no phases), ``convert`` (every convertible MW in one phase)
and ``phased`` (a mining base stays; the rest converts in equal phases). Phase 1 follows the
site's critical-path schedule; later phases come online every ``interval_months`` after it and
repeat only the data-hall trades. Miners on a phase's MW run until its commissioning starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.economics.planning.timeline import Schedule
from wattswitch.errors import ModelError

STRATEGIES = ("keep_mining", "convert", "phased")


@dataclass(frozen=True)
class Phase:
    """One tranche of conversion and its dates, months from the plan start."""

    index: int
    facility_mw: float
    it_mw: float
    capex_start_month: float
    commissioning_start_month: float
    online_month: float


@dataclass(frozen=True)
class PhasePlan:
    """A strategy's phases and the facility MW left mining once they are all built."""

    strategy: str
    phases: tuple[Phase, ...]
    mining_base_mw: float

    @property
    def ai_it_mw(self) -> float:
        """Critical IT MW built in all phases."""
        return sum(p.it_mw for p in self.phases)

    @property
    def ai_facility_mw(self) -> float:
        """Facility MW converted in all phases."""
        return sum(p.facility_mw for p in self.phases)

    @property
    def last_online_month(self) -> float:
        """When the last phase comes online (0 without phases)."""
        return max((p.online_month for p in self.phases), default=0.0)


def _capex_start(schedule: Schedule) -> float:
    return min((t.start_month for t in schedule.tasks if t.task.spends_capex), default=0.0)


def plan_phases(
    strategy: str,
    *,
    site_mw: float,
    convertible_facility_mw: float,
    gross_to_it_ratio: float,
    mining_base_mw: float,
    phase_count: int,
    first_schedule: Schedule,
    hall_schedule: Schedule,
    interval_months: float,
    delay_months: float = 0.0,
) -> PhasePlan:
    """Phases of ``strategy`` (see module docstring); ``delay_months`` pushes every online date."""
    if strategy not in STRATEGIES:
        raise ModelError(f"phasing: unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    if strategy == "keep_mining" or convertible_facility_mw <= 0:
        return PhasePlan(strategy, (), site_mw)
    if strategy == "convert":
        ai_mw, count = convertible_facility_mw, 1
    else:
        ai_mw, count = min(convertible_facility_mw, max(site_mw - mining_base_mw, 0.0)), phase_count
        if ai_mw <= 0:
            return PhasePlan(strategy, (), site_mw)
    commissioning = (first_schedule.task("commissioning").task.duration_months
                     if first_schedule.has("commissioning") else 0.0)
    first_online = first_schedule.total_months + delay_months
    first_capex_start = _capex_start(first_schedule)
    hall_months = hall_schedule.total_months
    phases = []
    for i in range(count):
        online = first_online + i * interval_months
        capex_start = first_capex_start if i == 0 else max(online - delay_months - hall_months, 0.0)
        capex_start = min(capex_start, max(online - 1.0, 0.0))
        phases.append(Phase(
            i + 1, ai_mw / count, ai_mw / count / gross_to_it_ratio, capex_start,
            max(online - commissioning, capex_start), online,
        ))
    return PhasePlan(strategy, tuple(phases), max(site_mw - ai_mw, 0.0))
