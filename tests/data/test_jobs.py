"""GPU job traces: Helios, generic scheduler CSVs (detected columns, timestamps, start/end)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from wattswitch.data.io import data_root, read_text
from wattswitch.data.jobs import (
    load_jobs,
    parse_helios_csv,
    parse_job_csv,
    parse_job_table,
)
from wattswitch.errors import InputError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "jobs"
HELIOS = "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz"


def real_file(relative: str) -> Path:
    root = data_root()
    if root is None:
        pytest.skip("WATTSWITCH_DATA is not set")
    return root / relative


def fixture(name: str) -> tuple[str, str]:
    path = FIXTURES / name
    return read_text(path), str(path)


def test_helios_fixture() -> None:
    trace = parse_helios_csv(*fixture("helios_small.csv"))
    frame = trace.frame
    assert frame["job_id"].tolist() == ["363167#0", "394948#2", "396689#3", "396912#4"]
    assert frame["submit_s"].tolist() == [0.0, 651507.0, 726051.0, 740189.0]
    assert frame["duration_s"].tolist() == [172800.0, 172800.0, 60.5, 0.0]
    assert frame["gpus"].tolist() == [32, 8, 1, 2]
    assert str(frame["gpus"].dtype) == "int64"
    assert trace.origin_utc is None
    assert trace.gpu_hours == pytest.approx((172800 * 40 + 60.5) / 3600)
    assert load_jobs(FIXTURES / "helios_small.csv").frame.equals(frame)  # detected columns


def test_generic_seconds_sorted_and_cpu_only_dropped() -> None:
    parsed = parse_job_table(*fixture("generic_seconds.csv"))
    assert parsed.dropped_cpu_only == 2
    frame = parsed.trace.frame
    assert frame["job_id"].tolist() == ["d", "c", "a"]  # sorted by submit; b, e had 0 GPUs
    assert frame["submit_s"].tolist() == [0.0, 200.0, 400.0]  # from the first GPU job
    assert frame["duration_s"].tolist() == [20.0, 10.0, 100.0]
    assert frame["gpus"].tolist() == [4, 1, 2]
    assert parse_job_csv(*fixture("generic_seconds.csv")).frame.equals(frame)


def test_timestamps_with_start_and_end() -> None:
    trace = parse_job_csv(*fixture("generic_timestamps.csv"))
    assert trace.origin_utc == pd.Timestamp("2020-04-01 07:30:00", tz="UTC")
    frame = trace.frame
    assert frame["job_id"].tolist() == ["j2", "j1", "j3"]
    # j3 is 2020-04-02 00:00 +08:00 = 2020-04-01 16:00 UTC
    assert frame["submit_s"].tolist() == [0.0, 1800.0, 8.5 * 3600]
    assert frame["duration_s"].tolist() == [30.0, 3600.0, 600.0]
    assert frame["gpus"].tolist() == [1, 8, 2]


def test_start_stands_in_for_submit() -> None:
    trace = parse_job_csv(*fixture("start_end_only.csv"))
    assert trace.frame["submit_s"].tolist() == [0.0, 60.0]
    assert trace.frame["duration_s"].tolist() == [60.0, 60.0]
    assert trace.frame["job_id"].tolist() == ["3", "2"]  # line numbers when no id column


def test_explicit_columns() -> None:
    text, source = fixture("odd_names.csv")
    with pytest.raises(InputError, match="no submit-time column"):
        parse_job_csv(text, source)
    trace = parse_job_csv(
        text, source, submit_col="t_in", duration_col="LEN", gpus_col="cards", id_col="name"
    )
    assert trace.frame["job_id"].tolist() == ["y", "x"]
    assert trace.frame["duration_s"].tolist() == [20.0, 10.0]
    with pytest.raises(InputError, match="no column 'cores'") as caught:
        parse_job_csv(text, source, submit_col="t_in", duration_col="len", gpus_col="cores")
    assert str(caught.value).startswith(f"{source}:1: ")


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("negative_duration.csv", 3, "service_sec: negative duration -3 s"),
        ("end_before_start.csv", 3, "end_time: negative duration -60 s"),
        ("nonnumeric_gpus.csv", 4, "gpu_count: 'two' is not a number"),
        ("negative_gpus.csv", 2, "gpu_count: negative GPU count -1;"),
        ("fractional_gpus.csv", 3, "gpu_count: fractional GPU count 0.5"),
        ("missing_column.csv", 1, "no GPU-count column"),
        ("malformed_row.csv", 3, "3 fields"),
        ("empty_cell.csv", 3, "arrival_s: empty value"),
        ("all_cpu.csv", 2, "no GPU jobs"),
        ("bad_timestamp.csv", 3, "submit_time: 'not a time' is not a timestamp"),
        ("header_only.csv", 2, "no data rows"),
    ],
)
def test_malformed_files_name_file_and_line(name: str, line: int, fragment: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        load_jobs(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message


def test_helios_parser_requires_its_columns() -> None:
    with pytest.raises(InputError, match="missing column\\(s\\) 'gpu_count'") as caught:
        parse_helios_csv(*fixture("missing_column.csv"))
    assert ":1: " in str(caught.value)


def test_empty_file_names_the_file() -> None:
    path = FIXTURES / "empty.csv"
    with pytest.raises(InputError, match="empty") as caught:
        load_jobs(path)
    assert str(caught.value).startswith(str(path))
    with pytest.raises(InputError) as parsed:
        parse_job_csv("", "jobs.csv")
    assert str(parsed.value).startswith("jobs.csv:1: ")


@pytest.mark.realdata
def test_real_helios_matches_readme() -> None:
    path = real_file(HELIOS)
    began = time.perf_counter()
    parsed = parse_job_table(read_text(path), str(path))
    elapsed_s = time.perf_counter() - began
    trace = parsed.trace
    assert parsed.dropped_cpu_only == 0
    assert len(trace.frame) == 125303
    assert trace.gpu_hours == pytest.approx(2_423_407, abs=1)
    assert trace.frame["gpus"].max() == 200
    assert trace.frame["gpus"].median() == 1
    assert trace.frame["duration_s"].max() == 172_800  # the upstream 48-h clamp
    assert trace.frame["submit_s"].iloc[-1] / 86400 == pytest.approx(193.8, abs=0.05)
    assert elapsed_s < 2.0
    assert parse_helios_csv(read_text(path), str(path)).frame.equals(trace.frame)
