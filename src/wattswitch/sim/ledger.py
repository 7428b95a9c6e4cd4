"""The ledger of a run: per-interval power, energy and money, and the totals that follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from wattswitch.model.inputs import SiteInputs
from wattswitch.model.site_model import SiteModel
from wattswitch.sim.schedule import RunSchedule

if TYPE_CHECKING:
    from wattswitch.sim.engine import Applied

TOLERANCE_MW = 1e-6
REVENUE_STREAMS = ("mining", "reserved", "inference", "training", "ancillary", "demand_response")
ENERGY_USES = ("mining", "ai_reserved", "ai_inference", "ai_training", "ai_idle")


@dataclass(frozen=True)
class AppliedArrays:
    """What ran in every interval after enforcement (columns of :class:`Applied`, one per interval)."""

    asic_normal: np.ndarray
    asic_low: np.ndarray
    training_nodes: np.ndarray
    inference_served: np.ndarray
    reserved_served: np.ndarray
    site_mw: np.ndarray
    clipped_mw: np.ndarray
    idle_off_mw: np.ndarray

    @classmethod
    def empty(cls, groups: int, periods: int) -> AppliedArrays:
        """Zeroed arrays for ``periods`` intervals (served shares 1)."""
        return cls(
            asic_normal=np.zeros((groups, periods)),
            asic_low=np.zeros((groups, periods)),
            training_nodes=np.zeros(periods),
            inference_served=np.ones(periods),
            reserved_served=np.ones(periods),
            site_mw=np.zeros(periods),
            clipped_mw=np.zeros(periods),
            idle_off_mw=np.zeros(periods),
        )

    def put(self, t: int, applied: Applied) -> None:
        """Store interval ``t``."""
        self.asic_normal[:, t] = applied.asic_normal
        self.asic_low[:, t] = applied.asic_low
        self.training_nodes[t] = applied.training_nodes
        self.inference_served[t] = applied.inference_served
        self.reserved_served[t] = applied.reserved_served
        self.site_mw[t] = applied.site_mw
        self.clipped_mw[t] = applied.clipped_mw
        self.idle_off_mw[t] = applied.idle_off_mw


@dataclass
class Ledger:
    """Per-interval records of one policy's run (arrays of length ``periods``)."""

    policy: str
    site: SiteModel
    inputs: SiteInputs
    schedule: RunSchedule
    start_utc: datetime
    asic_mw: np.ndarray
    hashrate_ph_s: np.ndarray
    site_mw: np.ndarray
    energy_use_mw: dict[str, np.ndarray]
    revenue_usd: dict[str, np.ndarray]
    energy_cost_usd: np.ndarray
    reserved_served: np.ndarray
    inference_served: np.ndarray
    clipped_mw: np.ndarray
    training_backlog_end_node_hours: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)
    ai_outcome: dict[str, dict[str, float]] | None = None  # coupled runs: per-class AI outcomes
    ai_series_mw: dict[str, np.ndarray] = field(default_factory=dict)  # coupled runs: AI draw by class

    @classmethod
    def empty(
        cls,
        site: SiteModel,
        inputs: SiteInputs,
        schedule: RunSchedule,
        policy: str,
        start_utc: datetime | None = None,
    ) -> Ledger:
        """A zeroed ledger for ``inputs.periods`` intervals."""
        periods = inputs.periods
        return cls(
            policy=policy,
            site=site,
            inputs=inputs,
            schedule=schedule,
            start_utc=start_utc or datetime.fromtimestamp(0).astimezone(),
            asic_mw=np.zeros((site.asic_count, periods)),
            hashrate_ph_s=np.zeros(periods),
            site_mw=np.zeros(periods),
            energy_use_mw={use: np.zeros(periods) for use in ENERGY_USES},
            revenue_usd={stream: np.zeros(periods) for stream in REVENUE_STREAMS},
            energy_cost_usd=np.zeros(periods),
            reserved_served=np.ones(periods),
            inference_served=np.ones(periods),
            clipped_mw=np.zeros(periods),
        )

    def interval_start_utc(self, t: int) -> datetime:
        """Start of interval ``t``."""
        return self.start_utc + timedelta(seconds=t * self.site.step_s)

    def record(self, t: int, applied: Applied, on_before: np.ndarray) -> None:
        """Book one applied interval."""
        site, inputs, step_h = self.site, self.inputs, self.site.step_h
        low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
        asic_mw = applied.asic_normal * site.asic_power_mw + applied.asic_low * low_unit_mw
        started = np.maximum(0.0, applied.asic_normal + applied.asic_low - on_before)
        hashrate = float(
            (applied.asic_normal * site.asic_hashrate_ph_s).sum()
            + (applied.asic_low * site.asic_hashrate_ph_s * site.asic_low_hashrate_fraction).sum()
            - (started * site.asic_hashrate_ph_s * site.asic_startup_fraction).sum()
        )
        fraction = float(inputs.inference_load_fraction[t])
        available = float(site.training_available_nodes(fraction))
        self.asic_mw[:, t] = asic_mw
        self.hashrate_ph_s[t] = hashrate
        self.site_mw[t] = applied.site_mw
        uses = self.energy_use_mw
        uses["mining"][t] = asic_mw.sum()
        uses["ai_reserved"][t] = site.reserved_mw * applied.reserved_served
        uses["ai_inference"][t] = site.inference_mw_at_full * fraction * applied.inference_served
        uses["ai_training"][t] = applied.training_nodes * site.training_node_busy_mw
        uses["ai_idle"][t] = (
            site.gpu_fixed_mw
            - site.reserved_mw
            + (available - applied.training_nodes) * site.training_node_idle_mw
            - applied.idle_off_mw
        )
        energy_mwh = applied.site_mw * step_h
        block_mwh = site.ppa_block_mw * step_h
        price = float(inputs.rt_price_usd_per_mwh[t])
        self.energy_cost_usd[t] = (
            block_mwh * site.ppa_price_usd_per_mwh
            + (energy_mwh - block_mwh) * price
            + max(energy_mwh - block_mwh, 0.0) * site.rt_adder_usd_per_mwh
        )
        revenue = self.revenue_usd
        revenue["mining"][t] = hashrate * float(inputs.hashprice_usd_per_ph_day[t]) / 24.0 * step_h
        revenue["reserved"][t] = site.reserved_usd_per_h * step_h
        revenue["inference"][t] = (
            site.inference_usd_per_h_at_full * fraction * applied.inference_served * step_h
        )
        revenue["training"][t] = applied.training_nodes * site.training_usd_per_node_hour * step_h
        revenue["ancillary"][t] = (
            min(site.ancillary_capacity_mw, float(asic_mw.sum())) * site.ancillary_usd_per_mw_h * step_h
        )
        revenue["demand_response"][t] = float(self.schedule.dr_usd_per_h[t]) * step_h
        self.reserved_served[t] = applied.reserved_served
        self.inference_served[t] = applied.inference_served
        self.clipped_mw[t] = applied.clipped_mw

    def book(self, applied: AppliedArrays) -> None:
        """Book every interval at once (array for array the same sums as :meth:`record`).

        The ASICs on before interval t are those that ran in t − 1 (all of them before the first).
        """
        site, inputs, step_h = self.site, self.inputs, self.site.step_h
        normal, low = applied.asic_normal, applied.asic_low
        power = site.asic_power_mw[:, None]
        low_unit_mw = (site.asic_power_mw * site.asic_low_power_fraction)[:, None]
        asic_mw = normal * power + low * low_unit_mw
        on = normal + low
        on_before = np.concatenate((np.ones((site.asic_count, 1)), on[:, :-1]), axis=1)
        started = np.maximum(0.0, on - on_before)
        hashrate_ph_s = site.asic_hashrate_ph_s[:, None]
        hashrate = (
            (normal * hashrate_ph_s).sum(axis=0)
            + (low * hashrate_ph_s * site.asic_low_hashrate_fraction[:, None]).sum(axis=0)
            - (started * hashrate_ph_s * site.asic_startup_fraction[:, None]).sum(axis=0)
        )
        fraction = inputs.inference_load_fraction
        available = np.asarray(site.training_available_nodes(fraction), dtype=float)
        training = applied.training_nodes
        mining_mw = asic_mw.sum(axis=0)
        self.asic_mw[:] = asic_mw
        self.hashrate_ph_s[:] = hashrate
        self.site_mw[:] = applied.site_mw
        uses = self.energy_use_mw
        uses["mining"][:] = mining_mw
        uses["ai_reserved"][:] = site.reserved_mw * applied.reserved_served
        uses["ai_inference"][:] = site.inference_mw_at_full * fraction * applied.inference_served
        uses["ai_training"][:] = training * site.training_node_busy_mw
        uses["ai_idle"][:] = (
            site.gpu_fixed_mw
            - site.reserved_mw
            + (available - training) * site.training_node_idle_mw
            - applied.idle_off_mw
        )
        energy_mwh = applied.site_mw * step_h
        block_mwh = site.ppa_block_mw * step_h
        price = inputs.rt_price_usd_per_mwh
        self.energy_cost_usd[:] = (
            block_mwh * site.ppa_price_usd_per_mwh
            + (energy_mwh - block_mwh) * price
            + np.maximum(energy_mwh - block_mwh, 0.0) * site.rt_adder_usd_per_mwh
        )
        revenue = self.revenue_usd
        revenue["mining"][:] = hashrate * inputs.hashprice_usd_per_ph_day / 24.0 * step_h
        revenue["reserved"][:] = site.reserved_usd_per_h * step_h
        revenue["inference"][:] = (
            site.inference_usd_per_h_at_full * fraction * applied.inference_served * step_h
        )
        revenue["training"][:] = training * site.training_usd_per_node_hour * step_h
        revenue["ancillary"][:] = (
            np.minimum(site.ancillary_capacity_mw, mining_mw) * site.ancillary_usd_per_mw_h * step_h
        )
        revenue["demand_response"][:] = self.schedule.dr_usd_per_h * step_h
        self.reserved_served[:] = applied.reserved_served
        self.inference_served[:] = applied.inference_served
        self.clipped_mw[:] = applied.clipped_mw

    def finish(self, backlog_node_hours: float) -> None:
        """Compute 4CP, SLA credits and the totals once every interval is booked."""
        self.training_backlog_end_node_hours = backlog_node_hours
        site, step_h = self.site, self.site.step_h
        four_cp_usd = float((self.schedule.four_cp_usd_per_mw * self.site_mw).sum())
        revenue = {name: float(v.sum()) for name, v in self.revenue_usd.items()}
        energy = {use: float(v.sum() * step_h) for use, v in self.energy_use_mw.items()}
        energy["site"] = float(self.site_mw.sum() * step_h)
        costs = {
            "energy": float(self.energy_cost_usd.sum()),
            "four_cp": four_cp_usd,
            "sla_credits": self._sla_credits_usd(),
        }
        cap = self.schedule.power_cap_mw
        nameplate = float(site.asic_power_mw.sum())
        curtailed_hours = (
            float(((nameplate - self.asic_mw.sum(axis=0)) / nameplate).sum() * step_h) if nameplate else 0.0
        )
        self.totals = {
            **{f"revenue_{k}_usd": v for k, v in revenue.items()},
            **{f"cost_{k}_usd": v for k, v in costs.items()},
            **{f"energy_{k}_mwh": v for k, v in energy.items()},
            "revenue_usd": sum(revenue.values()),
            "cost_usd": sum(costs.values()),
            "profit_usd": sum(revenue.values()) - sum(costs.values()),
            "curtailed_fleet_hours": curtailed_hours,
            "power_limit_violations": float(int((self.site_mw > cap + TOLERANCE_MW).sum())),
            "clipped_intervals": float(int((self.clipped_mw > TOLERANCE_MW).sum())),
            "peak_site_mw": float(self.site_mw.max()) if len(self.site_mw) else 0.0,
            "training_backlog_end_node_hours": backlog_node_hours,
        }

    def _sla_credits_usd(self) -> float:
        """Monthly uptime credits on reserved capacity (the bill of a month × credit share)."""
        sla = self.site.reserved_sla
        if sla is None:
            return 0.0
        month = self.inputs.local_month
        starts = np.concatenate(([0], np.flatnonzero(np.diff(month) != 0) + 1))
        stops = np.concatenate((starts[1:], [len(month)]))
        bill = self.revenue_usd["reserved"]
        return float(
            sum(
                sla.credit_fraction(float(self.reserved_served[a:b].mean())) * float(bill[a:b].sum())
                for a, b in zip(starts, stops, strict=True)
            )
        )
