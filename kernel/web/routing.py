"""Routes found by their first two path segments instead of tried one after another.

Starlette's router tries every route's regular expression in order until one matches: with about
ninety routes, a request for ``/v1/search`` or ``/v1/me/feed`` tried most of them (16-29 µs a
request, as much as a page's SQL). ``Routes`` is one route standing for all of them: it looks the
request's first two segments up (``/v1/diaries``), then tries, in their declared order, only the
routes that begin with those segments and the few whose first two segments hold a parameter
(``/docs/{file}``), which could match any path. The answer is the one Starlette's loop gives: the
first route that matches in full wins, else the first that matches but for the method (405), and
``scope["route"]`` is that route, as Starlette sets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


def _key(path: str) -> str:
    """The first two segments of a path: ``/v1/questions`` for ``/v1/questions/5/answers``."""
    return "/".join(path.split("/", 3)[:3])


class Routes(BaseRoute):
    """Every route of the app behind one lookup by the first two path segments."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = list(routes)
        # A parameter in the first two segments (or a route without a path) may match any request: None.
        keys = [self._literal_key(route) for route in self.routes]
        self._anywhere = [route for route, key in zip(self.routes, keys, strict=True) if key is None]
        self._by_key: dict[str, list[BaseRoute]] = {
            key: [route for route, other in zip(self.routes, keys, strict=True) if other in (key, None)]
            for key in dict.fromkeys(keys) if key is not None}

    @staticmethod
    def _literal_key(route: BaseRoute) -> str | None:
        path: str | None = getattr(route, "path", None)
        key = _key(path) if path is not None else None
        return key if key is not None and "{" not in key else None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        partial: tuple[Match, Scope] | None = None
        for route in self._by_key.get(_key(get_route_path(scope)), self._anywhere):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, {**child_scope, "route": route}
            if match == Match.PARTIAL and partial is None:
                partial = (match, {**child_scope, "route": route})
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]  # the router set it from the match's scope
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


def flattened(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """The routes an app serves, those behind a ``Routes`` included, in their declared order."""
    return [inner for route in routes for inner in (route.routes if isinstance(route, Routes) else [route])]
