"""An in-process :class:`~wattswitch.model.equipment.GpuCluster` with Slurm's semantics, for tests
and dry runs.

Like ``scripts/start-slurm.sh``: nodes ``gpu01``… with ``gpus_per_node`` GPUs each, partitions
``spot`` (preemptible) and ``reserved`` on every node. Pending jobs start as soon as GPUs are
free on schedulable nodes (first fit, in submission order); drained nodes get no new jobs;
suspended jobs keep their GPUs (as in Slurm); a requeued job is held until :meth:`release`.
Errors carry Slurm's own messages (``Job is pending execution for job 3``).

Chaos switches: :meth:`MemoryCluster.set_unreachable` makes every call raise as if slurmctld
were down; :meth:`MemoryCluster.fail_job` makes commands on one job fail.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuJob, GpuJobState, GpuNode, GpuNodeState, JobSpec


@dataclass
class _Job:
    job_id: str
    name: str
    partition: str
    node_count: int
    gpus_per_node: int
    state: GpuJobState = "pending"
    nodes: tuple[str, ...] = ()
    held: bool = False


@dataclass
class _Node:
    name: str
    gpu_count: int
    drain: bool = False
    reason: str = ""


class MemoryCluster:
    """A fake Slurm cluster kept in memory (thread-safe)."""

    def __init__(
        self,
        node_count: int = 4,
        gpus_per_node: int = 4,
        preemptible_partitions: tuple[str, ...] = ("spot",),
        spot_partition: str = "spot",
        reserved_partition: str = "reserved",
    ) -> None:
        if node_count < 1 or gpus_per_node < 0:
            raise ValueError(
                f"need at least one node and no negative GPU count ({node_count}, {gpus_per_node})"
            )
        self._nodes = {f"gpu{i:02d}": _Node(f"gpu{i:02d}", gpus_per_node) for i in range(1, node_count + 1)}
        self._jobs: dict[str, _Job] = {}
        self._next_id = 1
        self._lock = threading.Lock()
        self.preemptible_partitions = preemptible_partitions
        self.spot_partition = spot_partition
        self.reserved_partition = reserved_partition
        self._unreachable: str | None = None
        self._failing_jobs: dict[str, str] = {}
        self.calls: deque[str] = deque(maxlen=10_000)  # the latest commands, e.g. "suspend 3" (for tests)

    # - chaos switches -

    def set_unreachable(
        self, unreachable: bool = True, message: str = "Unable to contact slurm controller"
    ) -> None:
        """While set, every call raises EquipmentError as if slurmctld were down."""
        with self._lock:
            self._unreachable = message if unreachable else None

    def fail_job(self, job_id: str, message: str | None = "Access/permission denied") -> None:
        """Make every command on ``job_id`` fail with ``message`` (None: heal it)."""
        with self._lock:
            if message is None:
                self._failing_jobs.pop(job_id, None)
            else:
                self._failing_jobs[job_id] = message

    # - internals (lock held) -

    def _enter(self, call: str) -> None:
        self.calls.append(call)
        if self._unreachable is not None:
            raise EquipmentError(f"memory cluster: `{call}` failed: {self._unreachable} (simulated)")

    def _job(self, call: str, job_id: str) -> _Job:
        self._enter(call)
        job = self._jobs.get(job_id)
        if job is None:
            raise EquipmentError(f"memory cluster: `{call}` failed: Invalid job id specified")
        if job_id in self._failing_jobs:
            raise EquipmentError(
                f"memory cluster: `{call}` failed: {self._failing_jobs[job_id]} for job {job_id}"
            )
        return job

    @staticmethod
    def _fail(call: str, message: str, job_id: str) -> EquipmentError:
        return EquipmentError(f"memory cluster: `{call}` failed: {message} for job {job_id}")

    def _node(self, call: str, name: str) -> _Node:
        self._enter(call)
        node = self._nodes.get(name)
        if node is None:
            raise EquipmentError(f"memory cluster: `{call}` failed: Invalid node name specified")
        return node

    def _used(self) -> dict[str, int]:
        used = dict.fromkeys(self._nodes, 0)
        for job in self._jobs.values():
            if job.state in ("running", "suspended", "completing"):
                for name in job.nodes:
                    used[name] += job.gpus_per_node
        return used

    def _schedule(self) -> None:
        used = self._used()
        for job in self._jobs.values():  # submission order
            if job.state != "pending" or job.held:
                continue
            fits = [
                name
                for name, node in self._nodes.items()
                if not node.drain and node.gpu_count - used[name] >= job.gpus_per_node
            ]
            if len(fits) >= job.node_count:
                job.nodes = tuple(fits[: job.node_count])
                job.state = "running"
                for name in job.nodes:
                    used[name] += job.gpus_per_node

    def _node_state(self, node: _Node, used: int) -> GpuNodeState:
        if node.drain:
            return "draining" if used else "drained"
        if used == 0:
            return "idle"
        return "allocated" if used >= node.gpu_count else "mixed"

    # - GpuCluster -

    def nodes(self) -> list[GpuNode]:
        with self._lock:
            self._enter("sinfo")
            self._schedule()
            return self._public_nodes()

    def jobs(self) -> list[GpuJob]:
        with self._lock:
            self._enter("squeue")
            self._schedule()
            return [self._public(j) for j in self._jobs.values()]

    def job(self, job_id: str) -> GpuJob:
        """One job by id (EquipmentError when unknown)."""
        for found in self.jobs():
            if found.job_id == job_id:
                return found
        raise EquipmentError(f"memory cluster: job {job_id} is unknown")

    def _suspend_locked(self, job_id: str) -> None:
        call = f"suspend {job_id}"
        job = self._job(call, job_id)
        if job.state == "pending":
            raise self._fail(call, "Job is pending execution", job_id)
        if job.state not in ("running", "suspended"):
            raise self._fail(call, "Job/step already completing or completed", job_id)
        job.state = "suspended"  # suspending a suspended job is accepted, as by Slurm

    def suspend(self, job_id: str) -> None:
        with self._lock:
            self._schedule()
            self._suspend_locked(job_id)

    def suspend_many(self, job_ids: Sequence[str]) -> dict[str, str]:
        """Suspend several jobs; returns the ones that failed with their messages."""
        failed: dict[str, str] = {}
        with self._lock:
            self._enter(f"suspend {','.join(job_ids)}")
            self._schedule()
            for job_id in job_ids:
                try:
                    self._suspend_locked(job_id)
                except EquipmentError as exc:
                    failed[job_id] = str(exc)
        return failed

    def resume(self, job_id: str) -> None:
        with self._lock:
            call = f"resume {job_id}"
            job = self._job(call, job_id)
            if job.state == "pending":
                raise self._fail(call, "Job is pending execution", job_id)
            if job.state != "suspended":
                raise self._fail(call, "Job is not suspended", job_id)
            job.state = "running"

    def requeue(self, job_id: str) -> None:
        """Back to the queue, held until :meth:`release` (as ``scontrol requeuehold``)."""
        with self._lock:
            self._schedule()
            call = f"requeue {job_id}"
            job = self._job(call, job_id)
            if job.state == "pending":
                raise self._fail(call, "Job is pending execution", job_id)
            if job.state not in ("running", "suspended"):
                raise self._fail(call, "Job/step already completing or completed", job_id)
            job.state, job.nodes, job.held = "pending", (), True

    def release(self, job_id: str) -> None:
        """Let a requeued (held) pending job start again."""
        with self._lock:
            call = f"release {job_id}"
            job = self._job(call, job_id)
            if job.state != "pending":
                raise self._fail(call, "Job is no longer pending execution", job_id)
            job.held = False
            self._schedule()

    def cancel(self, job_id: str) -> None:
        with self._lock:
            call = f"cancel {job_id}"
            job = self._job(call, job_id)
            if job.state in ("completed", "cancelled", "failed"):
                raise self._fail(call, "Job/step already completing or completed", job_id)
            job.state, job.held = "cancelled", False
            self._schedule()

    def drain(self, node: str, reason: str) -> None:
        with self._lock:
            found = self._node(f"drain {node}", node)
            if not reason.strip():
                raise EquipmentError(
                    f"memory cluster: `drain {node}` failed: You must specify a reason when DRAINING a node"
                )
            found.drain, found.reason = True, reason

    def undrain(self, node: str) -> None:
        with self._lock:
            found = self._node(f"undrain {node}", node)
            found.drain, found.reason = False, ""
            self._schedule()

    def submit(self, spec: JobSpec) -> str:
        with self._lock:
            self._enter(f"submit {spec.name}")
            if spec.node_count < 1 or spec.node_count > len(self._nodes):
                raise EquipmentError(
                    f"memory cluster: submit job {spec.name!r}: Requested node configuration is not available"
                )
            if spec.gpus_per_node > max(n.gpu_count for n in self._nodes.values()):
                raise EquipmentError(
                    f"memory cluster: submit job {spec.name!r}: Requested node configuration is not available"
                )
            job_id = str(self._next_id)
            self._next_id += 1
            partition = self.spot_partition if spec.preemptible else self.reserved_partition
            self._jobs[job_id] = _Job(job_id, spec.name, partition, spec.node_count, spec.gpus_per_node)
            return job_id

    def snapshot(self) -> list[GpuJob]:
        """Jobs as they are, without scheduling or chaos checks (for assertions in tests)."""
        with self._lock:
            return [self._public(j) for j in self._jobs.values()]

    def nodes_snapshot(self) -> list[GpuNode]:
        """Nodes as they are, without scheduling or chaos checks (for assertions in tests)."""
        with self._lock:
            return self._public_nodes()

    def _public_nodes(self) -> list[GpuNode]:
        used = self._used()
        return [
            GpuNode(n.name, self._node_state(n, used[n.name]), n.gpu_count, used[n.name], n.reason)
            for n in self._nodes.values()
        ]

    def _public(self, job: _Job) -> GpuJob:
        return GpuJob(
            job_id=job.job_id,
            name=job.name,
            state=job.state,
            nodes=job.nodes,
            gpu_count=job.gpus_per_node * job.node_count,
            preemptible=job.partition in self.preemptible_partitions,
            partition=job.partition,
        )
