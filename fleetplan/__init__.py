"""fleetplan's domain: the corridor's coaches, drivers, timetable and roads, the Chinese driving rules,
response-time tiers, the dispatch instance and plans, and the evaluator that checks them.

The public names are importable from here (``from fleetplan import load_corridor, Incident``); each
loads its module on first use, so importing a light module (units, errors) never pulls in pandas or
networkx. Where things live: ``model`` (frozen domain objects), ``tiers``, ``rules`` (driver
legality), ``network`` (roads, locating, travel times), ``dataset`` and ``corridor`` (loading and
validation), ``state`` (the timetable's live picture), ``builder`` (the dispatch instance),
``instance`` and ``plan`` (what the solver reads and writes), ``evaluate`` and ``problems``.
"""

from __future__ import annotations

from fleetplan.exports import lazy_exports

_EXPORTS = {
    "fleetplan.corridor": ("Corridor", "load_corridor", "validate_corridor", "default_data_dir"),
    "fleetplan.errors": (
        "FleetplanError",
        "InvalidValueError",
        "UnknownIdError",
        "LocationError",
        "NoRouteError",
        "DataProblem",
        "DataValidationError",
    ),
    "fleetplan.evaluate": ("evaluate",),
    "fleetplan.instance": (
        "Instance",
        "StrandedGroup",
        "TripTask",
        "Crew",
        "CrewKind",
        "RescueOption",
        "TripOption",
        "Rejection",
        "RejectionCode",
    ),
    "fleetplan.model": (
        "Activity",
        "Conditions",
        "Dataset",
        "Driver",
        "DrivingPolicy",
        "DutyInterval",
        "Incident",
        "IncidentKind",
        "LicenceClass",
        "OvernightRule",
        "RoadClass",
        "Site",
        "SiteKind",
        "Stop",
        "Trip",
        "TripKind",
        "Vehicle",
        "VehicleClass",
        "VehicleStatus",
        "Weather",
    ),
    "fleetplan.network": ("RoadNetwork", "Location", "Route", "TravelTimes", "Direction", "TimeBand"),
    "fleetplan.operations": ("OperationsPolicy",),
    "fleetplan.plan": ("Plan", "Rescue", "TripCover", "Objective"),
    "fleetplan.problems": ("Problem", "ProblemCode"),
    "fleetplan.rules": (
        "ProposedDrive",
        "DriveVerdict",
        "DrivingState",
        "Violation",
        "check_drive",
        "driving_state",
        "personal_eligibility",
        "violations_at",
    ),
    "fleetplan.state": ("LiveState", "Whereabouts", "snapshot"),
    "fleetplan.tiers": ("Tier", "TierPolicy", "classify", "late_penalty", "tier_at"),
}
__all__, __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
