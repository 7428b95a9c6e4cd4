"""One-at-a-time sensitivity (a tornado): each variable at its low and high case, others at base."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SensitivityCase:
    """A variable and how to evaluate the output at its low and high settings."""

    variable: str
    low_label: str
    high_label: str
    evaluate_low: Callable[[], float]
    evaluate_high: Callable[[], float]


@dataclass(frozen=True)
class TornadoRow:
    """The output with one variable at its low and at its high setting."""

    variable: str
    low_label: str
    high_label: str
    low_value: float
    high_value: float

    @property
    def swing(self) -> float:
        """Spread between the two cases (what the rows are sorted by)."""
        return abs(self.high_value - self.low_value)


def tornado(cases: Sequence[SensitivityCase]) -> tuple[TornadoRow, ...]:
    """Evaluate every case; rows sorted by swing, widest first (the tornado's shape)."""
    rows = [TornadoRow(c.variable, c.low_label, c.high_label, c.evaluate_low(), c.evaluate_high())
            for c in cases]
    return tuple(sorted(rows, key=lambda r: r.swing, reverse=True))
