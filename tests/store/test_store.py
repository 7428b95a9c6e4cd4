"""The store on SQLite and on a real PostgreSQL server: migrations, round trips, transactions,
keys, usage and SLA credits, the decision journal, and concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from wattswitch.economics.contracts import reserved_bill
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.tenants import Reservation, UptimeSla
from wattswitch.store import codec, live, repo
from wattswitch.store.db import Store, normalise_url
from wattswitch.store.models import ApiKeyRow, Base, RunRow, SiteRow, UsageRow
from wattswitch.store.series import Series, bucket
from wattswitch.store.usage import usage_report

TABLES = {
    "sites",
    "grid_events",
    "alerts",
    "scenarios",
    "runs",
    "run_series",
    "plans",
    "tenants",
    "reservations",
    "gpu_usage",
    "jobs",
    "api_keys",
    "decisions",
    "alembic_version",
}


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.upgrade()
    yield store
    store.dispose()


def _site_and_scenario(store: Store) -> tuple[int, int]:
    scenario = default_scenario()
    with store.write() as session:
        site = repo.create_site(session, "Permian Flats", "test site")
        row = repo.create_scenario(session, site.id, scenario.name, codec.scenario_to_json(scenario))
        return site.id, row.id


def test_the_migration_creates_exactly_the_models_tables(store: Store) -> None:
    assert store.tables() == TABLES
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    store.upgrade()  # a second upgrade is a no-op
    with store.read() as session:
        assert session.execute(text("select version_num from alembic_version")).scalar_one() == "0003"


def test_a_scenario_round_trips_through_the_database(store: Store) -> None:
    site_id, scenario_id = _site_and_scenario(store)
    with store.read() as session:
        row = repo.get(session, repo.ScenarioRow, scenario_id, "scenario")
        assert row.site_id == site_id
        assert codec.scenario_from_json(row.plain) == default_scenario()


def _write_then_fail(store: Store) -> None:
    with store.write() as session:
        repo.create_site(session, "half", "")
        repo.create_tenant(session, "half-tenant")
        raise RuntimeError("boom")


def _write_then_conflict(store: Store) -> None:
    with store.write() as session:
        repo.create_tenant(session, "written before the conflict")
        repo.create_site(session, "A", "")


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError):
        _write_then_fail(store)
    with store.read() as session:
        assert repo.list_sites(session) == []
        assert repo.list_tenants(session) == []


def test_duplicate_names_conflict_and_nothing_is_half_written(store: Store) -> None:
    with store.write() as session:
        repo.create_site(session, "A", "")
    with pytest.raises(repo.Conflict, match="already exists"):
        _write_then_conflict(store)
    with store.read() as session:
        assert [s.name for s in repo.list_sites(session)] == ["A"]
        assert repo.list_tenants(session) == []


def test_a_run_goes_from_queued_to_succeeded_with_its_series(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        run_id = repo.create_run(session, scenario_id, ["mpc"], {"start": "2025-07-01"}).id
    with store.write() as session:
        assert repo.start_run(session, run_id)
    with store.write() as session:
        assert not repo.start_run(session, run_id)  # already taken
        repo.set_progress(session, run_id, 0.5)
    start = datetime(2025, 7, 1, 5, tzinfo=UTC)
    series = [
        Series("mpc", "site_mw", "MW", start, 3600, [1.5, None, 2.25]),
        Series("inputs", "rt_price_usd_per_mwh", "USD/MWh", start, 3600, [30.0, 31.0, -5.0]),
    ]
    with store.write() as session:
        repo.finish_run(session, run_id, {"policies": {}, "notes": ["n"]}, series)
    with store.read() as session:
        run = repo.get(session, RunRow, run_id, "run")
        assert (run.status, run.progress, run.kind, run.metrics) == (
            "succeeded",
            1.0,
            "simulation",
            {"policies": {}, "notes": ["n"]},
        )
        assert run.started_at is not None
        assert run.finished_at is not None
        assert run.finished_at >= run.started_at
        assert run.finished_at.tzinfo is not None
        rows = repo.run_series(session, run_id, policy="mpc")
        assert [(r.name, r.values, r.start_utc) for r in rows] == [("site_mw", [1.5, None, 2.25], start)]
        assert len(repo.run_series(session, run_id)) == 2


def test_a_year_of_hourly_series_is_stored_and_read_back_exactly(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        run_id = repo.create_run(session, scenario_id, ["mpc", "threshold"], {}).id
    start = datetime(2025, 1, 1, 6, tzinfo=UTC)
    quarter_hours = [float(i % 97) for i in range(35_040)]
    hourly = [float(v) for v in bucket(quarter_hours, 900, "mean")]
    names = [f"series_{i}" for i in range(20)]
    series = [
        Series(p, n, "MW", start, 3600, hourly)
        for p in ("always-on", "mpc", "threshold", "oracle")
        for n in names
    ]
    with store.write() as session:
        assert repo.start_run(session, run_id)
        assert repo.finish_run(session, run_id, {"policies": {}}, series)
    with store.read() as session:
        rows = repo.run_series(session, run_id)
        assert len(rows) == 80
        assert all(len(r.values) == 8760 for r in rows)
        assert rows[-1].values == hourly


def test_failing_unfinished_runs_marks_queued_and_running(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        ids = [repo.create_run(session, scenario_id, ["mpc"], {}).id for _ in range(3)]
        repo.start_run(session, ids[1])
        repo.start_run(session, ids[2])
        repo.finish_run(session, ids[2], {"policies": {}}, [])
    with store.write() as session:
        assert repo.fail_unfinished_runs(session, "restart") == 2
    with store.read() as session:
        states = [(r.status, r.error) for r in repo.list_runs(session)]
    assert states == [("succeeded", None), ("failed", "restart"), ("failed", "restart")]


def test_keys_are_stored_hashed_and_revocable(store: Store) -> None:
    with store.write() as session:
        tenant = repo.create_tenant(session, "Helix")
        admin, admin_secret = repo.create_key(session, "root", "admin")
        _tenant_key, tenant_secret = repo.create_key(session, "helix", "tenant", tenant.id)
        with pytest.raises(repo.StateError):
            repo.create_key(session, "bad", "tenant")
        with pytest.raises(repo.StateError):
            repo.create_key(session, "bad", "analyst", tenant.id)
    with store.read() as session:
        for key in session.scalars(select(ApiKeyRow)):
            stored = " ".join(str(getattr(key, c.key)) for c in ApiKeyRow.__table__.columns)
            assert admin_secret not in stored
            assert tenant_secret not in stored
            assert len(key.key_hash) == 64
        found = repo.key_for_secret(session, tenant_secret)
        assert found is not None
        assert (found.role, found.tenant_id) == ("tenant", tenant.id)
        assert repo.key_for_secret(session, admin_secret + "x") is None
    with store.write() as session:
        repo.revoke_key(session, admin.id)
    with store.read() as session:
        assert repo.key_for_secret(session, admin_secret) is None
        assert repo.count_live_admin_keys(session) == 0


def test_usage_by_day_and_sla_credits_follow_the_contract_code(store: Store) -> None:
    with store.write() as session:
        tenant = repo.create_tenant(session, "Helix")
        repo.add_reservation(
            session,
            tenant.id,
            gpu_group="h100",
            node_count=10,
            gpus_per_node=8,
            price_usd_per_gpu_hour=2.0,
            starts_on=date(2025, 6, 16),
        )
        other = repo.create_tenant(session, "Other")
        repo.meter_usage(session, other.id, date(2025, 6, 20), 999.0)
        for day in (date(2025, 6, 20), date(2025, 6, 20), date(2025, 7, 1)):
            repo.meter_usage(session, tenant.id, day, 100.0, unavailable_gpu_hours=100.0)
    with store.read() as session:
        report = usage_report(session, tenant.id)
    assert [(d["day"], d["gpu_hours"], d["records"]) for d in report["days"]] == [
        ("2025-06-20", 200.0, 2),
        ("2025-07-01", 100.0, 1),
    ]
    assert report["total_gpu_hours"] == 300.0
    june = report["sla"][0]
    reserved_hours = 10 * 8 * 24 * 15  # reservation starts on the 16th: 15 days of June
    assert june["reserved_gpu_hours"] == reserved_hours
    uptime = 1 - 200.0 / reserved_hours
    expected = reserved_bill(Reservation("h100", 10, 2.0, sla=UptimeSla()), 24 * 15, uptime)
    assert june["credit_usd"] == pytest.approx(expected.credit_usd, abs=0.01)
    assert june["credit_usd"] > 0
    assert report["sla_credits_usd"] == pytest.approx(sum(m["credit_usd"] for m in report["sla"]), abs=0.01)


def test_the_decision_journal_moves_one_state_at_a_time(store: Store) -> None:
    site_id, _ = _site_and_scenario(store)
    at = datetime(2025, 7, 1, 12, tzinfo=UTC)
    with store.write() as session:
        row = repo.journal_decision(session, site_id, at, {"asic_normal": [1.0, 0.5]})
    with pytest.raises(repo.Conflict), store.write() as session:
        repo.journal_decision(session, site_id, at, {})
    with pytest.raises(repo.StateError), store.write() as session:
        repo.advance_decision(session, row.id, "confirmed")
    with store.write() as session:
        repo.advance_decision(session, row.id, "applied")
        repo.journal_decision(session, site_id, at + timedelta(minutes=15), {})
    with store.write() as session:
        confirmed = repo.advance_decision(session, row.id, "confirmed")
        assert confirmed.applied_at is not None
        assert confirmed.confirmed_at is not None
    with store.read() as session:
        journal = repo.decisions_of(session, site_id)
        assert [(d.interval_start_utc, d.state) for d in journal] == [
            (at + timedelta(minutes=15), "journaled"),
            (at, "confirmed"),
        ]
        assert journal[1].decision == {"asic_normal": [1.0, 0.5]}


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        tenant_id = repo.create_tenant(session, "Helix").id
    threads, per_thread = 8, 25
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(index: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with store.write() as session:
                    if i % 2:
                        repo.create_run(session, scenario_id, ["mpc"], {"thread": index, "i": i})
                    else:
                        repo.meter_usage(session, tenant_id, date(2025, 7, 1 + i % 5), 1.25)
                with store.write() as session:  # a read-then-write transaction in the same burst
                    count = session.scalar(select(func.count(SiteRow.id)))
                    repo.meter_usage(session, tenant_id, date(2025, 8, 1), float(count or 0))
        except BaseException as err:  # collected and reported by the main thread
            errors.append(err)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    assert errors == []
    with store.read() as session:
        runs = session.scalar(select(func.count(RunRow.id)))
        usage = session.scalar(select(func.count(UsageRow.id)))
        total = session.scalar(select(func.sum(UsageRow.gpu_hours)))
    runs_each = per_thread // 2
    usage_each = per_thread - runs_each
    assert runs == threads * runs_each
    assert usage == threads * (usage_each + per_thread)
    assert total == pytest.approx(threads * (usage_each * 1.25 + per_thread * 1.0))


def test_urls_are_normalised() -> None:
    assert normalise_url("postgresql://u@h:1/d") == "postgresql+psycopg://u@h:1/d"
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_url("some/file.db").startswith("sqlite:////")


def test_live_control_rows_on_both_backends(store: Store) -> None:
    """Grid events, alerts (deduplicated while open, counted per site) and superseded decisions."""
    now = datetime(2025, 8, 20, 20, tzinfo=UTC)
    with store.write() as session:
        site = repo.create_site(session, "live", "", None).id
        other = repo.create_site(session, "other", "", None).id
        event = live.add_grid_event(
            session,
            site,
            kind="4cp",
            target_mw=5.0,
            deadline_utc=now,
            end_utc=now + timedelta(hours=1),
            source="t",
        ).id
        live.mark_grid_event(session, event, acknowledged=True)
        live.raise_alert(session, site, "price-feed", "stale")
        live.raise_alert(session, site, "price-feed", "still stale")
        live.raise_alert(session, site, "fleet", "silent miners")
        live.raise_alert(session, other, "cluster", "slurm down")
        live.clear_alert(session, site, "fleet")
        old = repo.journal_decision(session, site, now - timedelta(minutes=10), {"kind": "interval"}).id
    with store.write() as session:
        assert live.supersede_unfinished(session, site, now) == [old]
    with store.read() as session:
        assert live.open_alert_counts(session) == {site: 1, other: 1}
        (row,) = live.grid_events_of(session, site, active_at=now)
        assert row.acknowledged_at is not None
        assert row.met_at is None
        assert live.grid_events_of(session, site, active_at=now + timedelta(hours=2)) == []
        assert repo.decisions_of(session, site)[0].state == "superseded"


def test_a_run_leased_to_one_server_is_neither_taken_nor_failed_by_another(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        run_id = repo.create_run(session, scenario_id, ["mpc"], {}, owner="server-a").id
    with store.write() as session:
        assert not repo.start_run(session, run_id, "server-b")
        assert repo.start_run(session, run_id, "server-a")
    lease_start = datetime.now(UTC)
    with store.write() as session:  # b sweeps while a's lease is fresh: nothing happens
        assert repo.fail_orphaned_runs(session, lease_start - timedelta(seconds=30), "orphaned") == 0
        assert repo.renew_leases(session, "server-a") == 1
    with store.write() as session:  # a stops renewing; b's sweep and c's sweep fail it once
        assert repo.fail_orphaned_runs(session, datetime.now(UTC) + timedelta(seconds=1), "orphaned") == 1
        assert repo.fail_orphaned_runs(session, datetime.now(UTC) + timedelta(seconds=1), "orphaned") == 0
    with store.write() as session:  # a comes back and finishes: the run stays failed, no series written
        assert not repo.finish_run(session, run_id, {"policies": {}}, [], "server-a")
    with store.read() as session:
        run = repo.get(session, RunRow, run_id, "run")
        assert (run.status, run.error) == ("failed", "orphaned")
        assert repo.run_series(session, run_id) == []


def test_stopping_one_server_fails_only_its_own_runs(store: Store) -> None:
    _site_id, scenario_id = _site_and_scenario(store)
    with store.write() as session:
        mine = repo.create_run(session, scenario_id, ["mpc"], {}, owner="server-a").id
        theirs = repo.create_run(session, scenario_id, ["mpc"], {}, owner="server-b").id
    with store.write() as session:
        assert repo.fail_unfinished_runs(session, "stopped", owner="server-a") == 1
    with store.read() as session:
        assert repo.get(session, RunRow, mine, "run").status == "failed"
        assert repo.get(session, RunRow, theirs, "run").status == "queued"
