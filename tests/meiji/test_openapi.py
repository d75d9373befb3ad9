"""``GET /openapi.json`` is valid OpenAPI 3.1 and declares every route the app serves."""

from __future__ import annotations

from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient


def test_openapi_is_valid_3_1_json(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_openapi_lists_every_route_with_schemas(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    served = {(m, route.path) for route in client.app.routes  # type: ignore[attr-defined]
              if isinstance(route, Route) for m in (route.methods or ()) if m != "HEAD"}
    declared = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == declared
    create = doc["paths"]["/v1/accounts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AccountIn")
    assert "201" in create["responses"] and "422" in create["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_openapi_declares_the_case_token_header(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    case = doc["paths"]["/v1/notices/{case_id}"]["get"]
    header = {"name": "X-Case-Token", "in": "header", "required": False, "schema": {"type": "string"}}
    assert header in case["parameters"]


def test_list_answers_match_their_declared_schemas(client: TestClient) -> None:
    from meiji.app import endpoints_of
    from tests.conftest import sign_up

    admin = sign_up(client, role="admin")
    r = client.post("/v1/questions", headers=admin.headers,
                    json={"title": "水光针多久打一次？", "body": "<p>听说一个月一次，效果能维持多久？</p>",
                          "anonymous": False})
    assert r.status_code == 201
    checked = []
    for endpoint in endpoints_of(client.app.routes):  # type: ignore[attr-defined]
        if endpoint.method != "GET" or "{" in endpoint.path or endpoint.response is None:
            continue
        answer = client.get(endpoint.path, headers=admin.headers)
        if answer.status_code == 422:  # a list that needs filters (comments of a target, a search query)
            continue
        assert answer.status_code == 200, (endpoint.path, answer.text)
        endpoint.response.model_validate(answer.json())
        checked.append(endpoint.path)
    assert {"/v1/diaries", "/v1/questions", "/v1/moderation/queue", "/v1/me/notifications"} <= set(checked)
