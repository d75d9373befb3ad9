"""HTTP routes of the search room."""

from starlette.routing import Route

routes: list[Route] = []
