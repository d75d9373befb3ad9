"""HTTP routes of the moderation room."""

from starlette.routing import Route

routes: list[Route] = []
