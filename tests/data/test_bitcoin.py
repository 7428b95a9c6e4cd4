"""Daily Bitcoin loaders: Coin Metrics, our simple formats, bitinfocharts; errors name file+line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wattswitch.data.bitcoin import (
    NETWORK_COLUMNS,
    load_bitcoin,
    parse_bitinfocharts_csv,
    parse_coinmetrics_csv,
)
from wattswitch.data.io import data_root, read_text
from wattswitch.errors import InputError
from wattswitch.model.timeseries import find_gaps

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bitcoin"
COINMETRICS = "bitcoin_network_daily/bitcoin_network_daily_2009_2023.csv.gz"
BITINFOCHARTS = "bitcoin_bitinfocharts_daily_2010_2021/bitcoin_bitinfocharts_daily_2010_2021.csv.gz"


def real_file(relative: str) -> Path:
    root = data_root()
    if root is None:
        pytest.skip("WATTSWITCH_DATA is not set")
    return root / relative


def test_coinmetrics_fixture_matches_the_files_derived_hashprice() -> None:
    path = FIXTURES / "coinmetrics_small.csv"
    series = load_bitcoin(path)
    assert series.columns == list(NETWORK_COLUMNS)
    assert series.step_s == 86_400
    assert series.start_utc == pd.Timestamp("2022-12-30", tz="UTC")
    assert len(series.frame) == 7  # 2022-12-30 .. 2023-01-05 with 2023-01-03 missing
    raw = pd.read_csv(path).dropna(subset=["hashprice_usd_per_ph_day"])
    ours = series.frame["hashprice_usd_per_ph_day"]
    for day, expected in zip(raw["date"], raw["hashprice_usd_per_ph_day"], strict=True):
        assert ours[pd.Timestamp(day, tz="UTC")] == pytest.approx(expected, rel=1e-6)
    assert series.column("price_usd").iloc[2] == pytest.approx(16600.5)


def test_coinmetrics_days_without_price_stay_nan_and_missing_days_are_gaps() -> None:
    series = load_bitcoin(FIXTURES / "coinmetrics_small.csv")
    frame = series.frame
    assert frame["price_usd"].iloc[:2].isna().all()
    assert frame["hashprice_usd_per_ph_day"].iloc[:2].isna().all()
    assert frame["hashrate_th_s"].iloc[0] == pytest.approx(9.0e-7)  # kept, not dropped
    gaps = series.gaps()
    assert len(gaps) == 1
    assert gaps[0].first_missing_utc == pd.Timestamp("2023-01-03", tz="UTC")
    missing = frame["hashprice_usd_per_ph_day"].isna().to_numpy()
    no_hashprice = find_gaps(missing, pd.DatetimeIndex(frame.index))
    assert [g.intervals for g in no_hashprice] == [2, 1]


def test_simple_format_computes_hashprice() -> None:
    series = load_bitcoin(FIXTURES / "simple.csv")
    hashprice = series.column("hashprice_usd_per_ph_day")
    assert hashprice.iloc[0] == pytest.approx(1000 * 20e6 / 4e8)
    assert hashprice.iloc[1] == pytest.approx(1000 * 20e6 / 3.8e8)
    assert np.isnan(hashprice.iloc[2])  # no fees that day: unknown, not fees = 0


def test_hashprice_only_format_and_smoothing() -> None:
    path = FIXTURES / "hashprice_only.csv"
    series = load_bitcoin(path)
    assert series.columns == list(NETWORK_COLUMNS)
    assert series.frame["price_usd"].isna().all()
    assert series.column("hashprice_usd_per_ph_day").tolist()[:3] == [50.0, 60.0, 70.0]
    smoothed = parse_coinmetrics_csv(read_text(path), str(path), smoothing_days=2)
    values = smoothed.column("hashprice_usd_per_ph_day")
    assert values.iloc[1] == pytest.approx(55.0)
    assert values.iloc[2] == pytest.approx(65.0)
    assert np.isnan(values.iloc[3])  # 2023-06-04 is missing and stays missing
    assert values.iloc[4] == pytest.approx(80.0)


def test_bitinfocharts_hashrate_is_converted_from_h_s() -> None:
    path = FIXTURES / "bitinfocharts_small.csv"
    series = parse_bitinfocharts_csv(read_text(path), str(path))
    assert series.columns == ["price_usd", "hashrate_th_s", "hashprice_usd_per_ph_day"]
    assert series.column("hashrate_th_s").iloc[1] == pytest.approx(1.7271032783502e8)
    assert series.column("hashprice_usd_per_ph_day").iloc[1] == pytest.approx(250.0)
    assert np.isnan(series.column("hashrate_th_s").iloc[2])
    assert load_bitcoin(path).frame.equals(series.frame)  # sniffed


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("malformed_row.csv", 3, "4 fields"),
        ("missing_column.csv", 1, "unknown daily Bitcoin format"),
        ("nonmonotonic_dates.csv", 4, "not increasing"),
        ("duplicate_dates.csv", 4, "not increasing"),
        ("non_numeric.csv", 3, "HashRate: 'fast' is not a number"),
        ("not_day_start.csv", 3, "not a UTC day start"),
        ("negative_value.csv", 2, "fees_usd: negative value -5;"),
        ("bad_date.csv", 3, "'yesterday' is not a timestamp"),
        ("header_only.csv", 2, "no data rows"),
    ],
)
def test_malformed_files_name_file_and_line(name: str, line: int, fragment: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        load_bitcoin(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message
    assert caught.value.line == line


def test_empty_file_names_the_file() -> None:
    path = FIXTURES / "empty.csv"
    with pytest.raises(InputError, match="empty") as caught:
        load_bitcoin(path)
    assert str(caught.value).startswith(str(path))
    with pytest.raises(InputError) as parsed:
        parse_coinmetrics_csv("", "empty.csv")
    assert str(parsed.value).startswith("empty.csv:1: ")


def test_bitinfocharts_missing_column_names_it() -> None:
    text = "date,price_usd,hashrate_h_s\n2021-01-01,1,2\n"
    with pytest.raises(InputError, match="mining_profitability_usd_per_th_day") as caught:
        parse_bitinfocharts_csv(text, "bic.csv")
    assert str(caught.value).startswith("bic.csv:1: ")


@pytest.mark.realdata
def test_real_coinmetrics_hashprice_equals_the_files_derived_column() -> None:
    path = real_file(COINMETRICS)
    series = load_bitcoin(path)
    raw = pd.read_csv(path)
    assert len(series.frame) == len(raw) == 5476
    ours = series.frame["hashprice_usd_per_ph_day"].to_numpy()
    theirs = raw["hashprice_usd_per_ph_day"].to_numpy(dtype=float)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    known = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[known], theirs[known], rtol=1e-6)
    # before 2010-07-18 there is no market price: no hashprice, kept as NaN rows
    hashprice = series.frame["hashprice_usd_per_ph_day"]
    assert hashprice.first_valid_index() == pd.Timestamp("2010-07-18", tz="UTC")


@pytest.mark.realdata
def test_real_2023_mean_hashprice_matches_readme() -> None:
    series = load_bitcoin(real_file(COINMETRICS))
    year_2023 = series.column("hashprice_usd_per_ph_day").loc["2023"]
    assert len(year_2023) == 365
    assert year_2023.mean() == pytest.approx(75.0, abs=0.05)
    assert year_2023.min() == pytest.approx(59.5, abs=0.05)
    assert year_2023.max() == pytest.approx(126.1, abs=0.05)


@pytest.mark.realdata
def test_real_bitinfocharts_cross_check() -> None:
    ours = load_bitcoin(real_file(COINMETRICS)).column("hashprice_usd_per_ph_day")
    theirs = load_bitcoin(real_file(BITINFOCHARTS)).column("hashprice_usd_per_ph_day")
    ratio = (theirs / ours).loc["2016-01-01":"2021-12-13"].dropna()
    assert len(ratio) == 2174
    assert ratio.median() == pytest.approx(1.0, abs=0.02)
    assert ratio.median() == pytest.approx(0.996, abs=0.001)


@pytest.mark.realdata
def test_real_smoothing_keeps_length_and_damps_noise() -> None:
    path = real_file(COINMETRICS)
    raw = load_bitcoin(path).column("hashprice_usd_per_ph_day").loc["2023"]
    smooth = load_bitcoin(path, smoothing_days=7).column("hashprice_usd_per_ph_day").loc["2023"]
    assert len(smooth) == len(raw)
    assert smooth.diff().std() < raw.diff().std()
