"""Power contracts: a fixed-price PPA block, real-time exposure, ERCOT 4CP and ancillary services."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model import checks


@dataclass(frozen=True)
class PpaBlock:
    """A fixed-price block: ``block_mw`` every interval at ``price_usd_per_mwh``, take-or-pay.

    With ``resell_unused`` the energy the site does not use is sold back at the real-time price
    (the mechanism behind miners' "power credits").
    """

    block_mw: float
    price_usd_per_mwh: float
    resell_unused: bool = True

    def __post_init__(self) -> None:
        checks.positive("PpaBlock", "block_mw", self.block_mw)
        checks.in_range("PpaBlock", "price_usd_per_mwh", self.price_usd_per_mwh, -1000, 10000)


@dataclass(frozen=True)
class RealTimeIndex:
    """Energy above the PPA block is bought at the hub's real-time price plus ``adder_usd_per_mwh``."""

    adder_usd_per_mwh: float = 0.0

    def __post_init__(self) -> None:
        checks.in_range("RealTimeIndex", "adder_usd_per_mwh", self.adder_usd_per_mwh, -100, 1000)


@dataclass(frozen=True)
class FourCpCharge:
    """ERCOT 4CP transmission charge: the site's MW in the four summer-month system peaks × rate."""

    rate_usd_per_kw_year: float
    months: tuple[int, ...] = (6, 7, 8, 9)

    def __post_init__(self) -> None:
        checks.non_negative("FourCpCharge", "rate_usd_per_kw_year", self.rate_usd_per_kw_year)
        if not self.months or any(m not in range(1, 13) for m in self.months):
            raise ModelError(f"FourCpCharge.months: must be months 1–12, got {self.months!r}")


@dataclass(frozen=True)
class AncillaryParticipation:
    """Curtailable MW sold as an ancillary service (e.g. ERCOT ECRS or Non-Spin) at a capacity price."""

    service: str
    capacity_mw: float
    price_usd_per_mw_hour: float

    def __post_init__(self) -> None:
        checks.name("AncillaryParticipation", "service", self.service)
        checks.non_negative("AncillaryParticipation", "capacity_mw", self.capacity_mw)
        checks.non_negative(
            "AncillaryParticipation", "price_usd_per_mw_hour", self.price_usd_per_mw_hour
        )


@dataclass(frozen=True)
class PowerContract:
    """How the site buys power: an optional PPA block, real-time exposure, 4CP, ancillary services."""

    real_time: RealTimeIndex = RealTimeIndex()
    ppa: PpaBlock | None = None
    four_cp: FourCpCharge | None = None
    ancillary: tuple[AncillaryParticipation, ...] = ()
