"""HTTP routes: likes."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("likes")
routes = api.routes
