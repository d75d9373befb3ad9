"""HTTP routes: diaries."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("diaries")
routes = api.routes
