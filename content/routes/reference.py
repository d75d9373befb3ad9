"""HTTP routes: reference."""

from __future__ import annotations

from meiji.web.endpoints import Api

api = Api("reference")
routes = api.routes
