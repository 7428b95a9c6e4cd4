"""System-load feeds (a replayed file; gridstatus fed recorded tables), their placement on the
controller's grid, and the policies' 4CP watch running live on them.

gridstatus itself needs ercot.com (unreachable here), so its adapter is given a ``fetch`` that
serves the same load in gridstatus' table layout; the parsing, the settled-interval rule and the
day cache under test are the adapter's own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from live_testing import MINIMAL_CONFIG, ManualClock, build_rig

from wattswitch.control.config import parse_control_toml
from wattswitch.control.system_load import (
    GridstatusSystemLoadFeed,
    ReplaySystemLoadFeed,
    load_on_grid,
)
from wattswitch.control.wiring import history_origin, system_load_feed
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.equipment import LoadPoint, SystemLoadFeed
from wattswitch.model.timeseries import TimeSeries

T0 = datetime(2023, 8, 1, 5, tzinfo=UTC)  # midnight Central (CDT)
HOUR = timedelta(hours=1)
LOADS = [61_000.0, 59_500.0, 58_200.0, 57_900.0, 58_800.0, 61_300.0]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "prices"


def _hourly(values: list[float], start: datetime = T0) -> TimeSeries:
    index = pd.date_range(start, periods=len(values), freq="1h", tz="UTC", name="interval_start_utc")
    return TimeSeries(pd.DataFrame({"ERCOT_TOTAL": values}, index=index), 3600, "mw", "suite load")


def _gridstatus_table(starts: pd.DatetimeIndex, values: list[float], step: pd.Timedelta) -> pd.DataFrame:
    local = starts.tz_convert("US/Central")
    table = pd.DataFrame(
        {"Time": local, "Interval Start": local, "Interval End": local + step, "Load": values}
    )
    return table.sample(frac=1.0, random_state=5).reset_index(drop=True)  # any row order


class SystemLoadFeedSuite:
    """What every SystemLoadFeed does."""

    @pytest.fixture
    def feed(self) -> SystemLoadFeed:
        raise NotImplementedError

    def test_an_hour_is_known_only_once_it_has_ended(self, feed: SystemLoadFeed) -> None:
        assert feed.history(T0, T0 + HOUR - timedelta(seconds=1)) == []
        points = feed.history(T0, T0 + 2 * HOUR + timedelta(minutes=59))
        assert [p.load_mw for p in points] == LOADS[:2]
        assert [p.interval_start_utc for p in points] == [T0, T0 + HOUR]
        assert all(p.interval_end_utc - p.interval_start_utc == HOUR for p in points)

    def test_history_starts_where_asked_in_time_order(self, feed: SystemLoadFeed) -> None:
        points = feed.history(T0 + 2 * HOUR, T0 + 10 * HOUR)
        assert [p.load_mw for p in points] == LOADS[2:]
        starts = [p.interval_start_utc for p in points]
        assert starts == sorted(starts)

    def test_it_has_a_name_for_alerts(self, feed: SystemLoadFeed) -> None:
        assert feed.name


class TestReplayFeed(SystemLoadFeedSuite):
    @pytest.fixture
    def feed(self) -> SystemLoadFeed:
        return ReplaySystemLoadFeed(_hourly(LOADS))


class TestGridstatusFeed(SystemLoadFeedSuite):
    @pytest.fixture
    def feed(self) -> SystemLoadFeed:
        starts = pd.date_range(T0, periods=len(LOADS), freq="1h", tz="UTC")
        table = _gridstatus_table(starts, LOADS, pd.Timedelta(hours=1))
        return GridstatusSystemLoadFeed(lambda _day: table)


def test_the_replay_feed_reads_an_eia_load_file_and_names_a_missing_column() -> None:
    feed = ReplaySystemLoadFeed.from_file(FIXTURES / "eia_ercot_load_2020_names.csv")
    first = datetime(2020, 1, 1, 6, tzinfo=UTC)
    points = feed.history(first, first + 2 * HOUR)
    assert [p.interval_start_utc for p in points] == [first, first + HOUR]
    assert points[0].load_mw == pytest.approx(36824.115099)
    with pytest.raises(InputError, match=r"no column 'ERCOT'.*ERCOT_TOTAL"):
        ReplaySystemLoadFeed.from_file(FIXTURES / "eia_ercot_load_2020_names.csv", "ERCOT")


def test_gridstatus_serves_five_minute_values_today_and_fetches_past_days_once() -> None:
    now = datetime(2023, 8, 10, 21, 7, tzinfo=UTC)  # 16:07 Central
    fetched: list[date] = []

    def fetch(day: date) -> pd.DataFrame:
        fetched.append(day)
        start = pd.Timestamp(day, tz="US/Central").tz_convert("UTC")
        if day == now.date():
            starts = pd.date_range(start, now, freq="5min", inclusive="left")
            values = [70_000.0 + k for k in range(len(starts))]
            return _gridstatus_table(starts, values, pd.Timedelta(minutes=5))
        starts = pd.date_range(start, periods=24, freq="1h")
        return _gridstatus_table(starts, [65_000.0] * 24, pd.Timedelta(hours=1))

    feed = GridstatusSystemLoadFeed(fetch, days_back=3)
    points = feed.history(datetime(2023, 7, 1, tzinfo=UTC), now)
    assert sorted(set(fetched)) == [date(2023, 8, d) for d in range(7, 11)]  # 3 days back + today
    last = points[-1]
    assert last.interval_end_utc <= now  # 16:05–16:10 is still running
    assert last.interval_start_utc == datetime(2023, 8, 10, 21, 0, tzinfo=UTC)
    fetched.clear()
    feed.history(datetime(2023, 7, 1, tzinfo=UTC), now)
    assert fetched == [date(2023, 8, 9), date(2023, 8, 10)]  # days before yesterday came from the cache


def test_gridstatus_failures_and_bad_tables_are_feed_outages() -> None:
    now = T0 + 3 * HOUR

    def down(_day: date) -> pd.DataFrame:
        raise ConnectionError("ercot.com unreachable")

    with pytest.raises(EquipmentError, match=r"fetching 2023-0[78]-.. failed: ercot.com unreachable"):
        GridstatusSystemLoadFeed(down).history(T0, now)
    wrong = pd.DataFrame({"Time": [T0], "Demand": [1.0]})
    with pytest.raises(EquipmentError, match=r"lacks columns \['Interval Start', 'Interval End', 'Load'\]"):
        GridstatusSystemLoadFeed(lambda _day: wrong).history(T0, now)


def test_load_on_grid_averages_finer_points_and_spreads_coarser_ones() -> None:
    origin = T0
    hourly = [LoadPoint(T0, T0 + HOUR, 60_000.0)]
    five = timedelta(minutes=5)
    fine = [LoadPoint(T0 + HOUR + k * five, T0 + HOUR + (k + 1) * five, 70_000.0 + 300 * k) for k in range(4)]
    duplicate = fine[:1]  # a second fetch of the same interval changes nothing
    grid = load_on_grid([*hourly, *fine, *duplicate], origin, 900, 8)
    np.testing.assert_allclose(grid[:4], 60_000.0)  # one hourly value on each quarter hour
    assert grid[4] == pytest.approx(70_300.0)  # 01:00–01:15: the mean of three 5-min values
    assert np.isnan(grid[5])  # 01:15–01:30 covered by one 5-min value only: not known yet
    assert np.isnan(grid[6:]).all()
    assert load_on_grid([], origin, 900, 3).tolist() == pytest.approx([np.nan] * 3, nan_ok=True)


# --- live: the policy's 4CP watch on a load feed ------------------------------------------------

AUGUST = datetime(2025, 8, 1, 5, tzinfo=UTC)  # local midnight, 1 August 2025 (CDT)
AT_16 = datetime(2025, 8, 20, 21, 0, 1, tzinfo=UTC)  # 16:00 Central on 20 August, a 4CP month


def _august_load(today_15h_mw: float) -> ReplaySystemLoadFeed:
    """Hourly ERCOT-like load from 1 August; the month's high so far is 10 August 16:00 (75 GW)."""
    hours = int((AT_16 - AUGUST) / HOUR) + 24
    values = np.full(hours, 60_000.0)
    values[9 * 24 + 16] = 75_000.0  # 10 August, 16:00–17:00 local
    values[19 * 24 + 15] = today_15h_mw  # 20 August, 15:00–16:00 local (ended at 16:00)
    return ReplaySystemLoadFeed(_hourly(values.tolist(), AUGUST))



@pytest.mark.parametrize("policy", ["threshold", "mpc"])
def test_a_live_policy_curtails_when_the_load_feed_reaches_the_months_high_at_16(
    tmp_path: Path, policy: str
) -> None:
    async def go() -> None:
        for folder, today_mw, expected in (("peak", 74_800.0, 0), ("calm", 66_000.0, 20)):
            (tmp_path / folder).mkdir()
            rig = await build_rig(
                tmp_path / folder, clock=ManualClock(AT_16), policy=policy, system_load=_august_load(today_mw)
            )
            live = rig.controller.live
            assert live.origin_utc <= AUGUST  # the month's high so far is in the history
            report = await rig.controller.step()
            assert rig.mining() == expected, folder
            assert report.safe_modes == ()
            rig.wired.close()

    asyncio.run(go())


def test_the_live_observation_knows_the_load_of_ended_hours_only(tmp_path: Path) -> None:
    async def go() -> None:
        clock = ManualClock(AT_16 + timedelta(minutes=20))
        rig = await build_rig(tmp_path, clock=clock, system_load=_august_load(74_800.0))
        live = rig.controller.live
        reading = await live.read(rig.clock.now())
        at = datetime(2025, 8, 20, 21, 20, tzinfo=UTC)
        observation = live.observation(at, reading, [])
        load = observation.system_load_mw
        assert live.origin_utc + len(load) * live.step == datetime(2025, 8, 20, 21, 0, tzinfo=UTC)
        assert load.last() == 74_800.0  # 15:00–16:00; 16:00–17:00 is still running at 16:20
        assert np.nanmax(load.values) == 75_000.0
        rig.wired.close()

    asyncio.run(go())


def test_a_failing_load_feed_raises_an_alert_and_keeps_control_running(tmp_path: Path) -> None:
    class Down:
        name = "test load feed"

        def history(self, since_utc: datetime, now_utc: datetime) -> list[LoadPoint]:
            raise EquipmentError(f"test load feed: unreachable since {since_utc} at {now_utc}")

    async def go() -> None:
        rig = await build_rig(tmp_path, system_load=Down())
        report = await rig.controller.step()
        assert report.safe_modes == ("load-feed",)
        assert rig.mining() == 20  # cheap prices: mining goes on
        [(kind, message)] = rig.open_alerts()
        assert kind == "load-feed"
        assert "unreachable" in message
        rig.wired.close()

    asyncio.run(go())


def test_a_missing_gridstatus_is_said_clearly() -> None:
    try:
        import gridstatus  # noqa: F401
    except ImportError:
        with pytest.raises(EquipmentError, match=r"gridstatus is not installed.*control\.system_load"):
            GridstatusSystemLoadFeed().history(T0, T0 + HOUR)
    else:  # pragma: no cover - only where gridstatus is installed
        pytest.skip("gridstatus is installed here; the live fetch needs ercot.com")


def test_the_configured_feed_is_built_and_history_starts_at_the_local_month(tmp_path: Path) -> None:
    text = MINIMAL_CONFIG + f'[control.system_load]\nfile = "{FIXTURES / "eia_ercot_load_2020_names.csv"}"\n'
    feed = system_load_feed(parse_control_toml(text, "site.toml", tmp_path))
    assert isinstance(feed, ReplaySystemLoadFeed)
    without = text.split("[control.system_load]", maxsplit=1)[0]
    assert system_load_feed(parse_control_toml(without, "site.toml", tmp_path)) is None
    scenario = default_scenario()
    now = datetime(2025, 8, 20, 21, 7, tzinfo=UTC)
    assert history_origin(now, scenario, whole_month=False) == datetime(2025, 8, 18, 21, 0, tzinfo=UTC)
    assert history_origin(now, scenario, whole_month=True) == AUGUST  # local midnight, 1 August
    early = datetime(2025, 8, 1, 7, tzinfo=UTC)  # 02:00 on the 1st: two days back reaches July
    assert history_origin(early, scenario, whole_month=True) == datetime(2025, 7, 30, 7, 0, tzinfo=UTC)
