"""Validation helpers for domain dataclasses: each raises ModelError naming the field."""

from __future__ import annotations

import math

from wattswitch.errors import ModelError


def positive(owner: str, field: str, value: float) -> None:
    """``value`` must be a finite number > 0."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ModelError(f"{owner}.{field}: must be a positive number, got {value!r}")


def non_negative(owner: str, field: str, value: float) -> None:
    """``value`` must be a finite number ≥ 0."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ModelError(f"{owner}.{field}: must be a number ≥ 0, got {value!r}")


def fraction(owner: str, field: str, value: float) -> None:
    """``value`` must lie in [0, 1]."""
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ModelError(f"{owner}.{field}: must be a fraction in [0, 1], got {value!r}")


def in_range(owner: str, field: str, value: float, low: float, high: float) -> None:
    """``value`` must lie in [low, high]."""
    if not (isinstance(value, int | float) and low <= value <= high):
        raise ModelError(f"{owner}.{field}: must be in [{low}, {high}], got {value!r}")


def name(owner: str, field: str, value: str) -> None:
    """``value`` must be a non-empty string."""
    if not (isinstance(value, str) and value.strip()):
        raise ModelError(f"{owner}.{field}: must be a non-empty name, got {value!r}")


def unique(owner: str, field: str, names: list[str]) -> None:
    """No name may repeat."""
    seen: set[str] = set()
    for item in names:
        if item in seen:
            raise ModelError(f"{owner}.{field}: name {item!r} is used twice")
        seen.add(item)
