"""HTTP routes of the content room."""

from starlette.routing import Route

routes: list[Route] = []
