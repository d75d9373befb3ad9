"""HTTP routes: reviews."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("reviews")
routes = api.routes
