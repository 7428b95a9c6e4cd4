"""Hashprice feeds (a replayed network file; mempool.space fed recorded JSON) and live control
following them.

mempool.space is unreachable here, so its adapter is given a ``fetch_json`` that serves
responses in the API's layout; the arithmetic, the refresh and the error handling under test are
the adapter's own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from live_testing import MINIMAL_CONFIG, build_rig

from wattswitch.control.config import parse_control_toml
from wattswitch.control.hashprice import MempoolHashpriceFeed, ReplayHashpriceFeed
from wattswitch.control.wiring import hashprice_feed
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import HashpricePoint
from wattswitch.store import live as journal

BITCOIN = Path(__file__).parents[1] / "fixtures" / "bitcoin"
NOW = datetime(2025, 8, 20, 18, tzinfo=UTC)
# a week of blocks at 3.2 BTC each (subsidy and fees), BTC at $60,000, 600 EH/s:
# 3.2 BTC × 144 blocks × $60,000 = $27.648M a day over 6e8 TH/s → $46.08 per PH/s per day
RESPONSES: dict[str, Any] = {
    "/v1/mining/reward-stats/1008": {
        "startBlock": 800000,
        "endBlock": 801007,
        "totalReward": "322560000000",
        "totalFee": "9000000000",
        "totalTx": "3000000",
    },
    "/v1/mining/hashrate/1w": {"hashrates": [], "difficulty": [], "currentHashrate": 6.0e20},
    "/v1/prices": {"time": 1755712800, "USD": 60000, "EUR": 52000},
}


class Recorded:
    """Serves recorded responses and counts the calls."""

    def __init__(self, responses: dict[str, Any]) -> None:
        self.responses = responses
        self.calls: list[str] = []

    def __call__(self, path: str) -> Any:
        self.calls.append(path)
        return self.responses[path]


def test_the_replay_feed_knows_a_day_once_it_has_ended_and_smooths_like_the_backtests() -> None:
    feed = ReplayHashpriceFeed.from_file(BITCOIN / "hashprice_only.csv")  # 50, 60, 70, (gap), 80
    day = datetime(2023, 6, 1, tzinfo=UTC)
    assert feed.latest(day + timedelta(hours=23)) is None
    values = {
        day + timedelta(days=1): 50.0,
        day + timedelta(days=1, hours=12): 50.0,
        day + timedelta(days=2): 55.0,  # 7-day mean of 50 and 60
        day + timedelta(days=4, hours=12): 60.0,  # 4 June is missing: 3 June stays the latest
        day + timedelta(days=5): 65.0,  # the mean of 50, 60, 70 and 80
    }
    for now, expected in values.items():
        point = feed.latest(now)
        assert point is not None
        assert point.usd_per_ph_day == pytest.approx(expected), now
        assert point.as_of_utc <= now
    assert "hashprice_only.csv" in feed.name


def test_mempool_hashprice_is_revenue_per_day_over_the_network_hash_rate() -> None:
    fetch = Recorded(RESPONSES)
    feed = MempoolHashpriceFeed(fetch, refresh_s=3600)
    point = feed.latest(NOW)
    assert point == HashpricePoint(NOW, pytest.approx(46.08))
    assert len(fetch.calls) == 3
    assert feed.latest(NOW + timedelta(minutes=59)) is point  # within the refresh: no request
    assert len(fetch.calls) == 3
    feed.latest(NOW + timedelta(hours=1))
    assert len(fetch.calls) == 6


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        ("/v1/prices", {"time": 1}, r"no number in field 'USD'"),
        ("/v1/mining/hashrate/1w", {"currentHashrate": 0}, r"'currentHashrate' is 0.0, expected a positive"),
        ("/v1/mining/reward-stats/1008", {"totalReward": "lots"}, r"no number in field 'totalReward'"),
    ],
)
def test_mempool_answers_without_a_usable_number_are_feed_outages(
    path: str, change: dict[str, Any], message: str
) -> None:
    feed = MempoolHashpriceFeed(Recorded({**RESPONSES, path: change}))
    with pytest.raises(EquipmentError, match=message):
        feed.latest(NOW)


def test_an_unreachable_mempool_is_a_feed_outage() -> None:
    def down(path: str) -> Any:
        raise OSError(f"{path}: connection refused")

    with pytest.raises(EquipmentError, match=r"fetching failed: /v1/mining/reward-stats/1008: connection"):
        MempoolHashpriceFeed(down).latest(NOW)


# --- live ----------------------------------------------------------------------------------------


class Fixed:
    """A hashprice feed with a value set by the test (or failing)."""

    name = "test hashprice"

    def __init__(self, usd_per_ph_day: float | None) -> None:
        self.value = usd_per_ph_day

    def latest(self, now_utc: datetime) -> HashpricePoint | None:
        if self.value is None:
            raise EquipmentError(f"test hashprice: unreachable at {now_utc}")
        return HashpricePoint(now_utc, self.value)



def test_live_breakevens_follow_the_hashprice_feed_and_survive_its_outage(tmp_path: Path) -> None:
    async def go() -> None:
        feed = Fixed(50.0)
        rig = await build_rig(tmp_path, hashprice=feed)
        report = await rig.controller.step()
        assert rig.mining() == 20  # $20/MWh against a breakeven near $100/MWh: mine
        # hashprice collapses to $5/PH/day: the breakeven falls under the $20/MWh price
        feed.value = 5.0
        rig.clock.t += timedelta(minutes=5)
        report = await rig.controller.step()
        assert rig.mining() == 0
        assert report.safe_modes == ()
        with rig.controller.store.read() as session:
            rows = journal.decision_at(session, rig.controller.site_id, report.at_utc)
            assert rows is not None
            assert rows.decision["hashprice_usd_per_ph_day"] == 5.0
        # the feed fails: an alert, and the last known value ($5) still decides
        feed.value = None
        rig.clock.t += timedelta(minutes=5)
        report = await rig.controller.step()
        assert report.safe_modes == ("hashprice-feed",)
        assert rig.mining() == 0
        [(kind, message)] = rig.open_alerts()
        assert kind == "hashprice-feed"
        assert "5.00 USD/PH/day" in message
        rig.wired.close()

    asyncio.run(go())


def test_the_configured_hashprice_feed_is_built(tmp_path: Path) -> None:
    base = MINIMAL_CONFIG

    def feed(text: str) -> object:
        return hashprice_feed(parse_control_toml(text, "site.toml", tmp_path))

    replayed = base + f'[control.hashprice]\nfile = "{BITCOIN / "hashprice_only.csv"}"\n'
    assert isinstance(feed(replayed), ReplayHashpriceFeed)
    assert feed(base) is None
    live = base.replace('file = "prices.csv"', 'source = "gridstatus"')
    assert isinstance(feed(live + '[control.hashprice]\nsource = "mempool"\n'), MempoolHashpriceFeed)
