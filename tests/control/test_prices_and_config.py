"""Price feeds (replay and gridstatus) and the live-control configuration file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from wattswitch.control.config import load_control_config, parse_control_toml
from wattswitch.control.prices import GridstatusPriceFeed, ReplayPriceFeed, latest_settled
from wattswitch.errors import EquipmentError, InputError

T0 = datetime(2023, 8, 1, tzinfo=UTC)
TIDY = "interval_start_utc,HB_WEST\n" + "".join(
    f"{(T0 + timedelta(minutes=15 * k)).strftime('%Y-%m-%dT%H:%M:%SZ')},{value}\n"
    for k, value in enumerate(["20", "", "-5", "900"])
)


@pytest.fixture
def replay(tmp_path: Path) -> ReplayPriceFeed:
    path = tmp_path / "prices.csv"
    path.write_text(TIDY, encoding="utf-8")
    return ReplayPriceFeed.from_file(path, "HB_WEST")


def test_replay_returns_the_last_settled_interval_never_the_running_one(replay: ReplayPriceFeed) -> None:
    assert replay.latest(T0 + timedelta(minutes=14)) is None  # the first interval is still running
    first = replay.latest(T0 + timedelta(minutes=15))
    assert first is not None
    assert (first.interval_start_utc, first.price_usd_per_mwh) == (T0, 20.0)


def test_replay_skips_gaps_so_the_feed_looks_stale(replay: ReplayPriceFeed) -> None:
    during_gap = replay.latest(T0 + timedelta(minutes=31))
    assert during_gap is not None
    assert during_gap.interval_start_utc == T0  # the 00:15 interval has no price
    later = replay.latest(T0 + timedelta(hours=2))
    assert later is not None
    assert later.price_usd_per_mwh == 900.0
    assert replay.last_utc == T0 + timedelta(hours=1)


def test_replay_refuses_naive_times_and_unknown_hubs(replay: ReplayPriceFeed, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="naive"):
        replay.latest(datetime(2023, 8, 1))  # noqa: DTZ001 - the point of the test
    path = tmp_path / "prices.csv"
    path.write_text(TIDY, encoding="utf-8")
    with pytest.raises(InputError, match="HB_NORTH"):
        ReplayPriceFeed.from_file(path, "HB_NORTH")


def _spp_table() -> pd.DataFrame:
    starts = pd.date_range("2023-08-01 10:00", periods=4, freq="15min", tz="US/Central")
    return pd.DataFrame(
        {
            "Time": starts,
            "Interval Start": starts,
            "Interval End": starts + pd.Timedelta(minutes=15),
            "Location": ["HB_WEST", "HB_WEST", "HB_NORTH", "HB_WEST"],
            "Location Type": "Trading Hub",
            "Market": "REAL_TIME_15_MIN",
            "SPP": [31.0, 45.5, 99.0, 12.0],
        }
    )


def test_gridstatus_table_gives_the_last_settled_price_of_the_hub() -> None:
    now = datetime(2023, 8, 1, 15, 40, tzinfo=UTC)  # 10:40 Central: 10:15–10:30 is the last settled
    point = latest_settled(_spp_table(), "HB_WEST", now, "test")
    assert point is not None
    assert point.price_usd_per_mwh == 45.5
    assert point.interval_start_utc == datetime(2023, 8, 1, 15, 15, tzinfo=UTC)


def test_gridstatus_failures_become_equipment_errors() -> None:
    def offline(_now: datetime) -> pd.DataFrame:
        raise ConnectionError("ercot.com unreachable")

    feed = GridstatusPriceFeed("HB_WEST", fetch=offline)
    with pytest.raises(EquipmentError, match=r"gridstatus ERCOT HB_WEST: fetching prices failed: ercot.com"):
        feed.latest(T0)
    with pytest.raises(EquipmentError, match="lacks columns"):
        latest_settled(pd.DataFrame({"SPP": [1.0]}), "HB_WEST", T0, "test")


def test_gridstatus_missing_is_said_clearly() -> None:
    try:
        import gridstatus  # noqa: F401
    except ImportError:
        with pytest.raises(EquipmentError, match="gridstatus is not installed"):
            GridstatusPriceFeed("HB_WEST").latest(T0)
    else:  # pragma: no cover - only where gridstatus is installed
        pytest.skip("gridstatus is installed here; the live fetch needs ercot.com")


CONFIG = """
[control]
site_name = "Permian Flats"
policy = "threshold"
database = "journal.db"

[[control.miners]]
group = "s19xp"
addresses = ["10.0.1.1", "10.0.1.2"]

[[control.miners]]
group = "s21"
subnet = "10.0.2.0/30"

[control.slurm]
slurm_conf = "slurm/slurm.conf"

[control.prices]
source = "replay"
file = "prices.csv"
hub = "HB_WEST"
replay_speed = 60.0

[control.system_load]
source = "replay"
file = "load.csv"

[control.hashprice]
file = "bitcoin.csv"

[control.safety]
on_price_loss = "hold"
"""


def test_a_config_file_reads_with_paths_relative_to_it(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_control_config(path)
    assert config.prices.file == str(tmp_path / "prices.csv")
    assert config.database == str(tmp_path / "journal.db")
    assert config.slurm is not None
    assert config.slurm.slurm_conf == str(tmp_path / "slurm" / "slurm.conf")
    assert config.safety.on_price_loss == "hold"
    assert [g.group for g in config.miners] == ["s19xp", "s21"]
    assert config.system_load is not None
    assert config.system_load.file == str(tmp_path / "load.csv")
    assert config.system_load.column == "ERCOT_TOTAL"
    assert config.hashprice is not None
    assert config.hashprice.file == str(tmp_path / "bitcoin.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('policy = "threshold"', 'policy = "oracle"'), "needs hindsight"),
        (('on_price_loss = "hold"', 'on_price_loss = "panic"'), "control.safety: on_price_loss"),
        (('subnet = "10.0.2.0/30"', 'subnet = "10.0.2.0/33"'), r"control.miners\[1\]: subnet"),
        (('addresses = ["10.0.1.1", "10.0.1.2"]', 'addresses = ["10.0.1.300"]'), "not an IP address"),
        (('file = "prices.csv"', 'fil = "prices.csv"'), "unknown key"),
        (("replay_speed = 60.0", "replay_speed = -1.0"), "replay_speed"),
        (('file = "load.csv"', 'column = "ERCOT_TOTAL"'), "control.system_load: file: a replay feed needs"),
        (
            ('source = "replay"\nfile = "load.csv"', 'source = "gridstatus"'),
            "system_load.source: 'gridstatus' with prices.source 'replay'",
        ),
        (('source = "replay"\nfile = "load.csv"', 'source = "ercot"'), "control.system_load: source"),
        (('file = "bitcoin.csv"', 'source = "mempool"'), "hashprice.source: 'mempool' with prices.source"),
        (('file = "bitcoin.csv"', 'refresh_s = 60.0'), "control.hashprice: file: a replay feed needs"),
    ],
)
def test_config_errors_name_the_key(change: tuple[str, str], message: str) -> None:
    text = CONFIG.replace(*change)
    assert text != CONFIG
    with pytest.raises(InputError, match=message) as caught:
        parse_control_toml(text, "site.toml")
    assert str(caught.value).startswith("site.toml")


def test_a_config_without_a_control_table_is_refused() -> None:
    with pytest.raises(InputError, match=r"no \[control\] table"):
        parse_control_toml("[site]\nname = 'x'\n", "site.toml")


def test_the_sample_configuration_in_the_docs_parses() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "control.md").read_text(encoding="utf-8")
    sample = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_control_toml(sample, "docs/control.md")
    assert config.prices.source == "gridstatus"
    assert config.live.stage_mw == 5.0
    assert config.slurm is not None
    assert config.slurm.preemptible_partitions == ("spot",)
    assert config.system_load is not None
    assert config.system_load.source == "gridstatus"
    assert config.hashprice is not None
    assert config.hashprice.source == "mempool"
