"""``always-on``: every ASIC mines and every AI job runs, whatever the price (the baseline)."""

from __future__ import annotations

import numpy as np

from wattswitch.dispatch.common import fit_to_cap
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
