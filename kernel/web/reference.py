"""``GET /docs``: a browsable reference of ``/openapi.json`` (Swagger UI), served entirely by the app.

The assets come from the ``openapi-ui-bundles`` package (Swagger UI 5, which reads OpenAPI 3.1;
the older ``swagger-ui-bundle`` package ships Swagger UI 4, which refuses 3.1 documents), so the
page loads nothing from the internet, and its Content-Security-Policy says so to the browser:
scripts, styles, images and requests from this origin only. The page has no inline script.
"""

from __future__ import annotations

from collections.abc import Mapping

from openapi_ui_bundles import swagger_ui
from starlette.responses import FileResponse, HTMLResponse, Response

from kernel.web.problems import not_found

PREFIX = "/docs"

# Everything from this origin only: no inline script or style, no eval (checked in a real browser).
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

# The only files served under /docs/, with their types: an allow-list, not a directory listing.
ASSETS: Mapping[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

# validatorUrl: null keeps Swagger UI from sending the document to validator.swagger.io.
START_SCRIPT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""

PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>meiji API reference</title>
<link rel="stylesheet" href="{PREFIX}/swagger-ui.css">
<link rel="icon" type="image/png" href="{PREFIX}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{PREFIX}/swagger-ui-bundle.js"></script>
<script src="{PREFIX}/start.js"></script>
</body>
</html>
"""

# The assets change only with the package version: a day in caches is plenty.
ASSET_CACHE = "public, max-age=86400"


def page() -> Response:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})


def asset(name: str) -> Response:
    """One file of the page, or 404 for any other name."""
    if name == "start.js":
        return Response(START_SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": ASSET_CACHE})
    media_type = ASSETS.get(name)
    if media_type is None:
        raise not_found("file")
    return FileResponse(swagger_ui.static_path / name, media_type=media_type,
                        headers={"Cache-Control": ASSET_CACHE})
