"""Site fixtures for the planner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattswitch.data.site_file import load_site
from wattswitch.model.site_assessment import SiteAssessment

SITES = Path(__file__).parents[1] / "fixtures" / "sites"


@pytest.fixture
def mining_site() -> SiteAssessment:
    """A plain 100 MW mining site: substation on hand, nothing else a data center needs."""
    return load_site(SITES / "mining-site.toml")
