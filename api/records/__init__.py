"""The operator's records: the contract (:mod:`api.records.types`) and its SQL store."""

from api.records.lifecycle import derive_status
from api.records.sql import SqlRecordStore, open_store, token_hash
from api.records.types import (
    NEXT_ENTRIES,
    Booking,
    BookingConflict,
    Entry,
    EntryKind,
    IdempotencyMismatch,
    IncidentHead,
    IncidentQuery,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    JointAccept,
    NotFound,
    RecordError,
    RecordStore,
    ResourceUnusable,
    Role,
    User,
)

__all__ = [
    "NEXT_ENTRIES",
    "Booking",
    "BookingConflict",
    "Entry",
    "EntryKind",
    "IdempotencyMismatch",
    "IncidentHead",
    "IncidentQuery",
    "IncidentRecord",
    "IncidentStatus",
    "InvalidTransition",
    "JointAccept",
    "NotFound",
    "RecordError",
    "RecordStore",
    "ResourceUnusable",
    "Role",
    "SqlRecordStore",
    "User",
    "derive_status",
    "open_store",
    "token_hash",
]
