"""The independent oracle (docs/world-model.md; DESIGN §3): re-derives every claim of a plan from the
raw tables with its own, deliberately simple code.

It imports the standard library and, of fleetplan, only ``fleetplan.plan``, ``fleetplan.model`` and
``fleetplan.errors`` — none of the builder, the rules, the travel model or the tiers of the engine
(``tests/test_architecture.py`` holds it to that). Inside, by concept:

- :mod:`~fleetplan.oracle.world` (plain frozen rows), :mod:`~fleetplan.oracle.reading` (its own reader:
  ``csv`` and ``tomllib``) and :mod:`~fleetplan.oracle.from_dataset` (a dataset changed in memory);
- :mod:`~fleetplan.oracle.roads` (the directed graph, closures), :mod:`~fleetplan.oracle.speed` (the
  speed table, time-dependent per edge, exact fractions), :mod:`~fleetplan.oracle.places` (locating)
  and :mod:`~fleetplan.oracle.paths` (time-dependent Dijkstra, road distances);
- :mod:`~fleetplan.oracle.duty` (continuous driving, 24 h / 7 days, 02:00–05:00, shift, the person);
- :mod:`~fleetplan.oracle.case`, :mod:`~fleetplan.oracle.facts` and :mod:`~fleetplan.oracle.deadlines`
  (the case, what follows from it, the tiers);
- :mod:`~fleetplan.oracle.check` with :mod:`~fleetplan.oracle.check_rescue`,
  :mod:`~fleetplan.oracle.check_standing`, :mod:`~fleetplan.oracle.check_passing`,
  :mod:`~fleetplan.oracle.check_cover` and :mod:`~fleetplan.oracle.rescue_common` (the claims).

Use: ``world = read_world("data/default")`` (or :func:`world_from_dataset`), a :class:`Case` of
:class:`CaseIncident` (or :func:`case_of` the model's incidents) with the conditions, then
:func:`check_plan` (one plan) or :func:`check_dispatch` (the ranked plans of one dispatch): every
:class:`Disagreement` is a problem with the plan.
"""

from __future__ import annotations

from fleetplan.oracle.case import Case, CaseIncident, Disagreement, case_of, preset_for
from fleetplan.oracle.check import check_dispatch, check_plan
from fleetplan.oracle.deadlines import TierVerdict, tier_of
from fleetplan.oracle.duty import Finding, Interval
from fleetplan.oracle.from_dataset import world_from_dataset
from fleetplan.oracle.paths import Route, Router, road_distance_m
from fleetplan.oracle.places import Place, locate
from fleetplan.oracle.reading import read_world
from fleetplan.oracle.roads import Graph, build_graph
from fleetplan.oracle.sightings import CaseFix
from fleetplan.oracle.world import World

__all__ = [
    "CaseFix",
    "Case",
    "CaseIncident",
    "Disagreement",
    "Finding",
    "Graph",
    "Interval",
    "Place",
    "Route",
    "Router",
    "TierVerdict",
    "World",
    "build_graph",
    "case_of",
    "check_dispatch",
    "check_plan",
    "locate",
    "preset_for",
    "read_world",
    "road_distance_m",
    "tier_of",
    "world_from_dataset",
]
