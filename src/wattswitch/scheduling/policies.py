"""Training-job policies, Blox-style: admission, ordering and placement as separate small objects.

Each policy is a frozen dataclass with no clock and no I/O; it sees only
:class:`~wattswitch.scheduling.views.JobView` / :class:`~wattswitch.scheduling.views.JobBatch`
(no true duration) and cluster free-GPU counts, and returns frozen decisions or plain numbers.
A :class:`Scheduler` bundles one of each with a backfill mode and an optional preemption rule;
the simulator (:mod:`wattswitch.scheduling.simulator`) drives it.

Named schedulers (:func:`make_scheduler`):

``fifo``
    Strict first-come first-served: the queue head blocks everyone behind it.
``easy-backfill``
    FIFO order plus EASY backfilling (Slurm's default ``sched/backfill``): the head gets one
    reservation at the earliest time running jobs' *limits* say it will fit; a later job may
    start now if its limit says it ends before then, or if it only uses GPUs the head will not
    need.
``las``
    Tiresias-style least-attained-service: two queues split at 3,200 GPU-seconds of attained
    service, FIFO inside each, preemptive, greedy (a job that does not fit is skipped).
``srtf-est`` (ours)
    Shortest *estimated* remaining GPU-time first with aging, EASY reservation for the head,
    backfill, and checkpoint-aware preemption. The estimate is the only one a real scheduler
    has: the user's time limit minus the work already done. See ``docs/scheduling.md``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Protocol

import numpy as np

from wattswitch.errors import ModelError
from wattswitch.scheduling.views import Admission, FloatArray, JobBatch, JobView, Placement


# --- admission -------------------------------------------------------------------------------------
class AdmissionPolicy(Protocol):
    """Decides whether a submitted job enters the queue."""

    def admit(self, job: JobView, cluster_gpus: int, gpus_per_node: int) -> Admission:
        """Admit or reject ``job`` on a cluster of ``cluster_gpus`` GPUs."""
        ...


@dataclass(frozen=True)
class AdmitFitting:
    """Admit every job that could ever fit: its whole nodes exist in the cluster."""

    def admit(self, job: JobView, cluster_gpus: int, gpus_per_node: int) -> Admission:
        """Reject only jobs asking for more nodes than the cluster has (they would block forever)."""
        nodes = cluster_gpus // gpus_per_node
        if nodes_needed(job.gpus, gpus_per_node) > nodes or job.gpus > cluster_gpus:
            return Admission(False, f"asks for {job.gpus} GPUs; the cluster has {cluster_gpus}")
        return Admission(True)


# --- ordering --------------------------------------------------------------------------------------
class OrderingPolicy(Protocol):
    """Scores jobs: lower score runs first. Scores may change only with attained service/progress.

    Contract the simulator relies on: a job's score is fixed while it waits, and a running
    job's score never rises except at the jumps :meth:`next_change_attained_s` announces.
    """

    @property
    def name(self) -> str:
        """Short name."""
        ...

    def priority(self, jobs: JobBatch) -> FloatArray:
        """One score per job (lower = sooner)."""
        ...

    def next_change_attained_s(self, jobs: JobBatch) -> FloatArray:
        """Attained service (s per GPU) at which each job's score next jumps; ``inf`` if never.

        Scores that change smoothly with progress need no event; only jumps (queue demotions)
        must be announced so the simulator can re-run preemption at that moment.
        """
        ...


@dataclass(frozen=True)
class FifoOrder:
    """First come, first served: the score is the submit time."""

    name: str = "fifo"

    def priority(self, jobs: JobBatch) -> FloatArray:
        """Submit time."""
        return np.asarray(jobs.submit_s, dtype=np.float64).copy()

    def next_change_attained_s(self, jobs: JobBatch) -> FloatArray:
        """Never changes."""
        return np.full(len(jobs), np.inf)


LAS_QUEUE_GAP = 1e12  # larger than any submit time in seconds: separates the queues
TIE_BREAK_PER_S = 1e-10  # equal estimates: earlier submission first (0.002 after 200 days)
PROMOTED_BASE = -1e13  # score base of jobs promoted by a starvation guard (ahead of all others)


@dataclass(frozen=True)
class LeastAttainedOrder:
    """Tiresias' discretised least-attained-service (2D-LAS): queues by attained GPU-seconds.

    A job sits in queue ``k`` while its attained GPU-seconds are below ``thresholds_gpu_s[k]``;
    FIFO inside a queue. Tiresias (Gu et al., NSDI'19) uses two queues; 3,200 GPU-s is the
    threshold the peer figures use.
    """

    thresholds_gpu_s: tuple[float, ...] = (3200.0,)
    name: str = "las"

    @cached_property
    def _bounds(self) -> tuple[FloatArray, FloatArray]:
        thresholds = np.asarray(self.thresholds_gpu_s, dtype=np.float64)
        return thresholds, np.append(thresholds, np.inf)

    def _level(self, attained_gpu_s: FloatArray) -> FloatArray:
        return np.searchsorted(self._bounds[0], attained_gpu_s, side="right").astype(np.float64)

    def priority(self, jobs: JobBatch) -> FloatArray:
        """Queue level, then submit time."""
        return self._level(jobs.attained_s * jobs.gpus) * LAS_QUEUE_GAP + jobs.submit_s

    def next_change_attained_s(self, jobs: JobBatch) -> FloatArray:
        """The next threshold above the job's attained GPU-seconds, per GPU."""
        level = self._level(jobs.attained_s * jobs.gpus).astype(np.int64)
        return np.asarray(self._bounds[1][level] / jobs.gpus, dtype=np.float64)


@dataclass(frozen=True)
class EstimatedRemainingOrder:
    """Shortest estimated remaining GPU-time first, with aging (ours).

    ``score = ln(max(limit - progress, floor_s) × gpus ** gpu_weight) + submit_s / aging_s``.
    The log makes waiting count multiplicatively: every ``aging_s`` of waiting is worth an
    e-fold smaller job, so a job 100× longer than a newcomer overtakes it after
    ``ln(100) × aging_s`` of waiting. Because the aging term depends on the submit time (not on
    "now"), scores stay fixed while a job waits. The default is no aging (``inf``): on Helios
    any aging strong enough to matter cost more mean JCT than it saved in tail wait, and the
    scheduler's starvation guard bounds waits instead (see ``docs/scheduling.md``).
    """

    aging_s: float = math.inf
    floor_s: float = 60.0
    gpu_weight: float = 1.0
    name: str = "srtf-est"

    def __post_init__(self) -> None:
        if self.aging_s <= 0 or self.floor_s <= 0 or self.gpu_weight < 0:
            raise ModelError("EstimatedRemainingOrder: aging_s, floor_s > 0 and gpu_weight ≥ 0 needed")

    def priority(self, jobs: JobBatch) -> FloatArray:
        """Log of estimated remaining GPU-time plus the aging term."""
        remaining = np.maximum(jobs.estimated_remaining_s, self.floor_s)
        size = np.log(remaining) + self.gpu_weight * np.log(jobs.gpus.astype(np.float64))
        aging = jobs.submit_s / self.aging_s if math.isfinite(self.aging_s) else 0.0
        return np.asarray(size + aging + jobs.submit_s * TIE_BREAK_PER_S, dtype=np.float64)

    def next_change_attained_s(self, jobs: JobBatch) -> FloatArray:
        """Scores change smoothly with progress: no jumps to announce."""
        return np.full(len(jobs), np.inf)


# --- placement -------------------------------------------------------------------------------------
class FreeNodes(Protocol):
    """Free GPUs per node, indexed by how many are free (what placement reads)."""

    gpus_per_node: int

    def free(self, node: int) -> int:
        """Free GPUs on ``node`` (0 for a node that is down)."""
        ...

    def nodes_with_free(self, count: int) -> Collection[int]:
        """Up nodes with exactly ``count`` free GPUs."""
        ...


def nodes_needed(gpus: int, gpus_per_node: int) -> int:
    """Whole nodes a job of ``gpus`` GPUs occupies when it does not fit on one node."""
    return 1 if gpus <= gpus_per_node else math.ceil(gpus / gpus_per_node)


class PlacementPolicy(Protocol):
    """Chooses nodes for a job (or None when it does not fit now)."""

    def place(
        self, gpus: int, nodes: FreeNodes, limit: Sequence[int] | None = None
    ) -> Placement | None:
        """Nodes for ``gpus`` GPUs; ``limit[n]`` caps how many GPUs node ``n`` may give."""
        ...


@dataclass(frozen=True)
class BestFitPlacement:
    """Gang placement on whole nodes, the rule the peer figures use.

    A job of at most ``gpus_per_node`` GPUs sits on one node: the one with the fewest free GPUs
    that still fit it (best fit; lowest node id on ties). A larger job takes
    ``ceil(gpus / gpus_per_node)`` whole free nodes (lowest ids), nobody else shares them.
    """

    def place(
        self, gpus: int, nodes: FreeNodes, limit: Sequence[int] | None = None
    ) -> Placement | None:
        """Best fit on one node, or whole free nodes for a multi-node job."""
        per_node = nodes.gpus_per_node
        if gpus <= per_node:
            for count in range(gpus, per_node + 1):
                bucket = nodes.nodes_with_free(count)
                if not bucket:
                    continue
                usable = bucket if limit is None else [n for n in bucket if limit[n] >= gpus]
                if usable:
                    return Placement((min(usable),), (gpus,))
            return None
        need = nodes_needed(gpus, per_node)
        bucket = nodes.nodes_with_free(per_node)
        if len(bucket) < need:
            return None
        usable = sorted(bucket if limit is None else [n for n in bucket if limit[n] >= per_node])
        if len(usable) < need:
            return None
        chosen = tuple(usable[:need])
        shares = tuple(min(per_node, gpus - i * per_node) for i in range(need))
        return Placement(chosen, shares)


# --- preemption and bundles ------------------------------------------------------------------------
@dataclass(frozen=True)
class PreemptionRule:
    """When a waiting job may stop a running one.

    A running job is a victim candidate for a waiting job when its current score exceeds the
    waiting job's by at least ``min_score_gap``, it is preemptible and it was preempted fewer
    than ``max_preemptions`` times. With ``checkpoint_aware`` the victims chosen are those that
    lose the fewest GPU-seconds (work since their last checkpoint plus the restart overhead);
    otherwise the lowest-priority ones. ``max_attempts`` bounds how many waiting jobs per pass
    try to preempt (cost control; the queue is in priority order, so these are the best ones).
    ``max_loss_s`` skips victims that would lose more than that much work (s per GPU).
    """

    min_score_gap: float = 0.0
    max_preemptions: int = 1_000_000
    checkpoint_aware: bool = False
    max_attempts: int = 8
    max_loss_s: float = math.inf


class Backfill(Enum):
    """What happens behind a queue head that does not fit."""

    NONE = "none"  # strict order: the head blocks the queue
    EASY = "easy"  # one reservation for the head; later jobs backfill around it
    GREEDY = "greedy"  # skip what does not fit, no reservation (Tiresias)


@dataclass(frozen=True)
class Scheduler:
    """A named bundle of admission, ordering and placement policies plus backfill and preemption.

    ``starvation_guard_s``: a job still waiting that long after its submission is promoted
    ahead of every unpromoted job (FIFO among promoted ones) and keeps that rank, so under EASY
    it gets the reservation soon and its wait is bounded whatever the ordering prefers.
    """

    name: str
    ordering: OrderingPolicy
    backfill: Backfill
    admission: AdmissionPolicy = field(default_factory=AdmitFitting)
    placement: PlacementPolicy = field(default_factory=BestFitPlacement)
    preemption: PreemptionRule | None = None
    starvation_guard_s: float | None = None

    def __post_init__(self) -> None:
        if self.starvation_guard_s is not None and self.starvation_guard_s < 0:
            raise ModelError(f"Scheduler {self.name}: starvation_guard_s must be ≥ 0")


POLICY_NAMES = ("fifo", "easy-backfill", "las", "srtf-est")
# srtf-est tuning (docs/scheduling.md shows the sweep on Helios at 640 GPUs): a waiting job may
# preempt a running one whose estimated remaining GPU-time is 16× its own; a job waiting 72 h
# is promoted ahead of all others (bounded starvation).
SRTF_EST_PREEMPT_RATIO_LN = math.log(16.0)
SRTF_EST_GUARD_S = 72 * 3600.0
BASELINES = ("fifo", "easy-backfill")
OURS = "srtf-est"


def make_scheduler(name: str) -> Scheduler:
    """The named scheduler (see the module docstring); clear error for unknown names."""
    if name == "fifo":
        return Scheduler("fifo", FifoOrder(), Backfill.NONE)
    if name == "easy-backfill":
        return Scheduler("easy-backfill", FifoOrder(), Backfill.EASY)
    if name == "las":
        return Scheduler(
            "las", LeastAttainedOrder(), Backfill.GREEDY,
            preemption=PreemptionRule(min_score_gap=LAS_QUEUE_GAP / 2),
        )
    if name == "srtf-est":
        return Scheduler(
            "srtf-est", EstimatedRemainingOrder(), Backfill.EASY,
            preemption=PreemptionRule(
                min_score_gap=SRTF_EST_PREEMPT_RATIO_LN, max_preemptions=2, checkpoint_aware=True,
            ),
            starvation_guard_s=SRTF_EST_GUARD_S,
        )
    raise ModelError(f"unknown scheduling policy {name!r}; known: {', '.join(POLICY_NAMES)}")
