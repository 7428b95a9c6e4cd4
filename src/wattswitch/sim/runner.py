"""Run one or several policies on the same inputs and grade them against the oracle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.mpc import MpcPolicy, MpcSettings
from wattswitch.dispatch.oracle import OraclePolicy
from wattswitch.dispatch.threshold import ThresholdPolicy
from wattswitch.errors import ModelError
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.coupled_bound import coupled_bound
from wattswitch.sim.engine import Policy, Progress, SimulatedSite
from wattswitch.sim.ledger import Ledger

POLICY_NAMES = ("always-on", "threshold", "mpc", "oracle")
BASELINE = "always-on"
BOUND = "oracle"
COUPLED_REPLAN_S = 2700  # mpc's tuned cadence (3 intervals of 15 min)


def make_policy(name: str, site: SimulatedSite | CoupledSite) -> Policy:
    """A fresh policy by name (the oracle solves its LP here; on a coupled site the bound is no
    policy: :func:`compare` books it with :func:`coupled_bound`)."""
    if name == "always-on":
        return AlwaysOnPolicy(site.site)
    if name == "threshold":
        return ThresholdPolicy(site.site)
    if name == "mpc":
        if isinstance(site, CoupledSite):  # its windows are LPs: re-plan every 45 min whatever the step
            every = max(MpcSettings().replan_every_intervals, round(COUPLED_REPLAN_S / site.site.step_s))
            return MpcPolicy(site.site, MpcSettings(replan_every_intervals=every))
        return MpcPolicy(site.site)
    if name == "oracle":
        if isinstance(site, CoupledSite):
            raise ModelError("on a coupled site the oracle is a bound, not a policy: use compare()")
        return OraclePolicy(
            site.site, site.inputs, site.schedule.power_cap_mw, site.schedule.four_cp_usd_per_mw
        )
    raise ModelError(f"unknown policy {name!r}; choose from {', '.join(POLICY_NAMES)}")


def capture(profit_usd: float, baseline_usd: float, bound_usd: float) -> float | None:
    """(profit − always-on) / (oracle − always-on); None when the oracle gains nothing."""
    gap = bound_usd - baseline_usd
    return (profit_usd - baseline_usd) / gap if abs(gap) > 1e-6 else None


@dataclass(frozen=True)
class Comparison:
    """Ledgers of several policies on the same inputs, with each one's capture."""

    ledgers: dict[str, Ledger]
    capture: dict[str, float | None]


def compare(
    site: SimulatedSite | CoupledSite,
    names: Sequence[str] = POLICY_NAMES,
    progress: Callable[[str], Progress | None] | None = None,
) -> Comparison:
    """Run each named policy (always-on and oracle are added: capture needs both)."""
    wanted = list(dict.fromkeys([BASELINE, *names, BOUND]))
    ledgers: dict[str, Ledger] = {}
    for name in wanted:
        if name == BOUND and isinstance(site, CoupledSite):
            ledgers[name] = coupled_bound(site)
            continue
        policy = make_policy(name, site)
        ledgers[name] = site.run(policy, progress(name) if progress else None)
    base = ledgers[BASELINE].totals["profit_usd"]
    bound = ledgers[BOUND].totals["profit_usd"]
    return Comparison(
        ledgers=ledgers,
        capture={name: capture(ledger.totals["profit_usd"], base, bound) for name, ledger in ledgers.items()},
    )
