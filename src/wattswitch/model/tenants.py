"""GPU-cloud tenants and their reservations (take-or-pay bare metal with an uptime SLA)."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model import checks


@dataclass(frozen=True)
class UptimeSla:
    """Credit ``credit_fraction_per_0_1pct`` of the bill per 0.1 % of uptime below target, capped."""

    uptime_target_fraction: float = 0.999
    credit_fraction_per_0_1pct: float = 0.05
    max_credit_fraction: float = 0.30

    def __post_init__(self) -> None:
        checks.fraction("UptimeSla", "uptime_target_fraction", self.uptime_target_fraction)
        checks.fraction("UptimeSla", "credit_fraction_per_0_1pct", self.credit_fraction_per_0_1pct)
        checks.fraction("UptimeSla", "max_credit_fraction", self.max_credit_fraction)

    def credit_fraction(self, uptime_fraction: float) -> float:
        """Share of the bill credited back for a period with this uptime."""
        shortfall_pct = max(0.0, self.uptime_target_fraction - uptime_fraction) * 100.0
        return min(self.max_credit_fraction, shortfall_pct / 0.1 * self.credit_fraction_per_0_1pct)


@dataclass(frozen=True)
class Reservation:
    """``node_count`` nodes of ``gpu_group`` rented at ``price_usd_per_gpu_hour``, whether used or not."""

    gpu_group: str
    node_count: int
    price_usd_per_gpu_hour: float
    busy_fraction: float = 0.85
    sla: UptimeSla = UptimeSla()

    def __post_init__(self) -> None:
        owner = f"Reservation on {self.gpu_group}"
        if not isinstance(self.node_count, int) or self.node_count < 1:
            raise ModelError(f"{owner}.node_count: must be a whole number ≥ 1")
        checks.positive(owner, "price_usd_per_gpu_hour", self.price_usd_per_gpu_hour)
        checks.fraction(owner, "busy_fraction", self.busy_fraction)


@dataclass(frozen=True)
class Tenant:
    """A GPU-cloud customer; reserved tenants hold reservations, on-demand ones none."""

    name: str
    reservations: tuple[Reservation, ...] = ()

    def __post_init__(self) -> None:
        checks.name("Tenant", "name", self.name)
