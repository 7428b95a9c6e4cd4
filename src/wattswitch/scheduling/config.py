"""Simulation settings: cluster shape, checkpoints, user time limits, failures, lending.

Defaults and where they come from:

* Checkpoint every 1,800 s of work and 300 s to restart from a checkpoint: the defaults of
  :class:`~wattswitch.model.workloads.TrainingQueue` (30-min checkpoint cadence as reported for
  large runs, e.g. Meta's OPT-175B logbook; minutes-long restarts as in the Llama 3 report's
  interruption handling). The Tiresias paper (Gu et al., NSDI'19) measured tens of seconds of
  preemption overhead for 2019-sized models; the peer figures use 60 s.
  Pass ``CheckpointConfig(interval_s=0)`` for continuous checkpointing (no work lost).
* User time limits: traces carry none, so each job gets ``duration × exp(|N(0, σ)|)``
  (σ = 1, median factor ≈ 2, never below the true duration, rounded up to whole minutes):
  users over-estimate run times by a factor of about 2–3 in the logs studied by Tsafrir,
  Etsion & Feitelson ("Backfilling using system-generated predictions rather than user
  runtime estimates", IEEE TPDS 2007), and a job is killed at its limit, so nobody under-asks.
* Node failures (off unless given): exponential times between failures per node and a fixed
  repair time. For scale, the Llama 3 report counts 419 unexpected interruptions in 54 days on
  16,384 H100s (2,048 nodes): a mean time between failures of about 264 days per node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wattswitch.errors import ModelError
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.model.workloads import TrainingQueue
from wattswitch.scheduling.views import FloatArray, IntArray

DEFAULT_QUEUE = TrainingQueue(gpu_group="default", price_usd_per_gpu_hour=1.0)
LLAMA3_NODE_MTBF_S = 54 * 86400.0 * 2048 / 419


@dataclass(frozen=True)
class CheckpointConfig:
    """Jobs checkpoint every ``interval_s`` of work; a restart costs ``restart_overhead_s`` of work.

    Preempting or killing a job loses its work since its last checkpoint; each (re)start after
    the first pays the restart overhead. ``interval_s = 0`` means continuous checkpoints.
    """

    interval_s: float = DEFAULT_QUEUE.checkpoint_interval_s
    restart_overhead_s: float = DEFAULT_QUEUE.restart_overhead_s

    def __post_init__(self) -> None:
        if not (self.interval_s >= 0 and self.restart_overhead_s >= 0):
            raise ModelError("CheckpointConfig: interval_s and restart_overhead_s must be ≥ 0")

    @classmethod
    def of_queue(cls, queue: TrainingQueue) -> CheckpointConfig:
        """The checkpoint cadence and restart overhead of a scenario's training queue."""
        return cls(queue.checkpoint_interval_s, queue.restart_overhead_s)

    def banked(self, progress_s: float) -> float:
        """Work saved by the last checkpoint at ``progress_s`` of work."""
        if self.interval_s == 0:
            return progress_s
        return math.floor(progress_s / self.interval_s + 1e-12) * self.interval_s


@dataclass(frozen=True)
class TrainingPhases:
    """What a running training job does besides computing, and what it draws meanwhile.

    A job writes a synchronous checkpoint every ``CheckpointConfig.interval_s`` of work; each
    write stalls its GPUs for ``checkpoint_write_s`` wall seconds, during which they draw
    ``stall_dynamic_fraction`` of their dynamic (above-idle) power. A (re)start spends its
    restart overhead loading the checkpoint at the same stalled draw. See docs/training-power.md
    for the sources and :func:`wattswitch.scheduling.phases.checkpoint_write_s` for the write time.
    """

    checkpoint_write_s: float
    stall_dynamic_fraction: float

    def __post_init__(self) -> None:
        if not (self.checkpoint_write_s >= 0 and 0 <= self.stall_dynamic_fraction <= 1):
            raise ModelError(
                "TrainingPhases: checkpoint_write_s must be ≥ 0 and stall_dynamic_fraction in [0, 1]"
            )


@dataclass(frozen=True)
class LimitModel:
    """How the simulator draws user time limits when the trace has none (seeded)."""

    sigma: float = 1.0
    seed: int = 0
    round_to_s: float = 60.0

    def __post_init__(self) -> None:
        if self.sigma < 0 or self.round_to_s < 0:
            raise ModelError("LimitModel: sigma and round_to_s must be ≥ 0")

    def draw(self, duration_s: FloatArray) -> FloatArray:
        """``duration × exp(|N(0, σ)|)``, rounded up to ``round_to_s`` (never below the duration)."""
        rng = np.random.default_rng(self.seed)
        factor = np.exp(np.abs(rng.normal(0.0, self.sigma, size=len(duration_s))))
        limit = duration_s * factor
        if self.round_to_s > 0:
            limit = np.ceil(limit / self.round_to_s) * self.round_to_s
        return np.asarray(np.maximum(limit, duration_s), dtype=np.float64)


@dataclass(frozen=True)
class FailureModel:
    """Node failures: exponential times between failures (mean ``node_mtbf_s``), fixed repair."""

    node_mtbf_s: float = LLAMA3_NODE_MTBF_S
    repair_s: float = 4 * 3600.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.node_mtbf_s > 0 and self.repair_s >= 0):
            raise ModelError("FailureModel: node_mtbf_s must be > 0 and repair_s ≥ 0")


@dataclass(frozen=True)
class LendingSchedule:
    """Extra nodes lent to training: ``lent_nodes[i]`` from ``start_s[i]`` (up to ``max_nodes``).

    Lent nodes take only preemptible jobs; when the lender takes a node back, the jobs on it
    are stopped at once and restart from their last checkpoint.
    """

    start_s: FloatArray
    lent_nodes: IntArray
    max_nodes: int

    def __post_init__(self) -> None:
        if len(self.start_s) != len(self.lent_nodes):
            raise ModelError("LendingSchedule: start_s and lent_nodes differ in length")
        if len(self.start_s) and np.any(np.diff(self.start_s) <= 0):
            raise ModelError("LendingSchedule: start_s must increase")
        if np.any(self.lent_nodes < 0) or np.any(self.lent_nodes > self.max_nodes):
            raise ModelError("LendingSchedule: lent_nodes must lie in [0, max_nodes]")


@dataclass(frozen=True)
class ClusterSpec:
    """A training cluster of ``gpus`` GPUs on nodes of ``gpus_per_node``; power figures from ``group``."""

    gpus: int
    gpus_per_node: int = 8
    group: GpuNodeGroup | None = None

    def __post_init__(self) -> None:
        if self.gpus_per_node < 1 or self.gpus < self.gpus_per_node:
            raise ModelError(
                f"ClusterSpec: need gpus ≥ gpus_per_node ≥ 1, got {self.gpus} and {self.gpus_per_node}"
            )
        if self.gpus % self.gpus_per_node:
            raise ModelError(
                f"ClusterSpec: {self.gpus} GPUs is not a whole number of {self.gpus_per_node}-GPU nodes"
            )

    @property
    def nodes(self) -> int:
        """Whole nodes in the cluster."""
        return self.gpus // self.gpus_per_node
