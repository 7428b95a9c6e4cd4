"""The in-process fake cluster: the shared suite, plus its chaos switches."""

from __future__ import annotations

import pytest
from cluster_suite import ClusterSuite, spec, wait_state

from wattswitch.control.memory_cluster import MemoryCluster
from wattswitch.control.slurm import resume_jobs, suspend_preemptible
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import JobSpec


class TestMemoryCluster(ClusterSuite):
    @pytest.fixture
    def cluster(self) -> MemoryCluster:
        return MemoryCluster(node_count=4, gpus_per_node=4)


def test_an_unreachable_controller_fails_every_call_until_it_is_back() -> None:
    cluster = MemoryCluster()
    job_id = cluster.submit(spec())
    wait_state(cluster, job_id, "running")
    cluster.set_unreachable()
    calls = [
        cluster.nodes,
        cluster.jobs,
        lambda: cluster.suspend(job_id),
        lambda: cluster.resume(job_id),
        lambda: cluster.requeue(job_id),
        lambda: cluster.drain("gpu01", "x"),
        lambda: cluster.undrain("gpu01"),
        lambda: cluster.submit(spec()),
    ]
    for call in calls:
        with pytest.raises(EquipmentError, match="Unable to contact slurm controller"):
            call()
    with pytest.raises(EquipmentError, match="Unable to contact"):
        suspend_preemptible(cluster)
    assert cluster.snapshot()[0].state == "running"  # nothing changed while unreachable
    cluster.set_unreachable(False)
    assert cluster.job(job_id).state == "running"


def test_suspend_preemptible_continues_past_a_failing_job() -> None:
    cluster = MemoryCluster()
    ids = [cluster.submit(spec(f"j{i}")) for i in range(3)]
    for job_id in ids:
        wait_state(cluster, job_id, "running")
    cluster.fail_job(ids[1], "Access/permission denied")
    outcome = suspend_preemptible(cluster)
    assert not outcome.ok
    assert outcome.suspended == (ids[0], ids[2])
    assert list(outcome.failed) == [ids[1]]
    assert "permission denied" in outcome.failed[ids[1]]
    assert [j.state for j in cluster.jobs()] == ["suspended", "running", "suspended"]
    cluster.fail_job(ids[1], None)
    assert suspend_preemptible(cluster).suspended == (ids[1],)
    assert resume_jobs(cluster, ids) == {}
    assert {j.state for j in cluster.jobs()} == {"running"}


def test_resume_jobs_reports_failures_and_resumes_the_rest() -> None:
    cluster = MemoryCluster()
    ids = [cluster.submit(spec(f"j{i}")) for i in range(2)]
    for job_id in ids:
        wait_state(cluster, job_id, "running")
    suspend_preemptible(cluster)
    failed = resume_jobs(cluster, [ids[0], "404", ids[1]])
    assert list(failed) == ["404"]
    assert "Invalid job id" in failed["404"]
    assert {j.state for j in cluster.jobs()} == {"running"}


def test_jobs_that_cannot_fit_are_refused_at_submission() -> None:
    cluster = MemoryCluster(node_count=2, gpus_per_node=4)
    with pytest.raises(EquipmentError, match="node configuration is not available"):
        cluster.submit(JobSpec("too-wide", "true", node_count=3))
    with pytest.raises(EquipmentError, match="node configuration is not available"):
        cluster.submit(JobSpec("too-many-gpus", "true", gpus_per_node=5))


def test_calls_are_recorded() -> None:
    cluster = MemoryCluster()
    job_id = cluster.submit(spec())
    cluster.jobs()
    cluster.suspend(job_id)
    assert list(cluster.calls) == ["submit train", "squeue", f"suspend {job_id}"]
