"""First start of a database: the default site and scenario, and a first admin key."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.model.default_scenario import default_scenario
from wattswitch.store import codec, repo
from wattswitch.store.db import Store


@dataclass(frozen=True)
class Bootstrap:
    """What the first start created: the admin key's secret (None when one existed already)."""

    admin_secret: str | None
    site_created: bool


def bootstrap(store: Store, *, seed_default: bool = True) -> Bootstrap:
    """Create the default site with the default scenario when there is no site yet, and an admin
    key when there is no live one (its secret is returned once and never stored)."""
    created = False
    with store.write() as session:
        if seed_default and not repo.list_sites(session):
            scenario = default_scenario()
            site = repo.create_site(session, scenario.site.name, scenario.description)
            repo.create_scenario(session, site.id, scenario.name, codec.scenario_to_json(scenario))
            created = True
        secret = None
        if repo.count_live_admin_keys(session) == 0:
            _row, secret = repo.create_key(session, "first admin (wattswitch serve)", "admin")
    return Bootstrap(secret, created)
