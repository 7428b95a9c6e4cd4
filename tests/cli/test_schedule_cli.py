"""`wattswitch schedule` as a user runs it, on the fixture trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wattswitch.cli.main import app

FIXTURE = Path(__file__).parents[1] / "fixtures" / "scheduling" / "tiny_jobs.csv"
HELIOS_FIXTURE = Path(__file__).parents[1] / "fixtures" / "jobs" / "helios_small.csv"
KEYS = {"jobs", "mean_jct_s", "median_jct_s", "p95_jct_s", "mean_queue_delay_s", "utilization", "preemptions"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["schedule", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_compare_json_has_the_documented_shape() -> None:
    code, out = run("--jobs", str(FIXTURE), "--gpus", "16", "--compare", "--json")
    assert code == 0, out
    payload = json.loads(out)
    assert set(payload["policies"]) == {"fifo", "easy-backfill", "srtf-est"}
    for summary in payload["policies"].values():
        assert set(summary) >= KEYS
        assert summary["jobs"] == 5
        assert isinstance(summary["mean_jct_s"], float)
        assert 0 < summary["utilization"] <= 1
        assert isinstance(summary["preemptions"], int)
    assert payload["cluster"] == {"gpus": 16, "gpus_per_node": 8}
    policies = payload["policies"]
    assert policies["fifo"]["mean_queue_delay_s"] > policies["easy-backfill"]["mean_queue_delay_s"]


def test_one_policy_table_and_limits() -> None:
    code, out = run("--jobs", str(HELIOS_FIXTURE), "--gpus", "64", "--policy", "fifo",
                    "--limit-jobs", "3")
    assert code == 0, out
    assert "fifo" in out
    assert "3 jobs on 64 GPUs" in out


def test_several_policies_repeated_or_comma_separated() -> None:
    for args in (("--policy", "fifo", "--policy", "las"), ("--policy", "fifo,las")):
        code, out = run("--jobs", str(FIXTURE), "--gpus", "16", *args, "--json")
        assert code == 0, out
        assert list(json.loads(out)["policies"]) == ["fifo", "las"]


def test_exact_limits_and_checkpoint_options() -> None:
    code, out = run("--jobs", str(FIXTURE), "--gpus", "16", "--policy", "las", "--json",
                    "--limit-noise", "0", "--checkpoint-s", "0", "--restart-s", "60")
    assert code == 0, out
    assert json.loads(out)["policies"]["las"]["jobs"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policy", "sjf"), "--policy: unknown policy sjf"),
        (("--policy", "fifo", "--compare"), "exclude each other"),
        (("--gpus", "20"), "--gpus 20: not a multiple of 8 GPUs per node"),
        (("--gpus", "64", "--gpus-per-node", "6"), "--gpus 64: not a multiple of --gpus-per-node 6"),
    ],
)
def test_bad_arguments_are_one_clear_error(args: tuple[str, ...], message: str) -> None:
    from wattswitch.errors import WattswitchError

    with pytest.raises(WattswitchError, match=message):
        CliRunner().invoke(app, ["schedule", "--jobs", str(FIXTURE), *args], catch_exceptions=False)


def test_missing_file_is_an_input_error() -> None:
    from wattswitch.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        CliRunner().invoke(app, ["schedule", "--jobs", "nope.csv"], catch_exceptions=False)
