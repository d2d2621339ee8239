"""The operator's records on SQLite and PostgreSQL: numbering, idempotency, lifecycle, bookings, users.

Every test taking ``store`` runs once per backend (see conftest.py); PostgreSQL is skipped, with the
reason shown, when FLEETPLAN_TEST_POSTGRES_URL is not set.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.records import (
    NEXT_ENTRIES,
    BookingConflict,
    EntryKind,
    IncidentStatus,
    InvalidTransition,
    NotFound,
    RecordError,
    Role,
    SqlRecordStore,
    derive_status,
    open_store,
    token_hash,
)
from api.records.engine import WRITE_OPTION, _alembic_config, create_store_engine
from api.records.schema import entries, incidents, latest_entries, metadata
from api.records.sql import lifecycle_problems

WHEN = datetime(2026, 1, 5, 7, 40)
DESK = "desk-1"


def _report(store: SqlRecordStore, key: str | None = None, vehicle_id: str = "C01"):
    body = {
        "vehicle_id": vehicle_id,
        "location": "G1 K78 toward Changchun",
        "passengers": 45,
        "kind": "breakdown",
        "conditions": "snow",
        "note": "车上45人",
    }
    return store.report(body, WHEN, DESK, key)


def _with_options(store: SqlRecordStore) -> int:
    """A new incident with plan options stored; returns its number."""
    record, _ = _report(store)
    store.append(record.number, EntryKind.OPTIONS, DESK, {"plans": [{"rank": 1}, {"rank": 2}]})
    return record.number


def _accepted(store: SqlRecordStore, vehicle_ids: list[str], driver_ids: list[str]) -> int:
    number = _with_options(store)
    store.accept(number, DESK, {"rank": 1}, vehicle_ids, driver_ids)
    return number


def _one_of_each_status(store: SqlRecordStore) -> tuple[int, int, int, int]:
    """Four incidents, oldest first: reported, with options, accepted, voided; their numbers."""
    reported = _report(store)[0].number
    with_options = _with_options(store)
    accepted = _accepted(store, ["C07"], [])
    voided = _with_options(store)
    store.append(voided, EntryKind.VOID, DESK, {"reason": "duplicate"})
    return reported, with_options, accepted, voided


def _run_together(count: int, task) -> list[Any]:
    """Run ``task(i)`` for i in 0..count-1 on as many threads released at once; exceptions are results."""
    barrier = threading.Barrier(count, timeout=60)  # a guard against a hang, not a timing check

    def run(index: int) -> Any:
        barrier.wait()
        try:
            return task(index)
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _numbers(store: SqlRecordStore) -> list[int]:
    return sorted(record.number for record in store.incidents(limit=10_000))


# --- numbering ------------------------------------------------------------------------------------


def test_incidents_are_numbered_from_one_without_gaps(store):
    numbers = [_report(store)[0].number for _ in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    assert store.integrity_problems() == []


def test_concurrent_reports_get_distinct_numbers_without_gaps(store):
    results = _run_together(20, lambda _: _report(store)[0].number)
    assert sorted(results) == list(range(1, 21))
    assert _numbers(store) == list(range(1, 21))


def test_a_report_that_fails_mid_transaction_gives_its_number_back(store):
    assert _report(store)[0].number == 1

    def fail_on_report_entry(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ENTRIES"):
            raise RuntimeError("simulated failure after the number was taken")

    event.listen(store.engine, "before_cursor_execute", fail_on_report_entry)
    with pytest.raises(RuntimeError, match="simulated"):
        _report(store)
    event.remove(store.engine, "before_cursor_execute", fail_on_report_entry)

    assert _report(store)[0].number == 2
    assert _numbers(store) == [1, 2]
    assert store.integrity_problems() == []


def test_a_report_that_cannot_be_stored_is_refused_and_records_nothing(store):
    with pytest.raises(RecordError, match="report"):
        store.report({"vehicle_id": "C01", "bad": {1, 2}}, WHEN, DESK, None)
    with pytest.raises(RecordError, match="actor"):
        store.report({"vehicle_id": "C01"}, WHEN, " ", None)
    assert store.incidents() == []
    assert _report(store)[0].number == 1


def test_a_payload_json_cannot_hold_is_refused_by_name_and_stores_nothing(store):
    number = _with_options(store)
    before = store.incident(number)
    unstorable = {"plans": [{"rank": 1, "when": WHEN}]}  # a datetime: JSON has none
    with pytest.raises(RecordError, match="payload: cannot be stored as JSON"):
        store.append(number, EntryKind.OPTIONS, DESK, unstorable)
    with pytest.raises(RecordError, match="payload"):
        store.accept(number, DESK, {"rank": 1, "crews": {("C07", "D07")}}, ["C07"], [])
    assert store.incident(number) == before
    assert store.bookings() == []
    accepted = _accepted(store, ["C08"], [])
    with pytest.raises(RecordError, match="payload"):
        store.release([accepted], DESK, {"release": {"reason": object()}})
    assert store.incident(accepted).status == IncidentStatus.ACCEPTED
    assert [b.vehicle_id for b in store.bookings()] == ["C08"]
    assert store.integrity_problems() == []


def test_the_report_is_kept_as_first_recorded(store):
    record, created = _report(store)
    again = store.incident(record.number)
    assert created and again == record
    assert again.reported_at == WHEN
    assert again.report["note"] == "车上45人"
    assert [entry.kind for entry in again.entries] == [EntryKind.REPORT]
    assert again.entries[0].payload["report"] == again.report
    assert again.entries[0].actor == DESK


def test_an_aware_report_time_is_stored_as_china_local(store):
    utc_time = datetime(2026, 1, 4, 23, 40, tzinfo=UTC)
    record, _ = store.report({"vehicle_id": "C01"}, utc_time, DESK, None)
    assert record.reported_at == WHEN


# --- idempotency ----------------------------------------------------------------------------------


def test_the_same_key_five_times_gives_one_incident(store):
    results = [_report(store, key="desk-1/0007") for _ in range(5)]
    assert [created for _, created in results] == [True, False, False, False, False]
    assert {record.number for record, _ in results} == {1}
    assert _report(store, key="desk-1/0008")[0].number == 2
    assert _numbers(store) == [1, 2]


def test_the_same_key_from_five_threads_at_once_gives_one_incident(store):
    results = _run_together(5, lambda _: _report(store, key="same-key"))
    assert not [result for result in results if isinstance(result, Exception)]
    assert sum(created for _, created in results) == 1
    assert {record.number for record, _ in results} == {1}
    # The losers rolled back their numbers: the next incident is 2, not 6.
    assert _report(store)[0].number == 2
    assert store.integrity_problems() == []


# --- lifecycle ------------------------------------------------------------------------------------


def test_the_whole_lifecycle_derives_each_status(store):
    number = _with_options(store)
    assert store.incident(number).status == IncidentStatus.OPTIONS
    steps = [
        (EntryKind.ON_SCENE, IncidentStatus.ON_SCENE, {"at": "2026-01-05T08:20"}),
        (EntryKind.RESOLVED, IncidentStatus.RESOLVED, {"note": "passengers delivered"}),
        (EntryKind.FOLLOW_UP, IncidentStatus.FOLLOWED_UP, {"note": "回访 done"}),
    ]
    assert store.accept(number, "lead", {"rank": 2}, ["C07"], ["D03"]).status == IncidentStatus.ACCEPTED
    for kind, status, payload in steps:
        record = store.append(number, kind, DESK, payload)
        assert record.status == status
    record = store.incident(number)
    assert [entry.kind for entry in record.entries] == [
        EntryKind.REPORT,
        EntryKind.OPTIONS,
        EntryKind.ACCEPT,
        EntryKind.ON_SCENE,
        EntryKind.RESOLVED,
        EntryKind.FOLLOW_UP,
    ]
    assert record.latest(EntryKind.ACCEPT).actor == "lead"
    assert record.latest(EntryKind.ACCEPT).payload == {"rank": 2}
    assert record.latest(EntryKind.FOLLOW_UP).payload["note"] == "回访 done"
    assert [entry.id for entry in record.entries] == sorted(entry.id for entry in record.entries)
    assert store.bookings() == []  # released when resolved
    assert store.integrity_problems() == []


REFUSED = [
    ([], EntryKind.ON_SCENE),  # reported: no plan accepted yet
    ([], EntryKind.REPORT),
    ([], EntryKind.RESOLVED),  # options still to come (resolved from options: nobody aboard, the desk checks)
    ([EntryKind.OPTIONS], EntryKind.FOLLOW_UP),
    ([EntryKind.OPTIONS, EntryKind.VOID], EntryKind.OPTIONS),  # voided is final
    ([EntryKind.OPTIONS, EntryKind.VOID], EntryKind.VOID),
]


def test_entries_not_allowed_by_the_lifecycle_are_refused_and_not_recorded(store):
    for earlier, refused in REFUSED:
        number = _report(store)[0].number
        for kind in earlier:
            store.append(number, kind, DESK, {})
        before = store.incident(number)
        with pytest.raises(InvalidTransition, match=f"incident {number} is {before.status}"):
            store.append(number, refused, DESK, {})
        assert store.incident(number) == before, (earlier, refused)


def test_a_refusal_lists_resolved_before_on_scene_as_for_a_coach_with_nobody_aboard(store):
    """The desk refuses resolved while passengers wait for their rescue: the allowed steps say so."""
    number = _report(store)[0].number
    store.append(number, EntryKind.OPTIONS, DESK, {})
    with pytest.raises(InvalidTransition, match=r"allowed: .*resolved \(nobody aboard\)"):
        store.append(number, EntryKind.FOLLOW_UP, DESK, {})


def test_accept_needs_options_and_cannot_go_through_append(store):
    number = _report(store)[0].number
    with pytest.raises(InvalidTransition):
        store.accept(number, DESK, {"rank": 1}, ["C07"], ["D03"])
    store.append(number, EntryKind.OPTIONS, DESK, {})
    with pytest.raises(InvalidTransition, match="use accept"):
        store.append(number, EntryKind.ACCEPT, DESK, {})
    assert store.bookings() == []
    store.accept(number, DESK, {"rank": 1}, ["C07"], ["D03"])
    with pytest.raises(InvalidTransition):  # accepted once; a second plan needs a void first
        store.accept(number, DESK, {"rank": 2}, ["C08"], ["D04"])
    assert {booking.vehicle_id for booking in store.bookings()} == {"C07", None}


def test_unknown_incident_numbers_are_not_found(store):
    with pytest.raises(NotFound, match="42"):
        store.incident(42)
    with pytest.raises(NotFound):
        store.append(42, EntryKind.OPTIONS, DESK, {})
    with pytest.raises(NotFound):
        store.accept(42, DESK, {}, ["C07"], [])


def test_void_keeps_the_record_and_releases_its_bookings(store):
    number = _accepted(store, ["C07"], ["D03"])
    assert len(store.bookings()) == 2
    record = store.append(number, EntryKind.VOID, DESK, {"reason": "reported twice by mistake"})
    assert record.status == IncidentStatus.VOIDED
    assert [entry.kind for entry in record.entries][-1] == EntryKind.VOID
    assert store.incident(number).report["vehicle_id"] == "C01"  # still there, as reported
    assert store.bookings() == []
    # The coach and driver are free for the next incident.
    other = _accepted(store, ["C07"], ["D03"])
    assert {booking.incident_number for booking in store.bookings()} == {other}
    assert store.integrity_problems() == []


def test_incidents_filter_on_the_derived_status_newest_first(store):
    reported, with_options, accepted, voided = _one_of_each_status(store)

    assert [record.number for record in store.incidents()] == [voided, accepted, with_options, reported]
    assert [r.number for r in store.incidents({IncidentStatus.OPTIONS})] == [with_options]
    assert [r.number for r in store.incidents({IncidentStatus.REPORTED, IncidentStatus.VOIDED})] == [
        voided,
        reported,
    ]
    assert store.incidents({IncidentStatus.RESOLVED}) == []
    assert [r.number for r in store.incidents(limit=2)] == [voided, accepted]
    for record in store.incidents():
        assert record.status == derive_status([entry.kind for entry in record.entries])
        assert record == store.incident(record.number)


def test_incident_heads_are_the_incidents_of_those_statuses_without_their_entries(store):
    reported, with_options, accepted, voided = _one_of_each_status(store)

    everyone = set(IncidentStatus)
    heads = store.incident_heads(everyone)
    assert [h.number for h in heads] == [voided, accepted, with_options, reported]
    for head in heads:
        record = store.incident(head.number)
        assert (head.reported_at, head.report, head.status) == (record.reported_at, record.report, record.status)
    open_heads = store.incident_heads({IncidentStatus.REPORTED, IncidentStatus.OPTIONS})
    assert [(h.number, h.status) for h in open_heads] == [
        (with_options, IncidentStatus.OPTIONS),
        (reported, IncidentStatus.REPORTED),
    ]
    assert [h.number for h in store.incident_heads(everyone, limit=1)] == [voided]


# --- bookings -------------------------------------------------------------------------------------


def test_accept_conflict_names_the_held_ids_and_books_nothing(store):
    first = _accepted(store, ["C07"], ["D03"])
    second = _with_options(store)
    with pytest.raises(BookingConflict) as conflict:
        store.accept(second, DESK, {"rank": 1}, ["C09", "C07"], ["D05", "D03"])
    assert conflict.value.vehicle_ids == ["C07"] and conflict.value.driver_ids == ["D03"]
    assert "C07" in str(conflict.value) and "D03" in str(conflict.value)
    record = store.incident(second)
    assert record.status == IncidentStatus.OPTIONS
    assert record.latest(EntryKind.ACCEPT) is None
    assert {(b.incident_number, b.vehicle_id, b.driver_id) for b in store.bookings()} == {
        (first, "C07", None),
        (first, None, "D03"),
    }
    # Without the held coach and driver the same incident can be accepted.
    store.accept(second, DESK, {"rank": 2}, ["C09"], ["D05"])
    assert len(store.bookings()) == 4


def test_twenty_concurrent_accepts_sharing_a_coach_book_it_exactly_once(store):
    numbers = [_with_options(store) for _ in range(20)]

    def accept(index: int):
        coaches = ["C12", f"C{30 + index}"]  # C12 is in every plan
        return store.accept(numbers[index], f"desk-{index}", {"rank": 1}, coaches, [f"D{index}"])

    results = _run_together(20, accept)
    winners = [result for result in results if not isinstance(result, Exception)]
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(winners) == 1, losers
    assert all(isinstance(error, BookingConflict) for error in losers), losers
    assert all(error.vehicle_ids == ["C12"] and error.driver_ids == [] for error in losers)

    winner = winners[0].number
    active = store.bookings()
    assert [b.incident_number for b in active if b.vehicle_id == "C12"] == [winner]
    assert {b.incident_number for b in active} == {winner} and len(active) == 3
    statuses = [store.incident(number).status for number in numbers]
    assert statuses.count(IncidentStatus.ACCEPTED) == 1
    assert statuses.count(IncidentStatus.OPTIONS) == 19
    assert store.integrity_problems() == []


# --- users ----------------------------------------------------------------------------------------


def _stored_text(store: SqlRecordStore, store_url: str) -> bytes:
    """Everything the database holds, as bytes: the SQLite files, or every PostgreSQL row."""
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        files = [database, *database.parent.glob(database.name + "-*")]  # the WAL and shared memory
        return b"".join(path.read_bytes() for path in files)
    with store.engine.connect() as connection:
        rows = [connection.execute(select(table)).all() for table in metadata.sorted_tables]
    return repr(rows).encode()


def test_tokens_are_stored_only_as_their_hash(store, store_url):
    assert not store.has_users()
    token = store.add_user("wang.dispatch", Role.DISPATCHER)
    assert len(token) >= 40  # 32 random bytes, URL-safe base64
    assert store.has_users()
    user = store.user_for_token(token)
    assert user is not None and (user.name, user.role) == ("wang.dispatch", Role.DISPATCHER)
    assert store.user_for_token(token + "x") is None
    assert store.user_for_token("") is None

    stored = _stored_text(store, store_url)
    assert token_hash(token).encode() in stored  # we are looking at the right data
    assert token.encode() not in stored


def test_user_names_are_unique_and_roles_known(store):
    first = store.add_user("li.admin", Role.ADMIN)
    with pytest.raises(RecordError, match="already exists"):
        store.add_user("li.admin", Role.VIEWER)
    with pytest.raises(RecordError, match="role"):
        store.add_user("zhao", "superuser")
    second = store.add_user("zhao", "planner")
    assert first != second
    assert store.user_for_token(second).role == Role.PLANNER


# --- integrity and append-only guards -------------------------------------------------------------


def test_integrity_check_finds_gaps_and_incidents_without_a_report(store):
    _report(store)
    with store.engine.begin() as connection:  # bypass the store: a number taken without the counter
        connection.execute(
            insert(incidents).values(number=3, report={}, reported_at=WHEN, recorded_at=WHEN, recorded_by="intruder")
        )
    problems = "\n".join(store.integrity_problems())
    assert "beyond the counter" in problems and "3" in problems
    assert "incident 3 has no entries" in problems


def test_integrity_check_replays_the_entries(store):
    number = _report(store)[0].number
    with store.engine.begin() as connection:  # an entry the store would have refused
        connection.execute(
            insert(entries).values(incident_number=number, kind="resolved", at=WHEN, actor="x", payload={})
        )
    assert store.integrity_problems() == [
        f"incident {number}: entry 2 (resolved) is not allowed after reported",
        # written past the store, the entry did not move the status index either
        f"incident {number}: its latest entry is entry 2 (resolved), the status index says entry 1 (report)",
    ]


GUARDED = [
    "UPDATE incidents SET recorded_by = 'someone else'",
    "DELETE FROM incidents",
    "UPDATE entries SET actor = 'someone else'",
    "DELETE FROM entries",
    "UPDATE counters SET value = value + 5",
    "UPDATE counters SET value = 0",
    "DELETE FROM counters",
    "DELETE FROM bookings",
    "UPDATE bookings SET vehicle_id = 'C99'",
    "UPDATE bookings SET released_at = NULL",
]


def test_the_database_refuses_edits_and_deletes_of_records(store):
    number = _accepted(store, ["C07"], [])
    store.append(number, EntryKind.VOID, DESK, {"reason": "test"})  # the booking is now released
    before = store.incident(number)
    for statement in GUARDED:
        with pytest.raises(DBAPIError):
            with store.engine.begin() as connection:
                connection.exec_driver_sql(statement)
    assert store.incident(number) == before
    assert store.integrity_problems() == []


def test_an_older_database_gets_its_status_index_from_its_entries(store_url):
    """Migration 0012 fills ``latest_entries`` from the entries already recorded; the status filters
    then find exactly the incidents they found before, and the store keeps the index from there."""
    engine = create_store_engine(store_url)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
            command.upgrade(_alembic_config(connection), "0011")
            rows = {1: ["report", "options", "void"], 2: ["report", "options"], 3: ["report"]}
            for number, kinds in rows.items():
                connection.execute(text("UPDATE counters SET value = value + 1 WHERE name = 'incident_number'"))
                connection.execute(
                    text(
                        "INSERT INTO incidents (number, reported_at, report, recorded_at, recorded_by)"
                        " VALUES (:number, :at, '{\"vehicle_id\": \"c01\"}', :at, 'desk-1')"
                    ),
                    {"number": number, "at": WHEN},
                )
                for kind in kinds:
                    connection.execute(
                        text(
                            "INSERT INTO entries (incident_number, kind, at, actor, payload)"
                            " VALUES (:number, :kind, :at, 'desk-1', '{}')"
                        ),
                        {"number": number, "kind": kind, "at": WHEN},
                    )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        with store.engine.connect() as connection:
            indexed = {row.number: row.kind for row in connection.execute(select(latest_entries))}
        assert indexed == {1: "void", 2: "options", 3: "report"}
        assert [h.number for h in store.incident_heads({IncidentStatus.OPTIONS, IncidentStatus.REPORTED})] == [3, 2]
        assert [r.number for r in store.incidents({IncidentStatus.VOIDED})] == [1]
        store.append(3, EntryKind.VOID, DESK, {"reason": "test"})
        assert [r.number for r in store.incidents({IncidentStatus.VOIDED})] == [3, 1]
        assert store.integrity_problems() == []


def test_the_store_only_updates_the_counter_bookings_and_status_index_and_never_deletes(store):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    number = _accepted(store, ["C07"], ["D03"])
    store.append(number, EntryKind.ON_SCENE, DESK, {})
    store.append(number, EntryKind.RESOLVED, DESK, {})
    store.append(number, EntryKind.FOLLOW_UP, DESK, {})
    store.append(_accepted(store, ["C08"], []), EntryKind.VOID, DESK, {"reason": "test"})
    store.add_user("viewer", Role.VIEWER)
    event.remove(store.engine, "before_cursor_execute", record)

    words = [statement.split(None, 2) for statement in statements]
    assert not [w for w in words if w[0].upper() == "DELETE"]
    updated = {w[1].strip('"') for w in words if w[0].upper() == "UPDATE"}
    assert updated == {"counters", "bookings", "latest_entries"}  # the record itself is only ever appended to


def test_the_migrations_build_exactly_the_declared_schema(store):
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_reopening_keeps_the_records_and_migrating_twice_changes_nothing(store_url):
    with open_store(store_url) as first:
        _accepted(first, ["C07"], ["D03"])
        token = first.add_user("li", Role.ADMIN)
    with open_store(store_url) as again:
        assert again.incident(1).status == IncidentStatus.ACCEPTED
        assert len(again.bookings()) == 2
        assert again.user_for_token(token).name == "li"
        assert _report(again)[0].number == 2
        assert again.integrity_problems() == []


# --- backend set-up and pure helpers --------------------------------------------------------------


def test_sqlite_connections_are_durable_wal_with_foreign_keys(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'records.db'}") as store, store.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30_000}


def test_sqlite_connections_are_kept_after_a_burst_of_requests(tmp_path):
    """Twenty requests at once open twenty connections; all stay in the pool, none is opened again
    (each new one sets its pragmas and reads the WAL: under load that showed in every request)."""
    with open_store(f"sqlite:///{tmp_path / 'records.db'}") as store:
        opened: list[int] = []
        event.listen(store.engine, "connect", lambda *_: opened.append(1))
        for burst in (1, 2):
            held = [store.engine.connect() for _ in range(20)]
            for connection in held:
                connection.close()
            assert store.engine.pool.checkedin() >= 20
            if burst == 1:
                assert opened, "the burst opened no connection: the test sees nothing"
                opened.clear()
        assert opened == []  # the second burst found every connection it needed in the pool


def test_unsupported_database_urls_are_refused_with_a_reason(tmp_path):
    with pytest.raises(RecordError, match="not memory"):
        SqlRecordStore("sqlite://")
    with pytest.raises(RecordError, match="unsupported backend 'mysql'"):
        SqlRecordStore("mysql://localhost/fleetplan")
    with pytest.raises(RecordError, match="cannot parse"):
        SqlRecordStore("not a url")


def test_the_status_is_the_one_the_latest_entry_leads_to():
    assert derive_status([EntryKind.REPORT]) == IncidentStatus.REPORTED
    assert derive_status([EntryKind.REPORT, EntryKind.OPTIONS, EntryKind.OPTIONS]) == IncidentStatus.OPTIONS
    assert derive_status([EntryKind.REPORT, EntryKind.OPTIONS, EntryKind.VOID]) == IncidentStatus.VOIDED
    with pytest.raises(ValueError):
        derive_status([])
    # Every status is reachable by exactly one entry kind, so the latest entry decides.
    reachable = {kind for kinds in NEXT_ENTRIES.values() for kind in kinds} | {EntryKind.REPORT}
    assert {derive_status([EntryKind.REPORT, kind]) for kind in reachable} == set(IncidentStatus)


def test_lifecycle_replay_names_the_illegal_step():
    assert lifecycle_problems(4, [EntryKind.REPORT, EntryKind.OPTIONS, EntryKind.ACCEPT]) == []
    assert lifecycle_problems(4, []) == ["incident 4 has no entries"]
    assert lifecycle_problems(4, [EntryKind.OPTIONS]) == ["incident 4: the first entry is options, not report"]
    assert lifecycle_problems(4, [EntryKind.REPORT, EntryKind.VOID, EntryKind.OPTIONS]) == [
        "incident 4: entry 3 (options) is not allowed after voided"
    ]


def test_timestamps_come_from_the_store_clock(tmp_path):
    moments = iter(WHEN + timedelta(minutes=minute) for minute in range(100))
    with open_store(f"sqlite:///{tmp_path / 'records.db'}", clock=lambda: next(moments)) as store:
        number = _with_options(store)
        record = store.accept(number, DESK, {"rank": 1}, ["C07"], [])
    assert [entry.at for entry in record.entries] == [WHEN + timedelta(minutes=m) for m in range(3)]
