"""HTTP routes: questions."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("questions")
routes = api.routes
