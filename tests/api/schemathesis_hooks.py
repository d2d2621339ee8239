"""Schemathesis' ``positive_data_acceptance``, except for what the corridor data and the records decide.

Schema-valid input may still be refused for what the data and the records hold: a place off the road,
a rank beyond the incident's options, an on-scene time before the report, a key already used with
another report. Each operation names those fields in its 400 (and 422) response's
``x-checked-against-data`` (see :func:`api.schemas.error_responses`); a refusal naming one of them is
not a failure, a refusal naming any other field is.

Registered as a schemathesis check when imported: by ``tests/api/test_schemathesis.py``, and by the
CLI against a running service::

    SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks schemathesis run --checks all \\
        --exclude-checks positive_data_acceptance -H "Authorization: Bearer $TOKEN" \\
        http://127.0.0.1:8000/openapi.json
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import RejectedPositiveData, positive_data_acceptance

from api.schemas import CHECKED_AGAINST_DATA


@schemathesis.check
def positive_data_acceptance_beyond_the_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, except a refusal naming a field checked against the data."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if named_field(response) in checked_against_data(case.operation, response.status_code):
            return None
        raise


def named_field(response: Any) -> str | None:
    """The field an error answer names: ``"<field>: …"`` (400) or the last of ``loc`` (422), lower case; in
    a list body, ``"[3].<field>: …"`` names the field of its fourth item."""
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(detail, str):
        return re.sub(r"^\[\d+\]\.", "", detail.partition(":")[0].strip()).lower()
    if isinstance(detail, list) and detail and isinstance(detail[0], dict) and detail[0].get("loc"):
        return str(detail[0]["loc"][-1]).lower()
    return None


def checked_against_data(operation: Any, status_code: int) -> set[str]:
    """The fields the operation's answer ``status_code`` documents as checked against the data."""
    documented = operation.definition.raw.get("responses", {}).get(str(status_code), {})
    return {field.lower() for field in documented.get(CHECKED_AGAINST_DATA, [])}


# --------------------------------------------------------------------------- GTFS-Realtime bodies
def _feed_message(vehicle_ids: list[str], lat: float, lon: float, stamp: int) -> bytes:
    from google.transit import gtfs_realtime_pb2

    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    for n, vehicle_id in enumerate(vehicle_ids):
        entity = feed.entity.add(id=str(n))
        entity.vehicle.vehicle.id = vehicle_id
        entity.vehicle.position.latitude, entity.vehicle.position.longitude = lat, lon
        entity.vehicle.timestamp = stamp
    return feed.SerializeToString()


# ``POST /positions/gtfs-rt`` takes application/x-protobuf: feeds of coaches known and unknown, at times
# in and out of the window, and bytes that are no feed at all
FEED_BODIES = st.one_of(
    st.binary(max_size=256),
    st.builds(
        _feed_message,
        st.lists(st.sampled_from(["c01", "c02", "c26", "c99", ""]), max_size=4),
        st.floats(-90, 90),
        st.floats(-180, 180),
        st.integers(0, 2**40),
    ),
)
schemathesis.openapi.media_type("application/x-protobuf", FEED_BODIES)
