"""Absurd but well-formed values in input files are refused in one short line (file, line, field)."""

from __future__ import annotations

import pytest

from wattswitch.data.bitcoin import parse_bitcoin
from wattswitch.data.inspect import summarize_jobs
from wattswitch.data.jobs import parse_helios_csv, parse_job_csv
from wattswitch.data.prices import parse_tidy_csv
from wattswitch.errors import InputError

TIDY_HEADER = "interval_start_utc,HB_WEST\n"


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400", "-1e999"])
def test_a_non_finite_price_is_refused(cell: str) -> None:
    text = TIDY_HEADER + "2023-01-01T00:00:00Z,20\n" + f"2023-01-01T00:15:00Z,{cell}\n"
    with pytest.raises(InputError, match=r"prices\.csv:3: HB_WEST: .* is not a finite number"):
        parse_tidy_csv(text, "prices.csv")


def test_a_non_finite_hashprice_is_refused() -> None:
    text = "date,hashprice_usd_per_ph_day\n2023-06-01,50\n2023-06-02,1e400\n"
    with pytest.raises(InputError, match=r"hp\.csv:3: hashprice_usd_per_ph_day: .*not a finite number"):
        parse_bitcoin(text, "hp.csv")


def test_an_infinite_arrival_is_refused() -> None:
    text = "job_id,arrival_s,service_sec,gpu_count\na,0,3600,8\nb,inf,3600,8\n"
    with pytest.raises(InputError, match=r"jobs\.csv:3: arrival_s: 'inf' is not a finite number"):
        parse_helios_csv(text, "jobs.csv")


@pytest.mark.parametrize("when", ["9999-12-31T00:00:00Z", "2262-04-11T00:00:00Z", "1970-01-01T00:00:00Z"])
def test_a_time_outside_the_modelled_years_is_refused_before_any_grid_is_built(when: str) -> None:
    text = TIDY_HEADER + "2023-01-01T00:00:00Z,20\n" + f"{when},21\n"
    with pytest.raises(InputError, match=r"prices\.csv:3: interval_start_utc: .*outside the years"):
        parse_tidy_csv(text, "prices.csv")


def test_a_huge_cell_is_not_echoed_whole() -> None:
    digits = "9" * 5_000_000 + "x"
    text = TIDY_HEADER + f"2023-01-01T00:00:00Z,{digits}\n"
    with pytest.raises(InputError) as caught:
        parse_tidy_csv(text, "prices.csv")
    message = str(caught.value)
    assert len(message) < 300
    assert "5,000,001 characters" in message


def test_a_job_id_given_twice_is_refused_naming_both_lines() -> None:
    text = "job_id,arrival_s,service_sec,gpu_count\na,0,3600,8\nb,10,3600,8\na,20,60,1\n"
    with pytest.raises(InputError, match=r"jobs\.csv:4: job_id: job id .a. appears again \(first on line 2"):
        parse_helios_csv(text, "jobs.csv")


def test_cpu_only_jobs_are_counted_on_the_trace_not_dropped_silently() -> None:
    text = "job_id,submit,duration,gpus\n1,0,10,0\n2,5,30,8\n3,6,30,0\n"
    trace = parse_job_csv(text, "mixed.csv")
    assert len(trace.frame) == 1
    assert trace.cpu_only_jobs_left_out == 2
    assert summarize_jobs(trace)["cpu_only_jobs_left_out"] == 2
