"""HTTP routes: wiki."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("wiki")
routes = api.routes
