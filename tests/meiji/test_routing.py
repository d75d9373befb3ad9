"""Routes found by their first two segments answer exactly as Starlette's loop over every route."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match, Route
from starlette.testclient import TestClient

from kernel.web.routing import Routes
from meiji.app import all_routes

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def starlette_choice(routes: list[BaseRoute], scope: dict[str, object]) -> tuple[Match, BaseRoute | None]:
    """What ``starlette.routing.Router.app`` picks: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def concrete_paths() -> list[str]:
    """Every route's path with its parameters filled in, and paths no route serves."""
    paths = []
    for route in all_routes():
        assert isinstance(route, Route)
        for value in ("7", "shuang-yan-pi", "a/b"):
            paths.append(re.sub(r"\{[^}]+\}", value, route.path))
        paths.append(route.path.rstrip("/") + "/")  # a trailing slash: no route (redirects are off)
        paths.append(route.path + "/extra")
    return [*paths, "/", "", "/v1", "/v1/", "/nope", "/v1/nope/7", "/docs/swagger-ui.css", "/v1/diaries-x",
            "/v1//diaries", "/媒体/7"]


@pytest.mark.parametrize("method", METHODS)
def test_every_path_and_method_finds_the_route_the_full_loop_finds(method: str) -> None:
    routes = all_routes()
    indexed = Routes(routes)
    for path in concrete_paths():
        scope = {"type": "http", "path": path, "root_path": "", "method": method}
        expected_match, expected_route = starlette_choice(routes, scope)
        match, child_scope = indexed.matches(scope)
        assert match == expected_match, (method, path)
        assert child_scope.get("route") is expected_route, (method, path)
        if expected_route is not None:
            assert child_scope["path_params"] == expected_route.matches(scope)[1]["path_params"]


def test_a_root_path_is_taken_off_before_the_lookup() -> None:
    """Behind a proxy that serves the API under /api, the routes see the path without it."""
    indexed = Routes(all_routes())
    scope = {"type": "http", "path": "/api/v1/questions/5/answers", "root_path": "/api", "method": "GET"}
    match, child_scope = indexed.matches(scope)
    assert match == Match.FULL
    assert child_scope["route"].path == "/v1/questions/{id}/answers"
    assert child_scope["path_params"] == {"id": "5"}


def test_the_served_app_answers_through_the_lookup(client: TestClient) -> None:
    """Found routes answer, unknown paths are 404 problem+json, a known path with a wrong method 405."""
    assert client.get("/v1/diaries?limit=1").status_code == 200
    assert client.get("/v1/search?q=双眼皮").status_code == 200
    missing = client.get("/v1/diaries-x")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong = client.patch("/v1/search")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert client.get("/docs").status_code == 200
