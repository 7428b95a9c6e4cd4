"""Valuation by EV/EBITDA multiples: a miner's multiple vs a data-center operator's, and EV per MW."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.model import checks


@dataclass(frozen=True)
class EvRange:
    """Enterprise value at the low and high multiple, USD."""

    low_usd: float
    high_usd: float

    @property
    def mid_usd(self) -> float:
        """Midpoint."""
        return (self.low_usd + self.high_usd) / 2.0


def ev_range(ebitda_usd: float, multiple_low: float, multiple_high: float) -> EvRange:
    """EV = EBITDA × multiple at both ends of a multiple range (negative EBITDA is valued at 0)."""
    checks.non_negative("ev_range", "multiple_low", multiple_low)
    checks.non_negative("ev_range", "multiple_high", multiple_high)
    base = max(ebitda_usd, 0.0)
    return EvRange(base * multiple_low, base * multiple_high)


@dataclass(frozen=True)
class Valuation:
    """A site's run-rate EBITDA by segment and its EV two ways, per MW of energised power.

    ``as_miner`` values all EBITDA at the miner's multiple; ``sum_of_parts`` values mining EBITDA
    at the miner's multiple and AI EBITDA at the data-center operator's.
    """

    mining_ebitda_usd: float
    ai_ebitda_usd: float
    as_miner: EvRange
    sum_of_parts: EvRange
    power_mw: float

    @property
    def ebitda_usd(self) -> float:
        """Total run-rate EBITDA."""
        return self.mining_ebitda_usd + self.ai_ebitda_usd

    @property
    def sum_of_parts_usd_per_mw(self) -> EvRange:
        """Sum-of-parts EV per MW of energised power."""
        return EvRange(self.sum_of_parts.low_usd / self.power_mw, self.sum_of_parts.high_usd / self.power_mw)


def value_site(
    mining_ebitda_usd: float,
    ai_ebitda_usd: float,
    power_mw: float,
    *,
    miner_multiple: tuple[float, float],
    dc_multiple: tuple[float, float],
) -> Valuation:
    """Value a site's run-rate EBITDA under both multiples (see :class:`Valuation`)."""
    checks.positive("value_site", "power_mw", power_mw)
    mining = ev_range(mining_ebitda_usd, *miner_multiple)
    ai_as_dc = ev_range(ai_ebitda_usd, *dc_multiple)
    return Valuation(
        mining_ebitda_usd,
        ai_ebitda_usd,
        as_miner=ev_range(mining_ebitda_usd + ai_ebitda_usd, *miner_multiple),
        sum_of_parts=EvRange(mining.low_usd + ai_as_dc.low_usd, mining.high_usd + ai_as_dc.high_usd),
        power_mw=power_mw,
    )
