"""``GET /docs`` in a real browser: the reference renders every operation under its own strict CSP,
and the page asks no other host for anything.

Headless Chromium (Debian's, driven by Playwright) opens ``/docs``; every request it makes is
answered by the app itself (through the test client, headers included, so the browser enforces the
page's Content-Security-Policy), and every request for another host is recorded and refused.
"""

from __future__ import annotations

import shutil

import pytest
from starlette.testclient import TestClient

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGE_HOST = "meiji.test"
# Recorded before any script of the page runs: what the CSP refused, and script errors.
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__refused.push(e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => window.__refused.push("error: " + e.message));
"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)")
def test_the_reference_renders_every_operation_from_the_app_alone(client: TestClient) -> None:
    from playwright.sync_api import Route, sync_playwright

    foreign: list[str] = []
    answered: list[str] = []
    origin = f"http://{PAGE_HOST}"

    def answer(route: Route) -> None:
        request = route.request
        if not request.url.startswith(origin + "/"):
            foreign.append(request.url)
            route.abort()
            return
        r = client.request(request.method, request.url[len(origin):], headers={
            k: v for k, v in request.headers.items() if k.lower() in ("accept", "content-type", "authorization")})
        answered.append(f"{r.status_code} {request.url[len(origin):]}")
        route.fulfill(status=r.status_code, headers=dict(r.headers), body=r.content)

    operations = sum(len(ops) for ops in client.get("/openapi.json").json()["paths"].values())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.add_init_script(WATCH)
            page.route("**/*", answer)
            page.goto(f"{origin}/docs")
            # Swagger UI fetches /openapi.json and draws one block per operation.
            page.wait_for_selector(".opblock", timeout=60_000)
            shown = page.locator(".opblock").count()
            # Open an operation with a request body and its example, as a reader would.
            page.locator(".opblock-post .opblock-summary").first.click()
            page.wait_for_selector(".opblock-body", timeout=60_000)
            body = page.locator(".opblock-body").first.inner_text()
            title = page.locator(".info .title").inner_text()
            refused = page.evaluate("window.__refused")
        finally:
            browser.close()

    assert foreign == []
    assert refused == []
    assert shown == operations
    assert "meiji" in title
    assert "Who may call it" in body
    assert "200 /openapi.json" in answered and all(a.startswith("200 ") for a in answered), answered
