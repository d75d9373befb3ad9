"""HTTP routes: comments."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("comments")
routes = api.routes
