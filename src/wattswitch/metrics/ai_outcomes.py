"""Per-class AI outcomes of coupled runs as rows of text, one cell per policy (CLI and HTML alike).

The input is what ``ledger.ai_outcome`` holds (and ``--json`` prints as ``ai``):
``{"training": {...}, "inference": {...}, "reserved": {...}}``. A missing, ``None`` or non-finite
figure prints ``—`` (the oracle of a coupled site is a relaxation bound: it runs no job one by one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wattswitch.metrics.text import duration_text

AI_CLASSES = ("reserved", "inference", "training")
MISSING = "—"

Outcome = Mapping[str, Mapping[str, float | None]]


@dataclass(frozen=True)
class OutcomeRow:
    """One figure of one AI class across policies: ``group`` is the class (or ``checkpoint dips``)."""

    group: str
    label: str
    cells: tuple[str, ...]


def _value(outcome: Outcome, group: str, key: str) -> float | None:
    value = outcome.get(group, {}).get(key)
    return float(value) if value is not None and math.isfinite(value) else None


def _duration(outcome: Outcome, group: str, key: str) -> str:
    value = _value(outcome, group, key)
    return MISSING if value is None else duration_text(value)


def _share(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2%}"


def _count(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def _pair(first: float | None, second: float | None) -> str:
    return MISSING if first is None or second is None else f"{first:,.0f}/{second:,.0f}"


def _millions(value: float | None) -> str:
    return MISSING if value is None else f"{value / 1e6:,.1f}M"


def _filled_share(outcome: Outcome) -> str:
    dip_mwh = _value(outcome, "training", "dip_mwh")
    filled_mwh = _value(outcome, "training", "dip_filled_mwh")
    if dip_mwh is None or filled_mwh is None or dip_mwh <= 0:
        return MISSING
    return f"{filled_mwh / dip_mwh:.0%}"


def _mwh(outcome: Outcome, group: str, key: str) -> str:
    value = _value(outcome, group, key)
    return MISSING if value is None else f"{value:,.1f}"


_ROWS: tuple[tuple[str, str, Callable[[Outcome], str]], ...] = (
    ("training", "mean JCT", lambda o: _duration(o, "training", "mean_jct_s")),
    ("training", "p95 JCT", lambda o: _duration(o, "training", "p95_jct_s")),
    ("training", "jobs completed/jobs",
     lambda o: _pair(_value(o, "training", "jobs_completed"), _value(o, "training", "jobs"))),
    ("training", "work GPU-h", lambda o: _count(_value(o, "training", "work_gpu_h"))),
    ("training", "preemptions/pauses",
     lambda o: _pair(_value(o, "training", "preemptions"), _value(o, "training", "pauses"))),
    ("inference", "SLO attainment", lambda o: _share(_value(o, "inference", "slo_attainment"))),
    ("inference", "requests", lambda o: _millions(_value(o, "inference", "requests"))),
    ("reserved", "uptime", lambda o: _share(_value(o, "reserved", "uptime"))),
    ("checkpoint dips", "dip MWh", lambda o: _mwh(o, "training", "dip_mwh")),
    ("checkpoint dips", "filled by mining", _filled_share),
)


def has_ai(outcomes: Mapping[str, Outcome | None]) -> bool:
    """Whether any policy carries AI outcomes (a coupled, job-level run)."""
    return any(o is not None for o in outcomes.values())


def ai_outcome_rows(outcomes: Mapping[str, Outcome | None]) -> list[OutcomeRow]:
    """The outcome rows, one cell per policy in ``outcomes``' order (a policy without any shows ``—``)."""
    empty: Outcome = {}
    return [
        OutcomeRow(group, label, tuple(cell(o if o is not None else empty) for o in outcomes.values()))
        for group, label, cell in _ROWS
    ]


def bounds_without_jobs(outcomes: Mapping[str, Outcome | None]) -> list[str]:
    """Policies whose outcomes carry no job-level training figures (the oracle's relaxation bound)."""
    return [name for name, o in outcomes.items()
            if o is not None and "mean_jct_s" not in o.get("training", {})]
