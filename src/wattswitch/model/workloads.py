"""AI work the site sells: an on-demand training queue and inference services."""

from __future__ import annotations

from dataclasses import dataclass

from wattswitch.errors import ModelError
from wattswitch.model import checks


@dataclass(frozen=True)
class TrainingJob:
    """One GPU training job as a scheduler sees it at submission."""

    job_id: str
    submit_s: float
    duration_s: float
    gpus: int
    preemptible: bool = True

    def __post_init__(self) -> None:
        owner = f"TrainingJob {self.job_id}"
        checks.non_negative(owner, "submit_s", self.submit_s)
        checks.non_negative(owner, "duration_s", self.duration_s)
        if not isinstance(self.gpus, int) or self.gpus < 1:
            raise ModelError(f"{owner}.gpus: must be a whole number ≥ 1, got {self.gpus!r}")


@dataclass(frozen=True)
class TrainingQueue:
    """On-demand training sold per GPU-hour on ``gpu_group``; jobs checkpoint every interval.

    Defaults: 30-min checkpoints and 5-min restart overhead are common practice for large
    training runs (e.g. checkpoint cadence reported in Meta's OPT-175B logbook and Gemini/Llama
    reports of restarts on failure); the GPU-side issue refines them.
    """

    gpu_group: str
    price_usd_per_gpu_hour: float
    checkpoint_interval_s: float = 1800.0
    restart_overhead_s: float = 300.0
    mean_jobs_per_day: float = 60.0

    def __post_init__(self) -> None:
        owner = f"TrainingQueue on {self.gpu_group}"
        checks.positive(owner, "price_usd_per_gpu_hour", self.price_usd_per_gpu_hour)
        checks.positive(owner, "checkpoint_interval_s", self.checkpoint_interval_s)
        checks.non_negative(owner, "restart_overhead_s", self.restart_overhead_s)
        checks.non_negative(owner, "mean_jobs_per_day", self.mean_jobs_per_day)


@dataclass(frozen=True)
class InferenceService:
    """An LLM endpoint on ``gpu_group``: replicas of ``gpus_per_replica`` GPUs, sold per token."""

    name: str
    gpu_group: str
    gpus_per_replica: int
    tokens_per_s_per_replica: float
    peak_requests_per_s: float
    mean_tokens_per_request: float
    price_usd_per_million_tokens: float
    ttft_slo_s: float = 1.0
    scale_up_delay_s: float = 300.0
    min_replicas: int = 1

    def __post_init__(self) -> None:
        owner = f"InferenceService {self.name}"
        checks.name("InferenceService", "name", self.name)
        for field in ("gpus_per_replica", "min_replicas"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ModelError(f"{owner}.{field}: must be a whole number ≥ 1, got {value!r}")
        for field in (
            "tokens_per_s_per_replica",
            "peak_requests_per_s",
            "mean_tokens_per_request",
            "price_usd_per_million_tokens",
            "ttft_slo_s",
        ):
            checks.positive(owner, field, getattr(self, field))
        checks.non_negative(owner, "scale_up_delay_s", self.scale_up_delay_s)

    @property
    def peak_tokens_per_s(self) -> float:
        """Token throughput needed at peak demand."""
        return self.peak_requests_per_s * self.mean_tokens_per_request
