"""One behaviour suite for every GpuCluster (the in-process fake and real Slurm), subclassed per
adapter like gridstatus' BaseTestISO. A subclass provides a ``cluster`` fixture: an empty cluster
of 4 idle nodes ``gpu01``..``gpu04`` with 4 GPUs each, partitions ``spot`` (preemptible) and
``reserved``. The cluster may schedule asynchronously, so states are polled, never assumed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pytest

from service_testing import wait_for
from wattswitch.control.slurm import suspend_preemptible
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuCluster, GpuJob, GpuJobState, GpuNode, JobSpec

NODES = ("gpu01", "gpu02", "gpu03", "gpu04")
GPUS_PER_NODE = 4


class SuiteCluster(GpuCluster, Protocol):
    """What the suite drives: the protocol plus the adapters' extras."""

    def job(self, job_id: str) -> GpuJob: ...

    def release(self, job_id: str) -> None: ...

    def cancel(self, job_id: str) -> None: ...

    def suspend_many(self, job_ids: Sequence[str]) -> dict[str, str]: ...


def wait_state(cluster: SuiteCluster, job_id: str, state: GpuJobState) -> GpuJob:
    def reached() -> GpuJob | None:
        job = cluster.job(job_id)
        return job if job.state == state else None

    return wait_for(reached, what=f"job {job_id} to be {state}")


def node(cluster: SuiteCluster, name: str) -> GpuNode:
    return {n.name: n for n in cluster.nodes()}[name]


def spec(name: str = "train", gpus: int = 1, nodes: int = 1, preemptible: bool = True) -> JobSpec:
    return JobSpec(name, "sleep 600", node_count=nodes, gpus_per_node=gpus, preemptible=preemptible)


class ClusterSuite:
    """Behaviour every GpuCluster shares; subclasses override the ``cluster`` fixture."""

    @pytest.fixture
    def cluster(self) -> SuiteCluster:
        raise NotImplementedError

    def start(
        self,
        cluster: SuiteCluster,
        name: str = "train",
        gpus: int = 1,
        nodes: int = 1,
        preemptible: bool = True,
    ) -> GpuJob:
        """Submit a job and wait until it runs."""
        job_id = cluster.submit(spec(name, gpus, nodes, preemptible))
        return wait_state(cluster, job_id, "running")

    # - reads -

    def test_an_empty_cluster_has_four_idle_nodes_of_four_gpus(self, cluster: SuiteCluster) -> None:
        nodes = cluster.nodes()
        assert [n.name for n in nodes] == list(NODES)
        assert all(n.gpu_count == GPUS_PER_NODE and n.gpus_in_use == 0 for n in nodes)
        assert {n.state for n in nodes} == {"idle"}
        assert not [j for j in cluster.jobs() if j.state in ("pending", "running", "suspended")]

    def test_a_submitted_job_runs_and_its_node_reports_the_gpus_in_use(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, name="two-gpus", gpus=2)
        assert job.name == "two-gpus"
        assert job.gpu_count == 2
        assert len(job.nodes) == 1
        assert job.preemptible
        assert job.partition == "spot"
        busy = node(cluster, job.nodes[0])
        assert busy.gpus_in_use == 2
        assert busy.state in ("mixed", "allocated")
        assert sum(n.gpus_in_use for n in cluster.nodes()) == 2

    def test_a_multi_node_job_holds_gpus_on_each_node(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, gpus=4, nodes=2)
        assert job.gpu_count == 8
        assert len(set(job.nodes)) == 2
        assert all(node(cluster, name).gpus_in_use == 4 for name in job.nodes)

    def test_a_reserved_job_is_not_preemptible(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, preemptible=False)
        assert not job.preemptible
        assert job.partition == "reserved"

    # - suspend, resume, requeue -

    def test_suspend_then_resume(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, gpus=2)
        cluster.suspend(job.job_id)
        suspended = wait_state(cluster, job.job_id, "suspended")
        assert suspended.nodes == job.nodes  # keeps its allocation, as in Slurm
        assert node(cluster, job.nodes[0]).gpus_in_use == 2
        cluster.resume(job.job_id)
        assert wait_state(cluster, job.job_id, "running").nodes == job.nodes

    def test_suspending_a_pending_job_fails_clearly(self, cluster: SuiteCluster) -> None:
        self.start(cluster, gpus=1)
        big = cluster.submit(spec("whole-cluster", gpus=4, nodes=4))  # cannot start: a GPU is taken
        assert cluster.job(big).state == "pending"
        with pytest.raises(EquipmentError, match=rf"(?i)pending.*{big}") as raised:
            cluster.suspend(big)
        assert "suspend" in str(raised.value)
        assert cluster.job(big).state == "pending"

    def test_resuming_a_running_job_fails(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster)
        with pytest.raises(EquipmentError, match=r"(?i)not suspended"):
            cluster.resume(job.job_id)

    def test_commands_on_an_unknown_job_fail(self, cluster: SuiteCluster) -> None:
        with pytest.raises(EquipmentError, match="999999"):
            cluster.suspend("999999")

    def test_requeue_returns_a_job_to_the_queue_until_released(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, gpus=2)
        cluster.requeue(job.job_id)
        pending = wait_state(cluster, job.job_id, "pending")
        assert pending.nodes == ()
        wait_for(lambda: sum(n.gpus_in_use for n in cluster.nodes()) == 0, what="the GPUs to be freed")
        assert cluster.job(job.job_id).state == "pending"  # held: it does not come back on its own
        cluster.release(job.job_id)
        restarted = wait_state(cluster, job.job_id, "running")
        assert restarted.gpu_count == 2

    def test_a_suspended_job_can_be_requeued(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster)
        cluster.suspend(job.job_id)
        wait_state(cluster, job.job_id, "suspended")
        cluster.requeue(job.job_id)
        wait_state(cluster, job.job_id, "pending")
        cluster.release(job.job_id)
        wait_state(cluster, job.job_id, "running")

    # - drain -

    def test_a_drained_node_gets_no_new_jobs_until_undrained(self, cluster: SuiteCluster) -> None:
        cluster.drain("gpu04", "curtail: price spike")
        drained = node(cluster, "gpu04")
        assert drained.state == "drained"
        assert drained.reason == "curtail: price spike"
        running = [self.start(cluster, name=f"full{i}", gpus=4) for i in range(3)]
        assert sorted(n for job in running for n in job.nodes) == ["gpu01", "gpu02", "gpu03"]
        waiting = cluster.submit(spec("waiting", gpus=4))
        assert cluster.job(waiting).state == "pending"
        assert node(cluster, "gpu04").gpus_in_use == 0
        cluster.undrain("gpu04")
        assert wait_state(cluster, waiting, "running").nodes == ("gpu04",)
        assert node(cluster, "gpu04").state in ("mixed", "allocated")

    def test_draining_a_busy_node_lets_its_job_run(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster)
        cluster.drain(job.nodes[0], "maintenance")
        assert node(cluster, job.nodes[0]).state == "draining"
        assert cluster.job(job.job_id).state == "running"
        cluster.undrain(job.nodes[0])
        wait_for(
            lambda: node(cluster, job.nodes[0]).state in ("mixed", "allocated"),
            what="the node back in service",
        )

    def test_undraining_a_node_in_service_changes_nothing(self, cluster: SuiteCluster) -> None:
        cluster.undrain("gpu02")
        assert node(cluster, "gpu02").state == "idle"

    def test_draining_an_unknown_node_fails(self, cluster: SuiteCluster) -> None:
        with pytest.raises(EquipmentError, match="gpu99"):
            cluster.drain("gpu99", "x")

    # - shedding power -

    def test_suspend_preemptible_pauses_only_spot_jobs(self, cluster: SuiteCluster) -> None:
        spot = [self.start(cluster, name=f"spot{i}", gpus=2) for i in range(3)]
        reserved = self.start(cluster, name="tenant", gpus=2, preemptible=False)
        pending = cluster.submit(spec("queued", gpus=4, nodes=4))
        outcome = suspend_preemptible(cluster)
        assert outcome.ok
        assert sorted(outcome.suspended) == sorted(j.job_id for j in spot)
        for job in spot:
            wait_state(cluster, job.job_id, "suspended")
        assert cluster.job(reserved.job_id).state == "running"
        assert cluster.job(pending).state == "pending"
        assert suspend_preemptible(cluster).suspended == ()  # nothing left to pause

    def test_suspend_many_reports_the_jobs_it_could_not_pause(self, cluster: SuiteCluster) -> None:
        running = [self.start(cluster, name=f"r{i}") for i in range(2)]
        pending = cluster.submit(spec("queued", gpus=4, nodes=4))
        failed = cluster.suspend_many([running[0].job_id, pending, running[1].job_id])
        assert list(failed) == [pending]
        assert "pending" in failed[pending].lower()
        for job in running:
            wait_state(cluster, job.job_id, "suspended")

    def test_a_cancelled_job_frees_its_gpus(self, cluster: SuiteCluster) -> None:
        job = self.start(cluster, gpus=3)
        cluster.cancel(job.job_id)
        wait_for(lambda: cluster.job(job.job_id).state == "cancelled", what="the job to be cancelled")
        wait_for(lambda: sum(n.gpus_in_use for n in cluster.nodes()) == 0, what="the GPUs to be freed")
