"""GET /network (GeoJSON) and bearer-token access in general: 401 without or with an unknown token."""

from __future__ import annotations

import pytest

from tests.api.http_support import running_desk, sqlite_url


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with running_desk(sqlite_url(tmp_path_factory.mktemp("network"))) as running:
        yield running


def test_network_is_geojson_with_nodes_and_edges_in_the_corridor(desk):
    response = desk.get("/network")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    kinds = {feature["geometry"]["type"] for feature in body["features"]}
    assert kinds == {"Point", "LineString"}
    for feature in body["features"]:
        if feature["geometry"]["type"] == "Point":
            lon, lat = feature["geometry"]["coordinates"]
            assert 42.9 < lat < 44.2 and 124.0 < lon < 125.9  # GeoJSON's lon,lat order
            assert {"id", "name", "kind"} <= feature["properties"].keys()
        else:
            assert "road_class" in feature["properties"]


@pytest.mark.parametrize("role", ["viewer", "dispatcher", "planner", "admin"])
def test_every_role_may_read_the_network(desk, role):
    assert desk.get("/network", role=role).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "unknown", "basic", "empty"],
)
def test_without_a_known_bearer_token_it_is_401(desk, headers):
    response = desk.client.get("/network", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"].startswith("Authorization:")
