"""What live control needs from the outside world, declared as protocols the adapters implement.

The core owns these contracts; ``control/`` holds the adapters (pyasic miners, Slurm, NVML,
gridstatus) and in-process fakes. One shared test suite per protocol runs against both.
Miner I/O is asynchronous (a fleet of thousands is commanded concurrently); the cluster, the
power caps and the price feed are synchronous (a handful of calls per interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

MinerAction = Literal["stop", "resume", "power_limit"]
MINER_ACTIONS: tuple[MinerAction, ...] = ("stop", "resume", "power_limit")

# A miner drawing less than this share of its nameplate power, or hashing below this share of its
# nameplate hashrate, counts as curtailed; firmware flags (``is_mining``) are not trusted.
CURTAILED_POWER_SHARE = 0.15
CURTAILED_HASHRATE_SHARE = 0.05


@dataclass(frozen=True)
class MinerIdentity:
    """A discovered miner: where it is and what it runs."""

    address: str
    model: str
    firmware: str  # "luxos", "stock", "braiins", ... (lower case)
    nameplate_power_w: float
    nameplate_hashrate_th_s: float


@dataclass(frozen=True)
class MinerTelemetry:
    """One reading of one miner. ``reachable`` False means the read failed (``error`` says why)."""

    address: str
    reachable: bool
    power_w: float = 0.0
    hashrate_th_s: float = 0.0
    power_limit_w: float | None = None
    max_temperature_c: float | None = None
    faults: tuple[str, ...] = ()
    error: str | None = None

    def curtailed(self, identity: MinerIdentity) -> bool:
        """Judged from watts and hashrate against the nameplate, never from firmware flags."""
        low_power = self.power_w <= CURTAILED_POWER_SHARE * identity.nameplate_power_w
        low_hash = self.hashrate_th_s <= CURTAILED_HASHRATE_SHARE * identity.nameplate_hashrate_th_s
        return low_power and low_hash


@dataclass(frozen=True)
class MinerCommand:
    """Stop, resume, or cap one miner (``power_limit_w`` only with ``power_limit``)."""

    address: str
    action: MinerAction
    power_limit_w: float | None = None

    def __post_init__(self) -> None:
        if self.action not in MINER_ACTIONS:
            raise ValueError(f"miner action {self.action!r}; choose from {', '.join(MINER_ACTIONS)}")
        if (self.action == "power_limit") != (self.power_limit_w is not None):
            raise ValueError("power_limit_w is given with, and only with, the power_limit action")


@dataclass(frozen=True)
class CommandResult:
    """What became of one command: acknowledged or not, after how many attempts and seconds."""

    command: MinerCommand
    ok: bool
    attempts: int
    elapsed_s: float
    error: str | None = None


class MinerFleet(Protocol):
    """A fleet of ASIC miners reached over the network."""

    async def discover(self) -> list[MinerIdentity]:
        """The miners that answer at the configured addresses (the silent ones are left out)."""
        ...

    async def read(self) -> list[MinerTelemetry]:
        """One telemetry reading per configured address; unreachable miners are marked so."""
        ...

    async def send(self, commands: Sequence[MinerCommand]) -> list[CommandResult]:
        """Send commands concurrently with retries; one result per command, in order; never raises
        for a miner's failure (it is reported in its result)."""
        ...


GpuNodeState = Literal["idle", "allocated", "mixed", "drained", "draining", "down", "unknown"]
GpuJobState = Literal[
    "pending", "running", "suspended", "completing", "completed", "cancelled", "failed", "other"
]


@dataclass(frozen=True)
class GpuNode:
    """One GPU node of the cluster."""

    name: str
    state: GpuNodeState
    gpu_count: int
    gpus_in_use: int
    reason: str = ""


@dataclass(frozen=True)
class GpuJob:
    """One job of the cluster; ``preemptible`` jobs may be paused or requeued to shed power."""

    job_id: str
    name: str
    state: GpuJobState
    nodes: tuple[str, ...]
    gpu_count: int
    preemptible: bool
    partition: str = ""


@dataclass(frozen=True)
class JobSpec:
    """A job to submit: ``command`` runs as a batch script body on ``node_count`` nodes."""

    name: str
    command: str
    node_count: int = 1
    gpus_per_node: int = 1
    preemptible: bool = True


class GpuCluster(Protocol):
    """A GPU cluster under a workload manager (Slurm). Failures raise :class:`EquipmentError`."""

    def nodes(self) -> list[GpuNode]:
        """Every node with its state and GPU use."""
        ...

    def jobs(self) -> list[GpuJob]:
        """Every job the manager still knows."""
        ...

    def suspend(self, job_id: str) -> None:
        """Pause a running job in place (its processes stop, its GPUs drop to idle power)."""
        ...

    def suspend_many(self, job_ids: Sequence[str]) -> dict[str, str]:
        """Pause several jobs in one call; returns the ones that failed with the reason (never raises
        for a single job's failure)."""
        ...

    def resume(self, job_id: str) -> None:
        """Continue a suspended job."""
        ...

    def requeue(self, job_id: str) -> None:
        """Stop a job and put it back in the queue (it restarts from its last checkpoint)."""
        ...

    def drain(self, node: str, reason: str) -> None:
        """Let a node's jobs finish but start no new ones on it."""
        ...

    def undrain(self, node: str) -> None:
        """Return a drained node to service."""
        ...

    def submit(self, spec: JobSpec) -> str:
        """Queue a job; returns its id."""
        ...


@dataclass(frozen=True)
class GpuPowerReading:
    """Power of one GPU: drawn now and the cap in force (watts)."""

    index: int
    power_w: float
    power_cap_w: float


class GpuPowerCaps(Protocol):
    """GPU power caps (NVML where a GPU exists; otherwise modelled and said so)."""

    @property
    def modelled(self) -> bool:
        """True when no GPU is present and caps only live in the model."""
        ...

    def describe(self) -> str:
        """One line for logs: where caps are applied (real GPUs, or modelled and why)."""
        ...

    def read(self) -> list[GpuPowerReading]:
        """Every GPU's power and cap."""
        ...

    def limits_w(self, index: int) -> tuple[float, float]:
        """The lowest and highest cap one GPU accepts (the highest is its full power)."""
        ...

    def set_cap_w(self, index: int, power_cap_w: float) -> None:
        """Cap one GPU (clamped to its allowed range by the adapter, which raises if it cannot)."""
        ...


@dataclass(frozen=True)
class PricePoint:
    """A settled real-time price for the interval starting ``interval_start_utc``."""

    interval_start_utc: datetime
    price_usd_per_mwh: float
    location: str


@dataclass(frozen=True)
class LoadPoint:
    """The grid's system load averaged over ``[interval_start_utc, interval_end_utc)``.

    It is known once the interval has ended (an hour's average at the end of the hour).
    """

    interval_start_utc: datetime
    interval_end_utc: datetime
    load_mw: float


class SystemLoadFeed(Protocol):
    """The grid's system load as it becomes known (for the 4CP watch of the policies)."""

    @property
    def name(self) -> str:
        """What the feed reads, for logs and alerts (e.g. ``gridstatus ERCOT load``)."""
        ...

    def history(self, since_utc: datetime, now_utc: datetime) -> list[LoadPoint]:
        """Every value ended at or before ``now_utc`` of intervals starting at or after ``since_utc``,
        in time order. Raises :class:`EquipmentError` when the source cannot be reached."""
        ...


@dataclass(frozen=True)
class HashpricePoint:
    """Bitcoin hashprice (network-average miner revenue per PH/s per day), known at ``as_of_utc``."""

    as_of_utc: datetime
    usd_per_ph_day: float


class HashpriceFeed(Protocol):
    """Hashprice as it becomes known (the policies' mining breakevens follow it)."""

    @property
    def name(self) -> str:
        """What the feed reads, for logs and alerts."""
        ...

    def latest(self, now_utc: datetime) -> HashpricePoint | None:
        """The most recent value known at ``now_utc`` (None when nothing is known yet).
        Raises :class:`EquipmentError` when the source cannot be reached."""
        ...


class PriceFeed(Protocol):
    """Real-time prices as they become known (live from the ISO, or replayed from a file)."""

    @property
    def name(self) -> str:
        """What the feed reads, for logs and alerts (e.g. ``gridstatus ERCOT HB_WEST``)."""
        ...

    def latest(self, now_utc: datetime) -> PricePoint | None:
        """The most recent price settled at ``now_utc`` (None when nothing is known yet).
        Raises :class:`EquipmentError` when the source cannot be reached."""
        ...

    def history(self, since_utc: datetime, now_utc: datetime) -> list[PricePoint]:
        """Every price settled at ``now_utc`` for intervals starting at or after ``since_utc``
        (what a controller starting up needs to give its policy a past). Raises like ``latest``."""
        ...
