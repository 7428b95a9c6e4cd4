"""Price and grid-load loaders: tidy, raw EIA and ERCOT report formats, errors, real data."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wattswitch.data.io import data_root
from wattswitch.data.prices import (
    load_grid_load,
    load_prices,
    parse_eia_csv,
    parse_ercot_spp_report,
    parse_tidy_csv,
)
from wattswitch.errors import InputError
from wattswitch.model.timeseries import TimeSeries

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prices"
DATA = data_root()
needs_data = pytest.mark.skipif(DATA is None, reason="WATTSWITCH_DATA is not set")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def fixture(name: str) -> Path:
    return FIXTURES / name


def data_file(folder: str, name: str | None = None) -> Path:
    assert DATA is not None
    return DATA / folder / (name or f"{folder}_2020_2023.csv.gz")


# --- tidy ----------------------------------------------------------------------------------------
def test_tidy_keeps_gaps_negatives_and_prices_above_cap() -> None:
    series = load_prices(fixture("tidy_ercot_rt_sample.csv"))
    assert series.columns == ["HB_NORTH", "HB_WEST"]
    assert (series.step_s, series.unit) == (900, "usd_per_mwh")
    assert series.start_utc == utc("2021-02-15T05:00Z")
    assert series.end_utc == utc("2021-02-15T06:30Z")
    north = series.frame["HB_NORTH"].to_numpy()
    np.testing.assert_array_equal(north, [1200.5, 9000.0, np.nan, np.nan, -251.0, 15.1])
    assert series.frame["HB_WEST"].max() == 9315.0
    [gap] = series.gaps()  # HB_WEST alone missing at 06:15 is not a gap
    assert (gap.first_missing_utc, gap.intervals) == (utc("2021-02-15T05:30Z"), 2)


def test_tidy_parser_is_pure_and_keeps_component_columns() -> None:
    text = (
        "interval_start_utc,NP15,NP15_congestion\n"
        "2021-01-01T08:00:00+00:00,33.2,0.5\n"
        "2021-01-01T08:15:00+00:00,31.3,-0.25\n"
    )
    series = parse_tidy_csv(text, "inline.csv", unit="usd_per_mwh")
    assert series.columns == ["NP15", "NP15_congestion"]
    assert series.frame["NP15_congestion"].tolist() == [0.5, -0.25]


def test_tidy_mixed_naive_row_is_named() -> None:
    text = (
        "interval_start_utc,HB_NORTH\n"
        "2023-06-01T05:00:00Z,1\n"
        "2023-06-01T05:15:00Z,2\n"
        "2023-06-01 05:30:00,3\n"
    )
    with pytest.raises(InputError, match=r"^inline\.csv:4: interval_start_utc: .*no time zone"):
        parse_tidy_csv(text, "inline.csv")


def test_tidy_without_value_columns() -> None:
    with pytest.raises(InputError, match=r"^x\.csv:1: no value columns"):
        parse_tidy_csv("interval_start_utc\n2023-06-01T05:00:00Z\n", "x.csv")


def test_tidy_repeated_column_name() -> None:
    text = "interval_start_utc,HB_NORTH,HB_NORTH\n2023-06-01T05:00:00Z,1,2\n"
    with pytest.raises(InputError, match=r"^x\.csv:1: column 'HB_NORTH' appears twice"):
        parse_tidy_csv(text, "x.csv")


# --- raw EIA -------------------------------------------------------------------------------------
def test_eia_interval_start_is_end_minus_step_and_names_match_tidy() -> None:
    series = load_prices(fixture("eia_ercot_rt_sample.csv"))
    assert series.columns == [
        "HB_BUSAVG", "HB_HOUSTON", "HB_HUBAVG", "HB_NORTH", "HB_PAN", "HB_SOUTH", "HB_WEST",
    ]
    assert (series.step_s, series.unit) == (900, "usd_per_mwh")
    assert series.start_utc == utc("2021-02-15T05:00Z")
    assert len(series.frame) == 5  # 05:00, 05:15, two missing, 06:00
    tidy = load_prices(fixture("tidy_ercot_rt_sample.csv")).frame.iloc[:5]
    pd.testing.assert_frame_equal(series.frame[["HB_NORTH", "HB_WEST"]], tidy)


def test_eia_caiso_components_renamed() -> None:
    series = load_prices(fixture("eia_caiso_sample.csv"), hub="NP15_congestion")
    assert series.columns == ["NP15_congestion"]
    full = load_prices(fixture("eia_caiso_sample.csv"))
    assert full.columns[:4] == ["NP15", "SP15", "ZP26", "NP15_congestion"]
    assert full.columns[-1] == "ZP26_loss"
    assert full.start_utc == utc("2021-01-01T08:00Z")


def test_eia_load_2020_short_names_and_unit() -> None:
    series = load_grid_load(fixture("eia_ercot_load_2020_names.csv"))
    assert series.unit == "mw"
    assert series.step_s == 3600
    assert series.columns == [
        "ERCOT_TOTAL", "COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTHERN",
        "SOUTH_CENTRAL", "WEST",
    ]
    assert series.start_utc == utc("2020-01-01T06:00Z")
    assert series.frame["ERCOT_TOTAL"].iloc[0] == pytest.approx(36824.115099)


def test_eia_bad_timestamp_names_the_data_line() -> None:
    text = fixture("eia_ercot_rt_sample.csv").read_text().replace("2021-02-15 05:30:00,", "soon,")
    with pytest.raises(InputError, match=r"^eia\.csv:6: UTC Timestamp \(Interval Ending\): 'soon'"):
        parse_eia_csv(text, "eia.csv")


def test_price_and_load_loaders_refuse_each_others_files() -> None:
    with pytest.raises(InputError, match="holds system load"):
        load_prices(fixture("eia_ercot_load_2020_names.csv"))
    with pytest.raises(InputError, match="holds hub prices"):
        load_grid_load(fixture("eia_ercot_rt_sample.csv"))
    with pytest.raises(InputError, match="holds hub prices"):
        load_grid_load(fixture("ercot_rt_spp_normal_day.csv"))


# --- ERCOT settlement point price reports --------------------------------------------------------
def test_report_normal_day() -> None:
    series = load_prices(fixture("ercot_rt_spp_normal_day.csv"))  # quoted, like ERCOT's MIS
    assert series.columns == ["HB_NORTH", "HB_WEST"]
    assert (series.step_s, len(series.frame)) == (900, 96)
    assert series.start_utc == utc("2023-06-01T05:00Z")  # 00:00 CDT
    assert series.frame.index[-1] == utc("2023-06-02T04:45Z")
    assert not series.frame.isna().any().any()
    assert series.frame["HB_WEST"].min() == -250.0  # -251 + interval: floor kept
    assert series.frame["HB_NORTH"].max() == 9315.0
    assert series.frame.loc[utc("2023-06-01T23:15Z"), "HB_NORTH"] == 9315.0  # HE19 interval 2


def test_report_spring_forward_day_has_92_intervals() -> None:
    series = parse_ercot_spp_report(fixture("ercot_rt_spp_spring_forward.csv").read_text(), "sf")
    index = series.frame.index
    assert len(index) == 92
    assert index[0] == utc("2023-03-12T06:00Z")  # 00:00 CST
    assert index[7] == utc("2023-03-12T07:45Z")  # HE2 interval 4: 01:45 CST
    assert index[8] == utc("2023-03-12T08:00Z")  # HE4 interval 1: 03:00 CDT
    assert index[-1] == utc("2023-03-13T04:45Z")  # 23:45 CDT
    assert series.frame.loc[utc("2023-03-12T08:00Z"), "HB_NORTH"] == 34.25
    assert not series.frame.isna().any().any()


def test_report_fall_back_day_has_100_intervals_and_flag_picks_cst() -> None:
    series = load_prices(fixture("ercot_rt_spp_fall_back.csv"), hub="HB_NORTH")
    north = series.frame["HB_NORTH"]
    assert len(north) == 100
    assert north.index[0] == utc("2023-11-05T05:00Z")  # 00:00 CDT
    assert north[utc("2023-11-05T06:00Z")] == 42.25  # HE2 N: 01:00 CDT
    assert north[utc("2023-11-05T07:00Z")] == 42.35  # HE2 Y: 01:00 CST
    assert north[utc("2023-11-05T08:00Z")] == 43.25  # HE3: 02:00 CST
    assert north.index[-1] == utc("2023-11-06T05:45Z")  # 23:45 CST
    assert not north.isna().any()


def test_day_ahead_report_fall_back_day_is_hourly_with_25_hours() -> None:
    series = load_prices(fixture("ercot_dam_spp_fall_back.csv"))
    assert series.columns == ["HB_NORTH", "HB_WEST"]
    assert (series.step_s, len(series.frame)) == (3600, 25)
    frame = series.frame
    assert frame.index[0] == utc("2023-11-05T05:00Z")
    assert frame.loc[utc("2023-11-05T06:00Z"), "HB_NORTH"] == 52.0  # HE02 CDT
    assert frame.loc[utc("2023-11-05T07:00Z"), "HB_NORTH"] == 52.5  # HE02 CST (DSTFlag=Y)
    assert frame.index[-1] == utc("2023-11-06T05:00Z")


REPORT_HEAD = "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType," \
    "SettlementPointPrice,DSTFlag\n"


@pytest.mark.parametrize(
    ("rows", "line", "words"),
    [
        pytest.param("11/05/2023,2,1,HB_NORTH,HU,1,N\n11/05/2023,2,1,HB_NORTH,HU,2,N\n", 3,
                     "second price for HB_NORTH at 2023-11-05T06:00Z", id="fall-back-without-flag"),
        pytest.param("06/01/2023,2,1,HB_NORTH,HU,1,Y\n", 2, "DSTFlag", id="flag-on-normal-hour"),
        pytest.param("03/12/2023,2,4,HB_NORTH,HU,1,N\n03/12/2023,3,1,HB_NORTH,HU,1,N\n", 3,
                     "'2023-03-12 02:00' is not valid", id="skipped-spring-hour"),
        pytest.param("06/01/2023,1,5,HB_NORTH,HU,1,N\n", 2, "DeliveryInterval", id="interval-5"),
        pytest.param("06/01/2023,25,1,HB_NORTH,HU,1,N\n", 2, "DeliveryHour", id="hour-25"),
        pytest.param("2023-06-01,1,1,HB_NORTH,HU,1,N\n", 2, "DeliveryDate", id="iso-date"),
        pytest.param("06/01/2023,1,1,HB_NORTH,HU,1,X\n", 2, "DSTFlag: 'X'", id="bad-flag"),
    ],
)
def test_report_errors_name_the_line(rows: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_ercot_spp_report(REPORT_HEAD + rows, "rep.csv")
    assert str(caught.value).startswith(f"rep.csv:{line}: ")
    assert words in str(caught.value)


def test_day_ahead_bad_hour_ending() -> None:
    text = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n" \
        "11/05/2023,25:00,HB_NORTH,1,N\n"
    with pytest.raises(InputError, match=r"^dam\.csv:2: HourEnding: '25:00'"):
        parse_ercot_spp_report(text, "dam.csv")


# --- hub selection -------------------------------------------------------------------------------
def test_hub_selection_and_unknown_hub_lists_available() -> None:
    west = load_prices(fixture("tidy_ercot_rt_sample.csv"), hub="HB_WEST")
    assert isinstance(west, TimeSeries)
    assert west.columns == ["HB_WEST"]
    assert len(west.frame) == 6
    with pytest.raises(InputError, match=r"no hub/zone column 'HB_EAST'.*HB_NORTH, HB_WEST"):
        load_prices(fixture("tidy_ercot_rt_sample.csv"), hub="HB_EAST")


# --- bad input: one committed fixture per case ---------------------------------------------------
@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("malformed_row.csv", 4, "5 fields; expected 4 fields"),
        ("non_numeric_price.csv", 5, "HB_WEST: 'n/a' is not a number"),
        ("missing_column.csv", 1, "missing column(s) 'SettlementPointPrice'"),
        ("non_monotonic.csv", 5, "time is not increasing (goes back)"),
        ("duplicate_timestamp.csv", 4, "time is not increasing (repeats the previous row's time)"),
        ("mixed_steps.csv", 5, "mixed steps: 300 s before this row, 900 s"),
        ("empty.csv", 1, "the file is empty"),
        ("header_only.csv", 2, "no data rows"),
        ("naive_timestamps.csv", 2, "carry no time zone"),
        ("unknown_format.csv", 1, "unrecognised format"),
    ],
)
def test_bad_input_names_file_and_line(name: str, line: int, words: str) -> None:
    path = fixture(name)
    with pytest.raises(InputError) as caught:
        load_prices(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message
    assert "expected" in message


def test_pure_parser_on_empty_text_names_line_one() -> None:
    with pytest.raises(InputError, match=r"^x\.csv:1: "):
        parse_tidy_csv("", "x.csv")


# --- real data (WATTSWITCH_DATA) -----------------------------------------------------------------
@pytest.mark.realdata
@needs_data
def test_real_ercot_rt_tidy_gaps_match_readme() -> None:
    started = time.perf_counter()
    series = load_prices(data_file("ercot_rt_hub_spp_15min"))
    elapsed_s = time.perf_counter() - started
    assert elapsed_s < 2.0, f"loading took {elapsed_s:.2f} s"
    assert len(series.frame) == 140256
    assert series.start_utc == utc("2020-01-01T06:00Z")
    assert series.end_utc == utc("2024-01-01T06:00Z")
    gaps = series.gaps()
    assert len(gaps) == 44
    assert sum(g.intervals for g in gaps) == 1875
    largest = max(gaps, key=lambda g: g.intervals)
    assert largest.first_missing_utc == utc("2022-10-10T18:00Z")
    assert largest.last_missing_utc == utc("2022-10-27T04:30Z")
    assert largest.intervals == 1579
    assert series.frame.min().min() < -250  # floor -250 (observed -251): not clipped
    assert series.frame.max().max() > 9300  # ORDC adders above the 9,000 cap: not clipped


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize(
    ("folder", "rows", "step_s", "n_gaps", "missing"),
    [
        ("ercot_da_hub_spp_hourly", 35064, 3600, 9, 1344),
        ("caiso_rt_zone_lmp_15min", 119524, 900, 229, 6502),
        ("spp_rt_hub_lmp_5min", 337416, 300, 1152, 17648),
    ],
)
def test_real_price_tidy_files_match_readmes(
    folder: str, rows: int, step_s: int, n_gaps: int, missing: int
) -> None:
    series = load_prices(data_file(folder))
    assert (len(series.frame), series.step_s) == (rows, step_s)
    gaps = series.gaps()
    assert (len(gaps), sum(g.intervals for g in gaps)) == (n_gaps, missing)


@pytest.mark.realdata
@needs_data
def test_real_load_tidy_matches_readme() -> None:
    series = load_grid_load(data_file("ercot_load_hourly_by_weather_zone"))
    assert series.unit == "mw"
    assert (len(series.frame), series.step_s) == (35064, 3600)
    gaps = series.gaps()
    assert (len(gaps), sum(g.intervals for g in gaps)) == (18, 2280)


def concat_raw(folder: str) -> pd.DataFrame:
    """All raw EIA files of ``folder`` on one complete grid (what the tidy file was built from)."""
    assert DATA is not None
    parts = [load_prices(p) for p in sorted((DATA / folder / "raw_eia").glob("*.gz"))]
    frame = pd.concat([p.frame for p in parts]).sort_index()
    assert not frame.index.duplicated().any()
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=f"{parts[0].step_s}s",
                         name=frame.index.name)
    return frame.reindex(grid)


@pytest.mark.realdata
@needs_data
def test_real_ercot_rt_one_raw_quarter_equals_tidy() -> None:
    quarter = "raw_eia/ercot_lmp_rt_15min_hubs_2021Q1.csv.gz"  # includes Winter Storm Uri
    raw = load_prices(data_file("ercot_rt_hub_spp_15min", quarter))
    tidy = load_prices(data_file("ercot_rt_hub_spp_15min")).frame
    assert raw.start_utc == utc("2021-01-01T06:00Z")
    pd.testing.assert_frame_equal(raw.frame, tidy.loc[raw.frame.index], check_freq=False)


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize("folder", ["ercot_rt_hub_spp_15min", "ercot_da_hub_spp_hourly"])
def test_real_ercot_raw_concatenation_equals_tidy_exactly(folder: str) -> None:
    tidy = load_prices(data_file(folder)).frame
    raw = concat_raw(folder)
    pd.testing.assert_frame_equal(raw[tidy.columns], tidy, check_freq=False)


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize(
    ("folder", "raw_name", "atol"),
    [
        ("caiso_rt_zone_lmp_15min", "caiso_lmp_rt_15min_zones_2022Q3.csv.gz", 6e-5),  # tidy: 4 dp
        ("spp_rt_hub_lmp_5min", "spp_lmp_rt_5min_hubs_2021Q1.csv.gz", 0.0),
    ],
)
def test_real_other_raw_quarter_matches_tidy(folder: str, raw_name: str, atol: float) -> None:
    raw = load_prices(data_file(folder, f"raw_eia/{raw_name}")).frame
    tidy = load_prices(data_file(folder)).frame
    assert list(raw.columns) == list(tidy.columns)
    pd.testing.assert_frame_equal(raw, tidy.loc[raw.index], check_exact=atol == 0.0, atol=atol,
                                  rtol=0.0, check_freq=False)


@pytest.mark.realdata
@needs_data
def test_real_load_raw_matches_tidy_and_2020_short_names_add_up() -> None:
    folder = "ercot_load_hourly_by_weather_zone"
    tidy = load_grid_load(data_file(folder)).frame
    raw_2022 = load_grid_load(data_file(folder, "raw_eia/ercot_load_act_hr_2022.csv.gz")).frame
    assert list(raw_2022.columns) == list(tidy.columns)
    pd.testing.assert_frame_equal(raw_2022, tidy.loc[raw_2022.index], check_exact=False,
                                  atol=6e-5, rtol=0.0, check_freq=False)
    raw_2020 = load_grid_load(data_file(folder, "raw_eia/ercot_load_act_hr_2020.csv.gz")).frame
    assert list(raw_2020.columns) == list(tidy.columns)
    zones = raw_2020.drop(columns="ERCOT_TOTAL").sum(axis=1)
    np.testing.assert_allclose(zones, raw_2020["ERCOT_TOTAL"], atol=0.01)
