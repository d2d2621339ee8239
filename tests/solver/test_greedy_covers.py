"""The trip covers a dispatcher would add by hand (solver.dispatch.greedy.cover_trips): the hand-made
plan, and the start of every search that settles the rescues first."""

from __future__ import annotations

from solver.dispatch.greedy import cover_trips
from solver.dispatch.plans import objective_from

from tests.solver.factory import InstanceBuilder


def test_a_trip_goes_to_a_crew_no_later_trip_waits_for_before_a_nearer_one_that_a_later_trip_needs():
    b = InstanceBuilder().group("g", 20)
    rescuer, near, far = b.crew("vA", "dA", 49), b.crew("vB", "dB", 49), b.crew("vC", "dC", 49)
    rescue = b.rescue(rescuer, "g", eta_min=20)
    b.trip("T1", 60, "vA", "dA")  # the rescuer's own trip: someone else runs it
    b.trip("T2", 200, "vB", "dB")  # the nearer crew's own later trip
    near_t1 = b.trip_option(near, "T1", deadhead_km=5)
    far_t1 = b.trip_option(far, "T1", deadhead_km=10)
    own_t2 = b.trip_option(near, "T2")
    b.trip_option(far, "T2", deadhead_km=10)
    instance = b.build()
    covers = cover_trips(instance, [rescue])
    assert covers == [far_t1, own_t2]
    assert near_t1 not in covers
    assert objective_from(instance, {rescue: 20}, frozenset(covers)).trips_recrewed == 1  # T1 alone


def test_a_later_departure_still_outranks_a_crew_a_later_trip_needs():
    b = InstanceBuilder().group("g", 20)
    rescuer, near, far = b.crew("vA", "dA", 49), b.crew("vB", "dB", 49), b.crew("vC", "dC", 49)
    rescue = b.rescue(rescuer, "g", eta_min=20)
    b.trip("T1", 60, "vA", "dA")
    b.trip("T2", 200, "vB", "dB")
    on_time = b.trip_option(near, "T1")
    b.trip_option(far, "T1", shift_min=15)  # free, but the trip would leave 15 min late
    b.trip_option(far, "T2")
    instance = b.build()
    assert cover_trips(instance, [rescue])[0] == on_time  # retimed minutes rank before recrewed trips
