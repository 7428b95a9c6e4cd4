"""One shared suite for price feeds: the replay of a file, and gridstatus fed recorded tables.

gridstatus itself needs ercot.com (unreachable here), so its adapter is given a ``fetch`` that
serves the same prices in gridstatus' SPP table layout; the parsing and the settled-interval
logic under test are the adapter's own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from wattswitch.control.prices import GridstatusPriceFeed, ReplayPriceFeed
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import PriceFeed
from wattswitch.model.timeseries import TimeSeries

T0 = datetime(2023, 8, 1, 5, tzinfo=UTC)  # midnight Central (CDT)
PRICES = [25.0, 31.5, -4.0, 812.0, 40.0, 22.0, 19.5, 60.0]
STEP = timedelta(minutes=15)


def _series() -> TimeSeries:
    index = pd.date_range(T0, periods=len(PRICES), freq="15min", tz="UTC", name="interval_start_utc")
    return TimeSeries(pd.DataFrame({"HB_WEST": PRICES}, index=index), 900, "usd_per_mwh", "suite")


def _spp_table() -> pd.DataFrame:
    starts = pd.date_range(T0, periods=len(PRICES), freq="15min", tz="UTC").tz_convert("US/Central")
    other = pd.DataFrame({"Interval Start": starts, "Location": "HB_NORTH", "SPP": 999.0})
    mine = pd.DataFrame({"Interval Start": starts, "Location": "HB_WEST", "SPP": PRICES})
    table = pd.concat([other, mine]).sample(frac=1.0, random_state=3)  # any row order
    table["Interval End"] = table["Interval Start"] + pd.Timedelta(minutes=15)
    table["Time"] = table["Interval Start"]
    table["Market"] = "REAL_TIME_15_MIN"
    return table.reset_index(drop=True)


class PriceFeedSuite:
    """What every PriceFeed does."""

    @pytest.fixture
    def feed(self) -> PriceFeed:
        raise NotImplementedError

    def test_nothing_is_known_before_the_first_interval_ends(self, feed: PriceFeed) -> None:
        assert feed.latest(T0 + STEP - timedelta(seconds=1)) is None

    def test_latest_is_the_last_settled_interval(self, feed: PriceFeed) -> None:
        for k in range(1, len(PRICES) + 1):
            point = feed.latest(T0 + k * STEP + timedelta(seconds=30))
            assert point is not None
            assert point.interval_start_utc == T0 + (k - 1) * STEP
            assert point.price_usd_per_mwh == PRICES[k - 1]
            assert point.location == "HB_WEST"

    def test_history_holds_every_settled_interval_in_order(self, feed: PriceFeed) -> None:
        points = feed.history(T0 + STEP, T0 + 4 * STEP)
        assert [p.price_usd_per_mwh for p in points] == PRICES[1:4]
        starts = [p.interval_start_utc for p in points]
        assert starts == sorted(starts)

    def test_the_name_says_what_is_read(self, feed: PriceFeed) -> None:
        assert "HB_WEST" in feed.name


class TestReplayFeed(PriceFeedSuite):
    @pytest.fixture
    def feed(self) -> PriceFeed:
        return ReplayPriceFeed(_series(), "HB_WEST")


class TestGridstatusFeed(PriceFeedSuite):
    @pytest.fixture
    def feed(self) -> PriceFeed:
        table = _spp_table()
        return GridstatusPriceFeed("HB_WEST", fetch=lambda _now: table)

    def test_a_non_numeric_price_is_a_feed_error(self) -> None:
        table = _spp_table()
        table.loc[table["Location"] == "HB_WEST", "SPP"] = np.nan
        feed = GridstatusPriceFeed("HB_WEST", fetch=lambda _now: table)
        with pytest.raises(EquipmentError, match="not a number"):
            feed.latest(T0 + 2 * STEP)
