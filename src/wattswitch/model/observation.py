"""What a policy sees (Observation), what it returns (Decision), and honest views of the past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from wattswitch.errors import InformationLeakError


class PastView:
    """Read-only access to a signal's values strictly before the decision interval ``cutoff``.

    ``view[i]`` for ``i >= cutoff`` raises :class:`InformationLeakError`; ``view.values`` holds
    only the past. Negative indices count back from the cutoff (``view[-1]`` is the last known).
    """

    __slots__ = ("_cutoff", "_name", "_values")

    def __init__(self, values: np.ndarray, cutoff: int, name: str) -> None:
        self._values = values
        self._cutoff = cutoff
        self._name = name

    @property
    def values(self) -> np.ndarray:
        """The known past as a read-only array (length ``cutoff``)."""
        past = self._values[: self._cutoff]
        past.flags.writeable = False
        return past

    def __len__(self) -> int:
        return self._cutoff

    def __getitem__(self, index: int) -> float:
        position = self._cutoff + index if index < 0 else index
        if position >= self._cutoff:
            raise InformationLeakError(
                f"policy read {self._name}[{index}] at interval {self._cutoff}: only intervals "
                f"before {self._cutoff} are known when deciding"
            )
        if position < 0:
            raise IndexError(f"{self._name}: no interval {index} (history starts at 0)")
        return float(self._values[position])

    def last(self, default: float = float("nan")) -> float:
        """The most recent known value (``default`` before the first interval)."""
        return float(self._values[self._cutoff - 1]) if self._cutoff > 0 else default


@dataclass(frozen=True)
class Observation:
    """Everything a dispatch policy may know when deciding interval ``t``.

    Real-time prices and system load are known up to ``t - 1``; day-ahead prices up to the last
    interval already published (its view's cutoff lies ahead of ``t``); hashprice of the
    last completed UTC day; the site's own queue and last-interval AI load; announced caps.
    """

    t: int
    interval_start_utc: datetime
    step_s: int
    rt_price_usd_per_mwh: PastView
    system_load_mw: PastView
    da_price_usd_per_mwh: PastView
    hashprice_usd_per_ph_day: float
    inference_load_fraction: PastView
    must_serve_gpu_mw_last: float
    training_available_nodes_last: float
    training_backlog_node_hours: float
    asic_on_fraction: tuple[float, ...]
    power_cap_mw: np.ndarray
    local_hour: np.ndarray
    local_month: np.ndarray


@dataclass(frozen=True)
class Decision:
    """The power split for one interval.

    Per ASIC group (scenario order): the fraction of units in normal mode and in low-power mode
    (their sum ≤ 1; the rest are off). ``training_nodes``: GPU nodes to run on-demand training.
    """

    asic_normal_fraction: tuple[float, ...]
    asic_low_fraction: tuple[float, ...]
    training_nodes: float
