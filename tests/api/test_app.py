"""The HTTP service of the foundation: health, network GeoJSON, fleet and drivers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as test_client:
        yield test_client


def test_health_reports_the_loaded_data(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["vehicles"] >= 24 and body["drivers"] >= 30 and body["network_nodes"] > 20


def test_network_is_geojson_with_nodes_and_edges(client):
    body = client.get("/network").json()
    assert body["type"] == "FeatureCollection"
    kinds = {feature["geometry"]["type"] for feature in body["features"]}
    assert kinds == {"Point", "LineString"}
    for feature in body["features"]:
        if feature["geometry"]["type"] == "Point":
            lon, lat = feature["geometry"]["coordinates"]
            assert 42.9 < lat < 44.2 and 124.0 < lon < 125.9  # the corridor, in GeoJSON's lon,lat order


def test_fleet_and_drivers_match_the_cli_contract(client):
    fleet = client.get("/fleet").json()
    assert {"id", "class", "seats", "length_m", "depot", "status"} <= fleet[0].keys()
    drivers = client.get("/drivers").json()
    assert {"id", "licence_class", "depot"} <= drivers[0].keys()


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/network", "/fleet", "/drivers"} <= paths.keys()


def test_unknown_path_is_404_json(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "detail" in response.json()
