"""``always-on``: every ASIC mines and every AI job runs, whatever the price (the baseline)."""

from __future__ import annotations

import numpy as np

from wattswitch.dispatch.common import fit_to_cap, fit_to_cap_rows
from wattswitch.dispatch.rows import DecisionArrays, KnownRows
from wattswitch.model.observation import Decision, Observation
from wattswitch.model.site_model import SiteModel


class AlwaysOnPolicy:
    """Run everything; only a demand-response cap in force trims it."""

    name = "always-on"

    def __init__(self, site: SiteModel) -> None:
        self.site = site

    def decide(self, observation: Observation) -> Decision:
        """All ASICs in normal mode, training on every free node, fitted under the cap."""
        count = self.site.asic_count
        normal, low, training = fit_to_cap(
            self.site, observation, np.ones(count), np.zeros(count), float("inf")
        )
        return Decision(tuple(normal), tuple(low), training)

    def decide_rows(self, known: KnownRows) -> DecisionArrays:
        """The same for every row of what is known at once (the engine's vectorised path)."""
        rows, count = len(known), self.site.asic_count
        normal, low, training = fit_to_cap_rows(
            self.site, known, np.ones((count, rows)), np.zeros((count, rows)), np.full(rows, np.inf)
        )
        return DecisionArrays(normal, low, training)
