"""GET /health, and the OpenAPI document as a whole: every route documented, errors with a schema."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from tests.api.http_support import running_desk, sqlite_url

CONTRACT_PATHS = {
    "/health": {"get"},
    "/network": {"get"},
    "/fleet": {"get"},
    "/fleet/{vehicle_id}": {"patch"},
    "/drivers": {"get"},
    "/closures": {"get", "post"},
    "/closures/{closure_id}": {"delete"},
    "/incidents": {"get", "post"},
    "/incidents/{number}": {"get"},
    "/incidents/{number}/options": {"post"},
    "/incidents/{number}/accept": {"post"},
    "/incidents/{number}/on-scene": {"post"},
    "/incidents/{number}/resolved": {"post"},
    "/incidents/{number}/follow-up": {"post"},
    "/incidents/{number}/void": {"post"},
    "/incidents/{number}/messages": {"get"},
    "/incidents/{number}/messages/{message_id}/ack": {"post"},
    "/incidents/{number}/messages/{message_id}/resend": {"post"},
    "/kpis": {"get"},
}
MUTATING = {"post", "patch", "delete"}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with running_desk(sqlite_url(tmp_path_factory.mktemp("health"))) as running:
        yield running


@pytest.fixture(scope="module")
def openapi(desk):
    return desk.client.get("/openapi.json").json()


def test_health_needs_no_token_and_reports_data_and_database(desk):
    response = desk.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["vehicles"] >= 24 and body["drivers"] >= 30 and body["network_nodes"] > 20


def test_health_reports_a_database_that_does_not_answer(desk, monkeypatch):
    def refuse() -> bool:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(desk.client.app.state.store, "has_users", refuse)
    response = desk.client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"].startswith("unavailable")


def test_openapi_has_every_route_of_the_contract(openapi):
    paths = {path: set(operations) for path, operations in openapi["paths"].items()}
    for path, methods in CONTRACT_PATHS.items():
        assert methods <= paths.get(path, set()), path


def test_every_route_has_a_success_schema_and_documented_errors(openapi):
    for path, methods in CONTRACT_PATHS.items():
        for method in methods:
            responses = openapi["paths"][path][method]["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert success, f"{method} {path}"
            for code in success:
                if code != "204":
                    assert "schema" in responses[code]["content"]["application/json"], f"{method} {path} {code}"
            errors = [code for code in responses if code[0] == "4" and code != "422"]
            if path != "/health":
                assert {"401", "403"} <= set(errors), f"{method} {path}"
            if method in MUTATING and "{" in path:
                assert "404" in errors, f"{method} {path}"
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema["$ref"] in (
                    "#/components/schemas/ErrorBody",
                    "#/components/schemas/AcceptConflictBody",
                ), f"{method} {path} {code}"


def test_protected_routes_declare_bearer_security(openapi):
    assert openapi["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if path in CONTRACT_PATHS and path != "/health":
                assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"


def test_unknown_path_is_404_json(desk):
    response = desk.client.get("/nothing-here")
    assert response.status_code == 404
    assert "detail" in response.json()
