"""What a report costs the records (issue 18 §5). One service process keeps every desk's records, so a
statement repeated on the report path is paid by every report under load.

A lone report reads its incident whole three times: its own record when stored, the re-plan's look at
it (its status and the crews proposed before), and the answer. The bookings are read once for its
dispatch. Two reports planned together read each incident whole once more, never after storing their
options (the batch has no use for the records). Counted with SQLAlchemy's statement events, with the
desk's own timed work (the alert detector, the message sender) off so that only the report is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.api.http_support import running_desk, sqlite_url

AT = "2026-12-08T07:40"  # inside the default timetable's week: accepted on any day
QUIET = {"detect_every_s": 0, "message_send_every_s": 0}  # no look for alerts, no send, meanwhile
WHOLE_INCIDENT = "SELECT entries.id, entries.incident_number, entries.kind"  # with the payloads
BOOKINGS = "SELECT bookings.incident_number, bookings.vehicle_id, bookings.driver_id"


@contextmanager
def statements(desk) -> Iterator[Counter]:
    """The SQL statements the service's records engine runs meanwhile, counted by text."""
    engine = desk.client.app.state.desk.store.engine
    seen: Counter = Counter()

    def count(_connection, _cursor, statement, *_args) -> None:
        seen[" ".join(statement.split())] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def starting(seen: Counter, prefix: str) -> int:
    return sum(n for statement, n in seen.items() if statement.startswith(prefix))


def report(desk, vehicle_id: str) -> dict:
    body = {"vehicle_id": vehicle_id, "location": "G1 K90 toward Changchun", "time": AT, "passengers": 30}
    answer = desk.client.post("/incidents", json=body, headers=desk.headers())
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_lone_report_reads_its_incident_whole_three_times_and_the_bookings_once(tmp_path):
    with running_desk(sqlite_url(tmp_path), **QUIET) as desk, statements(desk) as seen:
        answered = report(desk, "c05")
    assert answered["status"] == "options" and answered["options"]["plans"]
    assert starting(seen, WHOLE_INCIDENT) == 3
    assert starting(seen, BOOKINGS) == 1
    assert sum(seen.values()) <= 37, seen


def test_a_report_planned_with_another_reads_each_whole_once_more_and_nothing_after_storing(tmp_path):
    with running_desk(sqlite_url(tmp_path), **QUIET) as desk:
        report(desk, "c05")
        with statements(desk) as seen:
            answered = report(desk, "c07")
    assert answered["options"].get("joint"), "the two reports near in time are planned together"
    assert starting(seen, WHOLE_INCIDENT) == 4  # the new one's three, and its partner's in the re-plan
    assert starting(seen, BOOKINGS) == 1
    assert sum(seen.values()) <= 44, seen
