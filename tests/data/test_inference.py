"""Inference request traces: Azure, Mooncake, Alibaba SD; sniffing; diurnal profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wattswitch.data.inference import (
    diurnal_profile,
    load_inference,
    parse_alibaba_sd_csv,
    parse_azure_csv,
    parse_mooncake_jsonl,
)
from wattswitch.data.io import data_root, read_text
from wattswitch.errors import InputError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inference"
AZURE_CODE = "llm_inference_azure_2023/AzureLLMInferenceTrace_code.csv.gz"
AZURE_CONV = "llm_inference_azure_2023/AzureLLMInferenceTrace_conv.csv.gz"
MOONCAKE = "llm_inference_mooncake_synthetic/synthetic_trace.jsonl.gz"
ALIBABA = "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz"


def real_file(relative: str) -> Path:
    root = data_root()
    if root is None:
        pytest.skip("WATTSWITCH_DATA is not set")
    return root / relative


def alibaba_text(times: list[pd.Timestamp]) -> str:
    rows = [f"{t:%Y-%m-%d %H:%M:%S},TXT_2_IMG,SUCCEED,20.0" for t in times]
    return "gmt_create,predict_type,predict_status,exec_time_seconds\n" + "\n".join(rows) + "\n"


def test_azure_seven_fractional_digits_and_tokens() -> None:
    path = FIXTURES / "azure_small.csv"
    trace = load_inference(path)
    frame = trace.frame
    assert trace.origin_utc == pd.Timestamp("2023-11-16 18:17:03.97996", tz="UTC")
    assert frame["arrival_s"].iloc[0] == 0.0
    assert frame["arrival_s"].iloc[1] == pytest.approx(0.052)
    assert frame["arrival_s"].iloc[3] == pytest.approx(1.1434967)  # 100-ns digit kept
    assert frame["arrival_s"].iloc[4] == pytest.approx(3.02004)  # no fraction at all
    assert frame["input_tokens"].tolist() == [4808, 3180, 110, 7437, 1469]
    assert frame["output_tokens"].tolist() == [10, 8, 27, 1899, 13]
    assert frame["exec_time_s"].isna().all()
    assert parse_azure_csv(read_text(path), str(path)).frame.equals(frame)


def test_mooncake_ms_to_s_and_blank_lines() -> None:
    path = FIXTURES / "mooncake_small.jsonl"
    trace = load_inference(path)
    assert trace.origin_utc is None
    assert trace.frame["arrival_s"].tolist() == [0.0, 0.0, 1.5, 2.75]
    assert trace.frame["input_tokens"].tolist() == [40160, 36640, 512, 1024]
    assert trace.frame["output_tokens"].tolist() == [6, 4, 100, 300]
    assert trace.span_s == pytest.approx(2.75)
    assert parse_mooncake_jsonl(read_text(path), str(path)).frame.equals(trace.frame)


def test_alibaba_keeps_every_status_and_empty_exec_time_is_nan() -> None:
    path = FIXTURES / "alibaba_small.csv"
    trace = load_inference(path)
    frame = trace.frame
    assert len(frame) == 4
    assert frame["predict_status"].tolist() == ["SUCCEED", "SUCCEED", "FAILED", "PENDING"]
    assert frame["exec_time_s"].iloc[:3].tolist() == [32.0, 43.0, 0.0]
    assert np.isnan(frame["exec_time_s"].iloc[3])
    assert frame["input_tokens"].isna().all()
    assert frame["output_tokens"].isna().all()
    assert trace.origin_utc == pd.Timestamp("2024-11-15 16:57:50", tz="UTC")
    assert frame["arrival_s"].tolist() == [0.0, 4704.0, 4704.0, 4756.0]


def test_unsorted_trace_is_sorted_stably() -> None:
    path = FIXTURES / "alibaba_unsorted.csv"
    trace = parse_alibaba_sd_csv(read_text(path), str(path))
    assert trace.origin_utc == pd.Timestamp("2024-11-15 17:00:00", tz="UTC")
    assert trace.frame["arrival_s"].tolist() == [0.0, 1800.0, 3600.0, 3600.0]
    assert trace.frame["exec_time_s"].tolist() == [20.0, 40.0, 10.0, 30.0]  # ties: file order


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("azure_missing_column.csv", 1, "missing column(s) 'GeneratedTokens'"),
        ("azure_malformed_row.csv", 3, "2 fields"),
        ("azure_bad_tokens.csv", 4, "ContextTokens: 'many' is not a number"),
        ("azure_negative_tokens.csv", 2, "GeneratedTokens: negative value -3;"),
        ("azure_bad_timestamp.csv", 3, "is not a timestamp"),
        ("azure_header_only.csv", 2, "no data rows"),
        ("mooncake_bad_json.jsonl", 3, "not valid JSON"),
        ("mooncake_missing_key.jsonl", 2, "output_length: no 'output_length'"),
        ("mooncake_non_numeric.jsonl", 3, "timestamp: 'soon' is not a number"),
        ("alibaba_negative_exec.csv", 3, "exec_time_seconds: negative value -1;"),
        ("unknown_format.csv", 1, "unknown inference trace format"),
    ],
)
def test_malformed_files_name_file_and_line(name: str, line: int, fragment: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        load_inference(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message


def test_empty_file_names_the_file() -> None:
    path = FIXTURES / "empty.csv"
    with pytest.raises(InputError, match="empty") as caught:
        load_inference(path)
    assert str(caught.value).startswith(str(path))
    with pytest.raises(InputError) as parsed:
        parse_mooncake_jsonl("\n\n", "m.jsonl")
    assert str(parsed.value).startswith("m.jsonl:1: no requests")


def test_json_line_that_is_not_an_object() -> None:
    with pytest.raises(InputError) as caught:
        parse_mooncake_jsonl('{"timestamp": 0, "input_length": 1, "output_length": 1}\n[1, 2]\n', "m")
    assert str(caught.value).startswith("m:2: a JSON list")


def test_diurnal_profile_corrects_for_partial_days() -> None:
    # Two days at 1 request/hour, plus 3 more per hour from 18:00 to 21:59 (rate ×4 there);
    # the trace starts at 12:00 on day one, so hours 12..23 are covered more than 0..11.
    start = pd.Timestamp("2024-11-15 12:00:00")
    hours = pd.date_range(start, start + pd.Timedelta(hours=47), freq="h")
    times = list(hours + pd.Timedelta(minutes=30))
    times += [t + pd.Timedelta(minutes=m) for t in hours if 18 <= t.hour < 22 for m in (5, 10, 15)]
    times.append(start + pd.Timedelta(hours=48))  # ends 12:00 on day three
    trace = parse_alibaba_sd_csv(alibaba_text(sorted(times)), "synthetic.csv")
    profile = diurnal_profile(trace)
    assert profile.shape == (24,)
    assert profile.mean() == pytest.approx(1.0)
    quiet = np.r_[0:12, 13:18, 22:24]  # hour 12 also holds the final request
    np.testing.assert_allclose(profile[quiet], profile[0], rtol=1e-9)
    np.testing.assert_allclose(profile[18:22], 4 * profile[0], rtol=1e-9)


def test_diurnal_profile_needs_a_clock_and_a_day() -> None:
    with pytest.raises(InputError, match="no wall clock"):
        diurnal_profile(load_inference(FIXTURES / "mooncake_small.jsonl"))
    with pytest.raises(InputError, match=r"spans only 0\.0 h"):
        diurnal_profile(load_inference(FIXTURES / "azure_small.csv"))


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relative", "rows", "mean_in", "mean_out"),
    [
        (AZURE_CODE, 8819, 2048, 28),
        (AZURE_CONV, 19366, 1155, 211),
        (MOONCAKE, 3993, 15325, 149),
    ],
)
def test_real_llm_traces_match_readme(
    relative: str, rows: int, mean_in: float, mean_out: float
) -> None:
    trace = load_inference(real_file(relative))
    assert len(trace.frame) == rows
    assert trace.frame["input_tokens"].mean() == pytest.approx(mean_in, abs=0.5)
    assert trace.frame["output_tokens"].mean() == pytest.approx(mean_out, abs=0.5)
    assert trace.frame["arrival_s"].iloc[0] == 0.0


@pytest.mark.realdata
def test_real_azure_span_and_rate() -> None:
    trace = load_inference(real_file(AZURE_CODE))
    assert trace.origin_utc == pd.Timestamp("2023-11-16 18:17:03.979960", tz="UTC")
    assert trace.span_s == pytest.approx(3435.948056, abs=1e-6)
    assert len(trace.frame) / trace.span_s == pytest.approx(2.57, abs=0.01)


@pytest.mark.realdata
def test_real_alibaba_trace_and_diurnal_profile() -> None:
    trace = load_inference(real_file(ALIBABA))
    frame = trace.frame
    assert len(frame) == 14279
    assert frame["exec_time_s"].mean() == pytest.approx(26.4, abs=0.05)
    assert set(frame["predict_status"]) == {"SUCCEED", "FAILED", "PENDING"}
    assert trace.origin_utc == pd.Timestamp("2024-11-15 16:57:50", tz="UTC")
    clock = trace.origin_utc + pd.to_timedelta(frame["arrival_s"], unit="s")
    assert clock.iloc[-1] == pd.Timestamp("2024-11-30 23:43:04", tz="UTC")
    assert clock.dt.hour.value_counts()[0] == 2155  # README hour-of-day table
    profile = diurnal_profile(trace)
    assert profile.mean() == pytest.approx(1.0)
    top_four = set(np.argsort(profile)[-4:].tolist())
    assert top_four == {21, 22, 23, 0}
    assert profile[11] < 0.01
