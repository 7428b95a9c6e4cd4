"""The live controller: every interval observe → decide → journal → apply → confirm → record.

The journal (``decisions`` in the store) is written and committed *before* any equipment is
touched, with the full target of every miner. After a crash (``kill -9`` anywhere), ``recover``
finishes the current interval's decision from the journal instead of deciding again — and since
commands are computed from measured state against the journaled targets, nothing is sent twice
for miners that already got there. Decisions of intervals already over are marked superseded.

Safe modes replace or bound the policy's decision when the price feed is stale, Slurm cannot be
read, or too many miners are silent; each raises an alert (log + store + API) and clears it when
the cause is gone. A failing system-load or hashprice feed raises an alert only (the 4CP watch
then sees the load known before; breakevens use the last known hashprice). Grid events (demand
response, 4CP) arriving through the API or CLI lower the cap at once: the controller re-plans
immediately (a decision journaled at the trigger instant).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from wattswitch.control.clock import Clock, interval_start
from wattswitch.control.live_site import LiveSite, Outcome, Reading
from wattswitch.control.targets import MinerTarget, SitePlan, plan_site
from wattswitch.errors import ModelError
from wattswitch.model.observation import Decision
from wattswitch.sim.engine import Policy
from wattswitch.store import live as journal
from wattswitch.store import repo
from wattswitch.store.db import Store

log = logging.getLogger("wattswitch.control")

PRICE_LOSS_ACTIONS = ("curtail-mining", "hold")


@dataclass(frozen=True)
class SafetySettings:
    """When to enter a safe mode and what it does."""

    price_stale_after_s: float = 1800.0
    on_price_loss: str = "curtail-mining"  # or "hold": keep the last decision
    min_fleet_reachable_share: float = 0.8
    event_poll_s: float = 1.0

    def __post_init__(self) -> None:
        if self.on_price_loss not in PRICE_LOSS_ACTIONS:
            choices = ", ".join(PRICE_LOSS_ACTIONS)
            raise ModelError(f"on_price_loss: {self.on_price_loss!r}; choose from {choices}")
        if not 0 <= self.min_fleet_reachable_share <= 1:
            raise ModelError(
                f"min_fleet_reachable_share must lie in [0, 1], got {self.min_fleet_reachable_share}"
            )
        if not (self.price_stale_after_s > 0 and self.event_poll_s > 0):
            raise ModelError("price_stale_after_s and event_poll_s must be > 0")


@dataclass(frozen=True)
class StepReport:
    """What one controller step did (printed by the CLI, asserted by tests)."""

    at_utc: datetime
    kind: str  # "interval" or "grid-event"
    decision_id: int
    resumed: bool
    safe_modes: tuple[str, ...]
    cap_mw: float
    plan: SitePlan
    outcome: Outcome


@dataclass(frozen=True)
class ActiveEvent:
    """A grid event in force (or announced) as the controller sees it."""

    event_id: int
    kind: str
    target_mw: float
    start_utc: datetime
    end_utc: datetime
    acknowledged: bool
    met: bool


class Controller:
    """Drives a :class:`LiveSite` with a policy, journaling in a :class:`Store`."""

    def __init__(
        self,
        live: LiveSite,
        policy: Policy,
        store: Store,
        site_id: int,
        clock: Clock,
        *,
        safety: SafetySettings | None = None,
        dry_run: bool = False,
        on_step: Callable[[StepReport], None] | None = None,
    ) -> None:
        self.live = live
        self.policy = policy
        self.store = store
        self.site_id = site_id
        self.clock = clock
        self.safety = safety or SafetySettings()
        self.dry_run = dry_run
        self.on_step = on_step
        self.step_s = live.site.step_s
        self._last_decision: Decision | None = None

    # --- the loop --------------------------------------------------------------------------------

    async def run(
        self, *, intervals: int | None = None, until_utc: datetime | None = None
    ) -> list[StepReport]:
        """Recover, then step every interval (and on every new grid event) until told to stop."""
        reports: list[StepReport] = []
        recovered = await self.recover()
        if recovered is not None:
            reports.append(recovered)
        done = 0
        while intervals is None or done < intervals:
            now = self.clock.now()
            if until_utc is not None and now >= until_utc:
                break
            reports.append(await self.step())
            done += 1
            if intervals is not None and done >= intervals:
                break
            next_start = interval_start(self.clock.now(), self.step_s) + timedelta(seconds=self.step_s)
            while (remaining := (next_start - self.clock.now()).total_seconds()) > 0:
                event_report = await self.respond_to_events()
                if event_report is not None:
                    reports.append(event_report)
                await self.clock.sleep(min(self.safety.event_poll_s, remaining))
        return reports

    async def recover(self) -> StepReport | None:
        """After a restart: supersede past unfinished decisions; finish the current interval's one."""
        start = interval_start(self.clock.now(), self.step_s)
        with self.store.write() as session:
            closed = journal.supersede_unfinished(session, self.site_id, start)
        if closed:
            log.warning(
                "recovery: %d unfinished decision(s) of past intervals marked superseded", len(closed)
            )
        with self.store.read() as session:
            row = journal.decision_at(session, self.site_id, start)
            unfinished = row is not None and row.state in ("journaled", "applied")
        if not unfinished:
            return None
        log.warning("recovery: finishing the journaled decision of %s", start.isoformat())
        return await self.step()

    async def step(self, *, kind: str = "interval", at_utc: datetime | None = None) -> StepReport:
        """One cycle for the current interval (or a grid event's instant); idempotent per journal row."""
        at = at_utc or interval_start(self.clock.now(), self.step_s)
        reading = await self.live.read(self.clock.now(), fleet=kind != "grid-event")
        events = self._events(self.clock.now())
        caps = [(e.start_utc, e.end_utc, e.target_mw) for e in events]
        cap_mw = self._cap_now(caps)
        modes = self._safe_modes(reading)
        self._alerts(reading, modes)

        with self.store.read() as session:
            row = journal.decision_at(session, self.site_id, at)
            existing = None if row is None else (row.id, row.state, dict(row.decision))
        resumed = existing is not None
        if existing is None:
            plan, payload = self._decide(
                at, reading=reading, caps=caps, cap_mw=cap_mw, modes=modes, kind=kind
            )
            with self.store.write() as session:  # committed before anything is touched
                decision_id = repo.journal_decision(session, self.site_id, at, payload).id
            state = "journaled"
        else:
            decision_id, state, payload = existing
            plan = plan_from_plain(payload["plan"])

        outcome = Outcome(cap_mw=plan.cap_mw, dry_run=self.dry_run)
        if state == "journaled":
            outcome = await self.live.apply(plan, reading, dry_run=self.dry_run)
            with self.store.write() as session:
                repo.advance_decision(session, decision_id, "applied")
                journal.record_outcome(session, decision_id, outcome.plain())
            state = "applied"
        if state == "applied":
            with self.store.write() as session:
                repo.advance_decision(session, decision_id, "confirmed")
        self._mark_events(events, outcome)
        if outcome.max_measured_mw > plan.cap_mw + 1e-6 and not self.dry_run:
            self._alert(
                "power-limit", f"measured {outcome.max_measured_mw:.3f} MW over the cap {plan.cap_mw:.3f} MW"
            )
        report = StepReport(at, kind, decision_id, resumed, modes, plan.cap_mw, plan, outcome)
        if self.on_step is not None:
            self.on_step(report)
        return report

    async def respond_to_events(self) -> StepReport | None:
        """If a grid event arrived that the controller has not acknowledged, re-plan now."""
        now = self.clock.now()
        fresh = [e for e in self._events(now) if not e.acknowledged]
        if not fresh:
            return None
        with self.store.write() as session:
            for e in fresh:
                journal.mark_grid_event(session, e.event_id, acknowledged=True)
        log.warning(
            "grid event(s) %s: cap %.3f MW from now",
            [e.event_id for e in fresh],
            min(e.target_mw for e in fresh),
        )
        return await self.step(kind="grid-event", at_utc=now)

    # --- deciding --------------------------------------------------------------------------------

    def _decide(
        self,
        at: datetime,
        *,
        reading: Reading,
        caps: list[tuple[datetime, datetime, float]],
        cap_mw: float,
        modes: tuple[str, ...],
        kind: str,
    ) -> tuple[SitePlan, dict[str, Any]]:
        live = self.live
        observation = live.observation(interval_start(at, self.step_s), reading, caps)
        decision = self.policy.decide(observation)
        if "price-feed" in modes:
            decision = self._price_loss_decision(decision)
        self._last_decision = decision
        telemetry = reading.telemetry
        gpu = live.gpu_demand(reading.jobs)  # a budget above what the jobs would draw is headroom
        if "cluster" in modes:  # cannot command GPUs: budget as if every preemptible node is busy
            decision = Decision(decision.asic_normal_fraction, decision.asic_low_fraction, math.inf)
        plan = plan_site(
            live.site,
            live.slots,
            telemetry,
            decision,
            cap_mw=cap_mw,
            gpu=gpu,
            margin_mw=live.settings.margin_mw,
        )
        payload = {
            "kind": kind,
            "policy": self.policy.name,
            "decision": decision_plain(decision),
            "price_usd_per_mwh": None if reading.price is None else reading.price.price_usd_per_mwh,
            "price_interval_utc": None
            if reading.price is None
            else reading.price.interval_start_utc.isoformat(),
            "hashprice_usd_per_ph_day": observation.hashprice_usd_per_ph_day,
            "safe_modes": list(modes),
            "dry_run": self.dry_run,
            "plan": plan_plain(plan),
        }
        return plan, payload

    def _price_loss_decision(self, decision: Decision) -> Decision:
        if self.safety.on_price_loss == "hold" and self._last_decision is not None:
            return self._last_decision
        count = self.live.site.asic_count
        return Decision(tuple(np.zeros(count)), tuple(np.zeros(count)), decision.training_nodes)

    def _safe_modes(self, reading: Reading) -> tuple[str, ...]:
        modes: list[str] = []
        now = self.clock.now()
        stale = (
            reading.price is None
            or (now - (reading.price.interval_start_utc + timedelta(seconds=self.step_s))).total_seconds()
            > self.safety.price_stale_after_s
        )
        if reading.price_error is not None or stale:
            modes.append("price-feed")
        if reading.cluster_error is not None:
            modes.append("cluster")
        if reading.reachable_share < self.safety.min_fleet_reachable_share:
            modes.append("fleet")
        if reading.load_error is not None:
            modes.append("load-feed")
        if reading.hashprice_error is not None:
            modes.append("hashprice-feed")
        return tuple(modes)

    def _alerts(self, reading: Reading, modes: tuple[str, ...]) -> None:
        messages = {
            "price-feed": f"price feed {self.live.prices.name}: "
            + (reading.price_error or _stale_text(reading, self.clock.now()))
            + f"; safe mode: {self.safety.on_price_loss}",
            "cluster": f"Slurm unreachable ({reading.cluster_error}); "
            "GPUs budgeted at full power, not commanded",
            "fleet": f"only {reading.reachable_share:.0%} of miners answer (minimum "
            f"{self.safety.min_fleet_reachable_share:.0%}); silent miners are budgeted at nameplate",
            "load-feed": f"system load feed: {reading.load_error}; the policy's 4CP watch sees only the "
            "load known before (post a 4cp grid event to curtail for a peak)",
            "hashprice-feed": f"hashprice feed: {reading.hashprice_error}; deciding on the last known "
            f"hashprice, {self.live.hashprice_usd_per_ph_day:.2f} USD/PH/day",
        }
        with self.store.write() as session:
            already_open = {a.kind for a in journal.alerts_of(session, self.site_id, open_only=True)}
            for kind, message in messages.items():
                if kind in modes:
                    if kind not in already_open:
                        log.error("safe mode %s: %s", kind, message)
                        journal.raise_alert(session, self.site_id, kind, message)
                elif kind in already_open:
                    journal.clear_alert(session, self.site_id, kind)
                    log.warning("safe mode %s cleared", kind)

    def _alert(self, kind: str, message: str) -> None:
        log.error("%s: %s", kind, message)
        with self.store.write() as session:
            journal.raise_alert(session, self.site_id, kind, message)

    # --- grid events -----------------------------------------------------------------------------

    def _events(self, now: datetime) -> list[ActiveEvent]:
        with self.store.read() as session:
            rows = journal.grid_events_of(session, self.site_id, active_at=now)
            return [
                ActiveEvent(
                    r.id,
                    r.kind,
                    r.target_mw,
                    min(r.created_at, r.deadline_utc, now),
                    r.end_utc,
                    r.acknowledged_at is not None,
                    r.met_at is not None,
                )
                for r in rows
            ]

    def _cap_now(self, caps: list[tuple[datetime, datetime, float]]) -> float:
        limit = self.live.site.interconnect_limit_mw
        return min([limit, *(cap for _, _, cap in caps)])

    def _mark_events(self, events: list[ActiveEvent], outcome: Outcome) -> None:
        met = [e for e in events if not e.met and outcome.measured_mw_after <= e.target_mw + 1e-6]
        if not met or self.dry_run:
            return
        with self.store.write() as session:
            for e in met:
                journal.mark_grid_event(session, e.event_id, met=True)


def decision_plain(decision: Decision) -> dict[str, Any]:
    """A decision as JSON-ready data (infinite training nodes become ``null`` = "as many as useful")."""
    training = decision.training_nodes
    return {
        "asic_normal_fraction": [float(x) for x in decision.asic_normal_fraction],
        "asic_low_fraction": [float(x) for x in decision.asic_low_fraction],
        "training_nodes": None if math.isinf(training) else float(training),
    }


def plan_plain(plan: SitePlan) -> dict[str, Any]:
    """A plan as JSON-ready data, every miner's target included (what recovery re-applies)."""
    return {
        "cap_mw": plan.cap_mw,
        "planned_mw": round(plan.planned_mw, 6),
        "trimmed_mw": round(plan.trimmed_mw, 6),
        "training_nodes": plan.training_nodes,
        "miners": {
            "off": [t.address for t in plan.miner_targets if t.state == "off"],
            "mining": [t.address for t in plan.miner_targets if t.state == "mining"],
            "low": [[t.address, t.power_limit_w] for t in plan.miner_targets if t.state == "low"],
        },
    }


def plan_from_plain(plain: dict[str, Any]) -> SitePlan:
    """The plan journaled by :func:`plan_plain`."""
    miners = plain["miners"]
    targets = [MinerTarget(a, "off") for a in miners["off"]]
    targets += [MinerTarget(a, "mining") for a in miners["mining"]]
    targets += [MinerTarget(a, "low", float(w)) for a, w in miners["low"]]
    return SitePlan(
        miner_targets=tuple(targets),
        training_nodes=float(plain["training_nodes"]),
        planned_mw=float(plain["planned_mw"]),
        cap_mw=float(plain["cap_mw"]),
        trimmed_mw=float(plain["trimmed_mw"]),
    )


def _stale_text(reading: Reading, now: datetime) -> str:
    if reading.price is None:
        return "no price received yet"
    age_min = (now - reading.price.interval_start_utc).total_seconds() / 60
    return f"last price is for {reading.price.interval_start_utc.isoformat()} ({age_min:.0f} min old)"
