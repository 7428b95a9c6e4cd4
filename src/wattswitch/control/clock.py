"""Clocks for live control: the wall clock, and a replay clock that walks a price file's time.

Policies hold no clock; the controller asks its clock what time it is and sleeps on it, so a
replay (tests, dry runs, demos) runs the very same loop faster than real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Now (timezone-aware UTC) and an awaitable sleep measured on the same clock."""

    def now(self) -> datetime:
        """The current time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class WallClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ReplayClock:
    """Time that is ``start_utc`` at the wall-clock instant ``anchor_utc`` (default: now) and runs
    ``speed`` times faster than the wall clock. A fixed anchor keeps replay time running across
    restarts of the controller (as real time does)."""

    def __init__(self, start_utc: datetime, speed: float = 1.0, anchor_utc: datetime | None = None) -> None:
        if start_utc.tzinfo is None or (anchor_utc is not None and anchor_utc.tzinfo is None):
            raise ValueError("ReplayClock: start_utc and anchor_utc need a time zone")
        if not speed > 0:
            raise ValueError(f"ReplayClock.speed must be > 0, got {speed}")
        self.start_utc = start_utc
        self.speed = speed
        elapsed_s = 0.0 if anchor_utc is None else (datetime.now(UTC) - anchor_utc).total_seconds()
        self._origin_s = time.monotonic() - elapsed_s

    def now(self) -> datetime:
        return self.start_utc + timedelta(seconds=(time.monotonic() - self._origin_s) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


def interval_start(moment: datetime, step_s: int) -> datetime:
    """Start of the ``step_s`` interval containing ``moment`` (aligned on the Unix epoch)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    seconds = int((moment - epoch) // timedelta(seconds=1))
    return epoch + timedelta(seconds=seconds - seconds % step_s)
