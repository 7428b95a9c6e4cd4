"""Decisions for many intervals at once, and what is known when deciding each (the vectorised path)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.model.observation import Decision, Observation


@dataclass(frozen=True)
class DecisionArrays:
    """Decisions for many intervals: ``normal``/``low`` are (groups × intervals) fractions,
    ``training_nodes`` one value per interval ("up to", as in :class:`Decision`)."""

    normal: np.ndarray
    low: np.ndarray
    training_nodes: np.ndarray

    def at(self, t: int) -> Decision:
        """The decision of interval ``t``."""
        return Decision(
            tuple(self.normal[:, t].tolist()), tuple(self.low[:, t].tolist()), float(self.training_nodes[t])
        )


@dataclass(frozen=True)
class KnownRows:
    """What is known when deciding each interval, one row per interval, rows in no useful order.

    ``last_rt_price_usd_per_mwh`` is the last settled price (NaN for the first interval);
    ``hashprice_usd_per_ph_day`` the last completed UTC day's; ``must_serve_gpu_mw_last`` and
    ``training_available_nodes_last`` the last interval's AI load; ``power_cap_mw`` the cap in
    force (caps are announced). No interval index and no calendar: the order cannot be rebuilt.
    """

    last_rt_price_usd_per_mwh: np.ndarray
    hashprice_usd_per_ph_day: np.ndarray
    must_serve_gpu_mw_last: np.ndarray
    training_available_nodes_last: np.ndarray
    power_cap_mw: np.ndarray

    def __len__(self) -> int:
        return len(self.power_cap_mw)

    def take(self, order: np.ndarray) -> KnownRows:
        """The rows in ``order`` (read-only arrays)."""
        columns = {}
        for name in KNOWN_COLUMNS:
            column = np.ascontiguousarray(getattr(self, name)[order])
            column.flags.writeable = False
            columns[name] = column
        return KnownRows(**columns)


KNOWN_COLUMNS = (
    "last_rt_price_usd_per_mwh",
    "hashprice_usd_per_ph_day",
    "must_serve_gpu_mw_last",
    "training_available_nodes_last",
    "power_cap_mw",
)


class FixedPlan:
    """A policy that replays decisions fixed before the run (open loop; whoever fixed them knew
    what they knew — the engine cannot tell, so such a plan is clairvoyant unless said otherwise)."""

    def __init__(self, name: str, decisions: DecisionArrays) -> None:
        self.name = name
        self.decisions = decisions

    def decide(self, observation: Observation) -> Decision:
        """The plan's decision for the observation's interval."""
        return self.decisions.at(observation.t)

    def fixed_plan(self, periods: int) -> DecisionArrays:
        """All decisions (the engine's vectorised path)."""
        if self.decisions.training_nodes.shape[0] != periods:
            raise ValueError(
                f"plan {self.name!r} has {self.decisions.training_nodes.shape[0]} intervals, not {periods}"
            )
        return self.decisions
