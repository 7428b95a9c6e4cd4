"""The site: one grid interconnect, its market, and cooling zones with their PUE."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wattswitch.errors import ModelError
from wattswitch.model import checks

MARKETS = ("ERCOT", "CAISO", "SPP", "OTHER")


@dataclass(frozen=True)
class CoolingZone:
    """A part of the site with its own cooling; facility power = IT power × ``pue``."""

    name: str
    pue: float

    def __post_init__(self) -> None:
        checks.name("CoolingZone", "name", self.name)
        checks.in_range(f"CoolingZone {self.name}", "pue", self.pue, 1.0, 3.0)


@dataclass(frozen=True)
class Site:
    """A power-first data center behind one interconnect of ``interconnect_limit_mw``."""

    name: str
    interconnect_limit_mw: float
    market: str
    hub: str
    timezone: str
    cooling_zones: tuple[CoolingZone, ...]

    def __post_init__(self) -> None:
        owner = f"Site {self.name}"
        checks.name("Site", "name", self.name)
        checks.positive(owner, "interconnect_limit_mw", self.interconnect_limit_mw)
        if self.market not in MARKETS:
            raise ModelError(f"{owner}.market: {self.market!r} is not one of {', '.join(MARKETS)}")
        checks.name(owner, "hub", self.hub)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ModelError(
                f"{owner}.timezone: {self.timezone!r} is not an IANA zone such as America/Chicago"
            ) from err
        if not self.cooling_zones:
            raise ModelError(f"{owner}.cooling_zones: at least one zone is needed")
        checks.unique(owner, "cooling_zones", [z.name for z in self.cooling_zones])

    def zone(self, zone_name: str) -> CoolingZone:
        """The cooling zone of that name (clear error if unknown)."""
        for zone in self.cooling_zones:
            if zone.name == zone_name:
                return zone
        known = ", ".join(z.name for z in self.cooling_zones)
        raise ModelError(f"Site {self.name}: no cooling zone {zone_name!r} (zones: {known})")
