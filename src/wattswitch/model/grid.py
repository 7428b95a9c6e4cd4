"""Grid events the site must honour: demand-response curtailment windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wattswitch.errors import ModelError
from wattswitch.model import checks


@dataclass(frozen=True)
class DemandResponseEvent:
    """From ``start_utc`` for ``duration_s`` the site draws at most ``cap_mw``; paid per MWh shed."""

    start_utc: datetime
    duration_s: float
    cap_mw: float
    payment_usd_per_mwh: float = 0.0

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ModelError("DemandResponseEvent.start_utc: needs a time zone (use ...Z for UTC)")
        checks.positive("DemandResponseEvent", "duration_s", self.duration_s)
        checks.non_negative("DemandResponseEvent", "cap_mw", self.cap_mw)
        checks.non_negative("DemandResponseEvent", "payment_usd_per_mwh", self.payment_usd_per_mwh)

    @property
    def end_utc(self) -> datetime:
        """End of the event (exclusive)."""
        return self.start_utc + timedelta(seconds=self.duration_s)
