"""What a scheduling policy may see, and the frozen decisions it returns.

Information honesty is structural: :class:`JobView` and :class:`JobBatch` carry what a real
cluster scheduler knows about a job — when it was submitted, how many GPUs it asked for, the
user's time limit, how much service it has received and how much work it has banked — and **no
field for the job's true duration**. Policies receive only these objects, so a policy cannot
order, admit, place or preempt by a duration it would not have in production. The simulator
keeps true durations in a private table that only its completion mechanics read.

Units: seconds of wall time or of work (work = run time at full speed on the trace's hardware),
GPUs as whole counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wattswitch.errors import ModelError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class JobView:
    """One job as a scheduler sees it.

    ``time_limit_s``: the user's wall-time limit (work seconds); the job is killed if it runs
    longer, so users set it at or above the true duration. ``attained_s``: wall seconds of
    service received so far on each of its GPUs, restarts and work lost to preemption included.
    ``progress_s``: work the scheduler knows is done (banked checkpoints plus the current run's
    time since its restart finished). ``preemptions``: times it was stopped before finishing.
    """

    job_id: str
    submit_s: float
    gpus: int
    time_limit_s: float
    attained_s: float = 0.0
    progress_s: float = 0.0
    preemptions: int = 0
    preemptible: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.gpus, int) or self.gpus < 1:
            raise ModelError(f"JobView {self.job_id}.gpus: must be a whole number ≥ 1, got {self.gpus!r}")
        if self.time_limit_s < 0 or self.attained_s < 0 or self.progress_s < 0:
            raise ModelError(f"JobView {self.job_id}: times must be ≥ 0")

    @property
    def attained_gpu_s(self) -> float:
        """GPU-seconds of service received (``attained_s × gpus``)."""
        return self.attained_s * self.gpus

    @property
    def estimated_remaining_s(self) -> float:
        """What the limit still allows: ``time_limit_s - progress_s`` (≥ 0)."""
        return max(0.0, self.time_limit_s - self.progress_s)


@dataclass(frozen=True)
class JobBatch:
    """Many job views at once as read-only arrays (same fields as :class:`JobView`, no ids).

    Policies score whole queues with numpy through this; the simulator builds it from its
    observable state only.
    """

    submit_s: FloatArray
    gpus: IntArray
    time_limit_s: FloatArray
    attained_s: FloatArray
    progress_s: FloatArray
    preemptions: IntArray

    def __post_init__(self) -> None:
        arrays = (self.submit_s, self.gpus, self.time_limit_s, self.attained_s, self.progress_s,
                  self.preemptions)
        size = len(arrays[0])
        if any(len(a) != size for a in arrays):
            raise ModelError(f"JobBatch: arrays differ in length {sorted({len(a) for a in arrays})}")
        for array in arrays:
            array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.submit_s)

    @classmethod
    def of(cls, views: Sequence[JobView]) -> JobBatch:
        """A batch from single views (order kept)."""
        return cls(
            submit_s=np.array([v.submit_s for v in views], dtype=np.float64),
            gpus=np.array([v.gpus for v in views], dtype=np.int64),
            time_limit_s=np.array([v.time_limit_s for v in views], dtype=np.float64),
            attained_s=np.array([v.attained_s for v in views], dtype=np.float64),
            progress_s=np.array([v.progress_s for v in views], dtype=np.float64),
            preemptions=np.array([v.preemptions for v in views], dtype=np.int64),
        )

    @property
    def estimated_remaining_s(self) -> FloatArray:
        """``time_limit_s - progress_s``, floored at 0."""
        return np.maximum(self.time_limit_s - self.progress_s, 0.0)


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether a submitted job enters the queue, and why not."""

    admit: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a job runs: ``gpus_per_node[i]`` GPUs on node ``nodes[i]``."""

    nodes: tuple[int, ...]
    gpus_per_node: tuple[int, ...]

    @property
    def gpus(self) -> int:
        """GPUs used in total."""
        return sum(self.gpus_per_node)


@dataclass(frozen=True, slots=True)
class PowerDecision:
    """How the training cluster meets its power budget for now.

    ``cap_fraction``: GPU power cap, as a fraction of full busy power, applied to every running
    training GPU. ``max_busy_gpus``: the most GPUs that may run at the lowest allowed cap.
    ``gpus_to_pause``: busy GPUs above that limit (0 when the caps suffice). ``feasible`` is
    False when even an idle cluster draws more than the budget.
    """

    cap_fraction: float
    throughput_fraction: float
    max_busy_gpus: int
    gpus_to_pause: int
    power_w: float
    feasible: bool = True
