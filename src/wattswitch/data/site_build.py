"""A scenario's simulated site from its signals: the fluid engine or the coupled (job-level) site."""

from __future__ import annotations

from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.signals import ScenarioSignals
from wattswitch.model.scenario import Scenario
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.coupled_parts import coupled_parts
from wattswitch.sim.engine import SimulatedSite


def build_site(scenario: Scenario, signals: ScenarioSignals) -> SimulatedSite | CoupledSite:
    """``SimulatedSite`` for ``ai_simulation = "fluid"``, else the coupled site on the jobs and requests."""
    inputs = site_inputs(scenario, signals)
    if scenario.ai_simulation == "fluid":
        return SimulatedSite(scenario, inputs)
    parts = coupled_parts(
        scenario, None, inputs.inference_load_fraction, signals.training_jobs,
        requests=signals.inference_requests,
    )
    return CoupledSite(scenario, inputs, parts)
