"""HTTP routes of the media room."""

from starlette.routing import Route

routes: list[Route] = []
