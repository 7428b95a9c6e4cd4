"""Shared fixtures: the real-data folder (WATTSWITCH_DATA) and the default scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattswitch.data.io import data_root
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.scenario import Scenario

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; the test is skipped when WATTSWITCH_DATA is unset."""
    root = data_root()
    if root is None or not root.is_dir():
        pytest.skip("WATTSWITCH_DATA is not set to the shared data folder")
    return root


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The embedded default scenario."""
    return default_scenario()
