"""Phones and contacts in the data: drivers' mobiles, ``contacts.csv`` (optional) and their checks."""

from __future__ import annotations

import shutil
from datetime import date, time
from pathlib import Path

import pytest

from fleetplan.contacts import Contact, ContactRole, with_role
from fleetplan.corridor import validate_corridor
from fleetplan.dataset import CONTACTS, DRIVERS, load_dataset
from fleetplan.errors import DataValidationError, InvalidValueError
from fleetplan.model import Driver, LicenceClass

from tests.fleetplan.test_dataset import DEFAULT_DIR, edit, row_of, where

CAMPUS_STOPS = {"jlnu_siping_campus", "changchun_hightech"}


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DEFAULT_DIR)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the default data, network included (contacts name network nodes)."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DIR, target)
    return target


# --------------------------------------------------------------------------- the default data
def test_every_driver_has_a_mobile_of_their_own(dataset):
    phones = [driver.phone for driver in dataset.drivers]
    assert all(p and len(p) == 11 and p.isdigit() and p[:2] in ("13", "15", "18") for p in phones), phones
    assert len(set(phones)) == len(phones)


def test_the_contacts_are_a_transport_office_per_campus_the_duty_manager_and_the_police(dataset):
    offices = with_role(dataset.contacts, ContactRole.UNIVERSITY_TRANSPORT_OFFICE)
    assert {office.node_id for office in offices} == CAMPUS_STOPS
    (manager,) = with_role(dataset.contacts, ContactRole.DUTY_MANAGER)
    (police,) = with_role(dataset.contacts, ContactRole.HIGHWAY_POLICE)
    assert police.phone == "12122" and police.node_id is None
    assert manager.phone.isdigit() and all(contact.name_zh for contact in dataset.contacts)


def test_the_default_corridor_including_its_contacts_is_valid():
    assert validate_corridor(DEFAULT_DIR) == []


# --------------------------------------------------------------------------- optional parts
def test_a_dataset_without_contacts_has_none(data_dir):
    (data_dir / CONTACTS).unlink()
    assert load_dataset(data_dir).contacts == ()


def test_drivers_without_a_phone_column_or_cell_load(data_dir):
    drivers = data_dir / DRIVERS
    lines = drivers.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("phone")
    kept = [
        line if line.startswith("#") else ",".join(c for i, c in enumerate(line.split(",")) if i != column)
        for line in lines
    ]
    drivers.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert all(driver.phone is None for driver in load_dataset(data_dir).drivers)


# --------------------------------------------------------------------------- problems, named
def test_a_bad_driver_phone_names_the_file_row_and_column(data_dir):
    drivers = data_dir / DRIVERS
    phone = load_dataset(data_dir).driver("d05").phone
    edit(drivers, f",{phone},", ",138-1234-5678,")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    assert where(caught.value.problems) == {(DRIVERS, row_of(drivers, "d05,"), "phone")}
    assert "phone number" in str(caught.value)


@pytest.mark.parametrize(
    "old, new, column",
    [
        (",12122,", ",12,", "phone"),  # too short
        (",12122,", ",+86 139 0434 8866,", "phone"),
        ("highway_police,highway_police,", "highway_police,traffic_police,", "role"),
        (",jlnu_siping_campus,", ",,", "node_id"),  # a university office names its campus
    ],
)
def test_a_bad_contact_row_names_the_file_row_and_column(data_dir, old, new, column):
    contacts = data_dir / CONTACTS
    prefix = "highway_police," if "122" in old or "police" in old else "jlnu_siping_transport,"
    row = row_of(contacts, prefix)
    edit(contacts, old, new)
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    assert where(caught.value.problems) == {(CONTACTS, row, column)}


def test_a_repeated_contact_id_is_a_problem(data_dir):
    contacts = data_dir / CONTACTS
    edit(contacts, "duty_manager,duty_manager,", "highway_police,duty_manager,")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(data_dir)
    assert [(p.file, p.column) for p in caught.value.problems] == [(CONTACTS, "id")]


def test_a_campus_stop_off_the_network_is_a_problem_of_the_corridor(data_dir):
    edit(data_dir / CONTACTS, ",changchun_hightech,", ",changchun_campus,")
    problems = validate_corridor(data_dir)
    assert [(p.file, p.column) for p in problems] == [(CONTACTS, "node_id")]
    assert "changchun_campus" in problems[0].message


# --------------------------------------------------------------------------- the domain objects
@pytest.mark.parametrize("phone", ["12", "1" * 21, "139 0434", "+", "+8613904348866x", "１３９０４３４８８６６"])
def test_a_driver_s_phone_is_validated_naming_the_field(phone):
    with pytest.raises(InvalidValueError) as caught:
        Driver("d1", "王", LicenceClass.A1, date(2010, 1, 1), date(1980, 1, 1), None, "depot", time(7), time(19), phone)
    assert caught.value.field == "phone"


@pytest.mark.parametrize("phone", ["12122", "+8613904348866", "04343290512"])
def test_phones_as_written_by_people_are_accepted(phone):
    assert Contact("x", ContactRole.DUTY_MANAGER, "Duty", "值班", phone).phone == phone
