"""``oracle``: one LP over the whole horizon with perfect information — the bound no policy beats.

It is given the truth (real-time prices, realised hashprice, AI load, arrivals and the 4CP
peaks) when built, solves once, then replays its plan. It is clairvoyant on purpose: it
grades the honest policies, it is not one.
"""

from __future__ import annotations

import numpy as np

from wattswitch.dispatch.lp import Plan, Window
from wattswitch.dispatch.oracle_prefix import solve_prefix
from wattswitch.dispatch.oracle_split import solve_split
from wattswitch.dispatch.rows import DecisionArrays
from wattswitch.model.inputs import SiteInputs
from wattswitch.model.observation import Decision, Observation
from wattswitch.model.site_model import SiteModel


def solve_oracle(site: SiteModel, window: Window) -> Plan:
    """The optimum of :func:`~wattswitch.dispatch.lp.solve_window`'s LP over a long window.

    First by the split method (a training greedy plus small ASIC LPs, accepted only with a proof
    of optimality: ≈ 14× faster on a year at 5 min), else as one LP with the training backlog as
    prefix sums (≈ 3× faster than the chain of ``solve_window``).
    """
    try:
        split = solve_split(site, window)
    except RuntimeError:  # a fixed-training ASIC LP the split could not solve: the whole LP decides
        split = None
    return split or solve_prefix(site, window)


class OraclePolicy:
    """Replays the hindsight-optimal plan."""

    name = "oracle"

    def __init__(
        self, site: SiteModel, inputs: SiteInputs, power_cap_mw: np.ndarray, four_cp_usd_per_mw: np.ndarray
    ) -> None:
        self.site = site
        window = Window.of_inputs(
            inputs,
            power_cap_mw=power_cap_mw,
            four_cp_usd_per_mw=four_cp_usd_per_mw,
            on_fraction_before=np.ones(site.asic_count),
        )
        self.plan: Plan = solve_oracle(site, window)

    def decide(self, observation: Observation) -> Decision:
        """The plan's split for this interval."""
        t = observation.t
        return Decision(tuple(self.plan.normal[:, t]), tuple(self.plan.low[:, t]), float(self.plan.train[t]))

    def fixed_plan(self, periods: int) -> DecisionArrays:
        """The whole plan at once (the engine replays it on its vectorised path)."""
        if self.plan.train.shape[0] != periods:
            raise ValueError(
                f"the oracle planned {self.plan.train.shape[0]} intervals, the run has {periods}"
            )
        return DecisionArrays(self.plan.normal, self.plan.low, self.plan.train)
