"""The Slurm adapter: pure parsing on JSON captured from a real Slurm 22.05, then the shared suite
and restarts against a real single-host cluster (marker ``slurm``; fails without Slurm)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_suite import ClusterSuite, spec, wait_state

from wattswitch.control.slurm import (
    SlurmCluster,
    SlurmSettings,
    expand_hostlist,
    failed_job_ids,
    job_state,
    node_state,
    parse_gres_gpus,
    parse_sbatch_parsable,
    parse_sinfo_json,
    parse_squeue_json,
    parse_tres_gpus,
    suspend_preemptible,
)
from wattswitch.errors import EquipmentError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slurm"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# --- pure parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gres", "gpus"),
    [
        ("gpu:a100:4", 4),
        ("gpu:a100:3(IDX:0-2)", 3),
        ("gpu:a100:0(IDX:N/A)", 0),
        ("gpu:2", 2),
        ("gpu", 1),
        ("gpu:a100", 1),
        ("gres:gpu:2", 2),
        ("gres/gpu:h100:8", 8),
        ("gpu:a100:2(IDX:0,2),gpu:h100:1(IDX:3)", 3),
        ("gpu:a100:4(S:0-1),mps:100", 4),
        ("", 0),
        (None, 0),
        ("(null)", 0),
    ],
)
def test_gpus_are_read_from_gres_strings(gres: str | None, gpus: int) -> None:
    assert parse_gres_gpus(gres) == gpus


def test_an_unreadable_gres_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="gpu:a100:x:y"):
        parse_gres_gpus("gpu:a100:x:y")


@pytest.mark.parametrize(
    ("tres", "gpus"),
    [
        ("cpu=1,mem=62.50G,node=1,billing=1", None),
        ("cpu=2,node=2,billing=2,gres/gpu=8,gres/gpu:a100=8", 8),
        ("cpu=1,gres/gpu:a100=2,gres/gpu:h100=1", 3),
        ("", None),
    ],
)
def test_gpus_are_read_from_tres_strings(tres: str, gpus: int | None) -> None:
    assert parse_tres_gpus(tres) == gpus


@pytest.mark.parametrize(
    ("hostlist", "names"),
    [
        ("gpu01", ("gpu01",)),
        ("gpu[02-03]", ("gpu02", "gpu03")),
        ("gpu[01-02,07],cpu1", ("gpu01", "gpu02", "gpu07", "cpu1")),
        ("rack1-n[8-10]", ("rack1-n8", "rack1-n9", "rack1-n10")),
        ("", ()),
    ],
)
def test_host_lists_are_expanded(hostlist: str, names: tuple[str, ...]) -> None:
    assert expand_hostlist(hostlist) == names


def test_states_map_from_22_05_strings_and_newer_lists() -> None:
    assert node_state("idle", ["DRAIN"]) == "drained"
    assert node_state("mixed", ["DRAIN"]) == "draining"
    assert node_state(["IDLE", "DRAIN"]) == "drained"
    assert node_state(["ALLOCATED", "DRAIN"]) == "draining"
    assert node_state("idle*", []) == "idle"
    assert node_state("down", []) == "down"
    assert node_state("future", []) == "unknown"
    assert job_state("SUSPENDED") == "suspended"
    assert job_state(["PENDING"]) == "pending"
    assert job_state(["COMPLETED", "COMPLETING"]) == "completing"
    assert job_state("TIMEOUT") == "failed"
    assert job_state("STOPPED") == "other"


def test_sinfo_json_of_a_busy_cluster_with_a_drained_node() -> None:
    nodes = parse_sinfo_json(fixture("sinfo-mixed.json"))
    assert [(n.name, n.state, n.gpu_count, n.gpus_in_use, n.reason) for n in nodes] == [
        ("gpu01", "mixed", 4, 3, ""),
        ("gpu02", "mixed", 4, 4, ""),
        ("gpu03", "mixed", 4, 4, ""),
        ("gpu04", "drained", 4, 0, "curtail"),
    ]
    later = parse_sinfo_json(fixture("sinfo-drained.json"))
    assert {n.name: n.reason for n in later}["gpu04"] == "curtail for price"


def test_squeue_json_gives_states_gpus_nodes_and_preemptibility() -> None:
    jobs = {j.job_id: j for j in parse_squeue_json(fixture("squeue-mixed.json"), ("spot",))}
    assert jobs["1"].state == "running"
    assert jobs["1"].gpu_count == 2
    assert jobs["1"].preemptible
    assert jobs["2"].nodes == ("gpu02", "gpu03")
    assert jobs["2"].gpu_count == 8
    assert not jobs["2"].preemptible
    assert jobs["2"].partition == "reserved"
    assert jobs["3"].state == "suspended"
    assert jobs["4"].state == "pending"
    assert jobs["4"].nodes == ()
    assert jobs["4"].gpu_count == 4


def test_squeue_json_after_requeue_and_cancel() -> None:
    jobs = {j.job_id: j for j in parse_squeue_json(fixture("squeue-requeued.json"))}
    assert jobs["8"].state == "pending"  # requeued and held
    assert jobs["2"].state == "cancelled"
    assert jobs["2"].gpu_count == 8  # from tres_per_node once gres_detail is gone


def test_slurm_errors_in_json_are_equipment_errors() -> None:
    with pytest.raises(EquipmentError, match=r"is slurmctld up.*slurm_load_jobs"):
        parse_squeue_json(fixture("squeue-controller-down.json"))
    with pytest.raises(EquipmentError, match="no valid JSON"):
        parse_sinfo_json("sinfo: error: oops")


def test_sbatch_output_and_multi_job_errors() -> None:
    assert parse_sbatch_parsable("123\n") == "123"
    assert parse_sbatch_parsable("77;cluster\n") == "77"
    with pytest.raises(ValueError, match="expected a job id"):
        parse_sbatch_parsable("Submitted batch job 5")
    stderr = "Job is pending execution for job 10\nJob/step already completing or completed for job 1\n"
    assert failed_job_ids(stderr) == {
        "10": "Job is pending execution for job 10",
        "1": "Job/step already completing or completed for job 1",
    }


def test_a_missing_slurm_client_says_what_to_install(tmp_path: Path) -> None:
    cluster = SlurmCluster(SlurmSettings(bin_dir=tmp_path))
    with pytest.raises(EquipmentError, match=r"`sinfo` not found.*slurm-client"):
        cluster.nodes()


def test_settings_come_from_slurm_conf_and_are_checked() -> None:
    settings = SlurmSettings.from_env({"SLURM_CONF": "/etc/x/slurm.conf"}, command_timeout_s=3.0)
    assert settings.slurm_conf == Path("/etc/x/slurm.conf")
    assert settings.command_timeout_s == 3.0
    assert SlurmSettings.from_env({}).slurm_conf is None
    with pytest.raises(ValueError, match="reserved"):
        SlurmSettings(preemptible_partitions=("spot", "reserved"))


def test_job_ids_and_node_names_are_checked_before_any_command(tmp_path: Path) -> None:
    cluster = SlurmCluster(SlurmSettings(bin_dir=tmp_path))
    with pytest.raises(EquipmentError, match="not a Slurm job id"):
        cluster.suspend("1,2")
    with pytest.raises(EquipmentError, match="not a node name"):
        cluster.drain("gpu01 state=down", "x")


# --- a real cluster -------------------------------------------------------------------------------


@pytest.mark.slurm
class TestSlurmCluster(ClusterSuite):
    @pytest.fixture
    def cluster(self, slurm_cluster) -> SlurmCluster:  # type: ignore[no-untyped-def]
        slurm_cluster.reset()
        return SlurmCluster(slurm_cluster.settings())


@pytest.mark.slurm
def test_jobs_survive_a_controller_restart_and_a_down_controller_is_an_error(slurm_cluster) -> None:  # type: ignore[no-untyped-def]
    slurm_cluster.reset()
    cluster = SlurmCluster(slurm_cluster.settings())
    running = cluster.submit(spec("keeps-running", gpus=2))
    paused = cluster.submit(spec("stays-paused", gpus=1))
    wait_state(cluster, running, "running")
    wait_state(cluster, paused, "running")
    cluster.suspend(paused)
    cluster.drain("gpu04", "curtail")
    slurm_cluster.stop_controller()
    impatient = SlurmCluster(slurm_cluster.settings(command_timeout_s=2.0))
    with pytest.raises(EquipmentError, match=r"(?i)timed out|slurmctld"):
        impatient.jobs()
    with pytest.raises(EquipmentError, match="list jobs"):
        suspend_preemptible(impatient)
    slurm_cluster.start_controller()
    assert cluster.job(running).state == "running"
    assert cluster.job(paused).state == "suspended"
    assert {n.name: n.state for n in cluster.nodes()}["gpu04"] in ("drained", "draining")
    slurm_cluster.restart_controller()
    cluster.resume(paused)
    assert wait_state(cluster, paused, "running").gpu_count == 1
