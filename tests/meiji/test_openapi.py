"""``GET /openapi.json`` is valid OpenAPI 3.1 and declares every route the app serves."""

from __future__ import annotations

import functools
from typing import Any

from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from kernel.web.routing import flattened


def test_openapi_is_valid_3_1_json(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_openapi_lists_every_route_with_schemas(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    served = {(m, route.path) for route in flattened(client.app.routes)  # type: ignore[attr-defined]
              if isinstance(route, Route) for m in (route.methods or ()) if m != "HEAD"}
    declared = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == declared
    create = doc["paths"]["/v1/accounts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AccountIn")
    assert "201" in create["responses"] and "422" in create["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_openapi_declares_the_case_token_as_a_security_scheme(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["caseToken"] == {**schemes["caseToken"], "type": "apiKey", "in": "header", "name": "X-Case-Token"}
    assert schemes["bearer"]["scheme"] == "bearer"
    case = doc["paths"]["/v1/notices/{case_id}"]["get"]
    assert {"caseToken": []} in case["security"] and {"bearer": []} in case["security"]
    # The scheme replaces the loose header parameter.
    assert all(p["name"] != "X-Case-Token" for p in case["parameters"])
    # Member routes need the bearer token; nothing else opens them.
    assert doc["paths"]["/v1/diaries"]["post"]["security"] == [{"bearer": []}]
    # Public reads may be called bare or with a token (the author then sees their own hidden posts).
    assert doc["paths"]["/v1/diaries"]["get"]["security"] == [{}, {"bearer": []}]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_operation_says_who_may_call_it_what_it_changes_and_its_errors(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    operations = _operations(doc)
    assert len(operations) > 80
    for method, path, op in operations:
        text = op.get("description", "")
        assert text.strip(), (method, path)
        assert "**Who may call it:**" in text and "**Changes:**" in text, (method, path)
        assert op.get("security"), (method, path)
        for code in op["responses"]:
            if code.startswith(("4", "5")):
                assert f"- `{code}`:" in text, (method, path, code)
    role = doc["paths"]["/v1/accounts/{id}/role"]["put"]["description"]
    assert "Admins only" in role
    queue = doc["paths"]["/v1/moderation/queue"]["get"]["description"]
    assert "Moderators and admins" in queue and "Nothing: it only reads." in queue
    diary = doc["paths"]["/v1/diaries"]["post"]["description"]
    assert "Idempotency-Key" in diary and "suspended account gets 403" in diary
    # 429 where a bucket counts the route: not on the liveness probe or the scraper's page.
    assert "429" in doc["paths"]["/v1/diaries"]["get"]["responses"]
    assert "429" in doc["paths"]["/media/public/{id}/{token}/{file}"]["get"]["responses"]
    assert "429" in doc["paths"]["/readyz"]["get"]["responses"]
    assert "429" not in doc["paths"]["/healthz"]["get"]["responses"]
    assert "429" not in doc["paths"]["/metrics"]["get"]["responses"]


def test_every_request_body_has_an_example_its_schema_accepts(client: TestClient) -> None:
    from meiji.app import endpoints_of
    from meiji.examples import REQUEST_EXAMPLES

    doc = client.get("/openapi.json").json()
    for method, path, op in _operations(doc):
        for spec in op.get("requestBody", {}).get("content", {}).values():
            assert "example" in spec or "examples" in spec, f"add an example for {method} {path} to meiji/examples.py"
    bodies = 0
    for endpoint in endpoints_of(client.app.routes):  # type: ignore[attr-defined]
        if endpoint.body is None or endpoint.raw_body:
            continue
        key = f"{endpoint.method} {endpoint.path}"
        assert key in REQUEST_EXAMPLES, f"add an example request body for {key} to meiji/examples.py"
        example = REQUEST_EXAMPLES[key]
        endpoint.body.model_validate(example)  # an example the route would refuse misleads
        bodies += 1
    assert bodies > 30
    notice = doc["paths"]["/v1/notices"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert "未经授权" in notice["description"]


def test_removed_content_answers_are_in_the_schema(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    legal = schemas["LegalRemoval"]["allOf"][1]
    assert set(legal["required"]) == {"case_id", "reason"}
    assert schemas["PolicyRemoval"]["allOf"][1]["required"] == ["reason"]
    diary = doc["paths"]["/v1/diaries/{id}"]["get"]["responses"]
    assert diary["451"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/LegalRemoval")
    assert diary["410"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/PolicyRemoval")
    # Content that cannot be removed does not pretend it can.
    assert "451" not in doc["paths"]["/v1/procedures/{slug}"]["get"]["responses"]


def test_a_removed_diary_answers_the_body_the_document_declares(client: TestClient) -> None:
    from tests.conftest import sign_up

    author, moderator, reader = sign_up(client), sign_up(client, role="moderator"), sign_up(client)
    r = client.post("/v1/diaries", headers=author.headers,
                    json={"title": "我的鼻综合日记", "procedure": "bi-zong-he", "operated_on": "2026-10-01"})
    if r.status_code == 422:  # the procedure list is empty on a fresh database: add it as an editor would
        editor = sign_up(client, role="editor")
        assert client.post("/v1/procedures", headers=editor.headers,
                           json={"slug": "bi-zong-he", "name": "鼻综合"}).status_code == 201
        r = client.post("/v1/diaries", headers=author.headers,
                        json={"title": "我的鼻综合日记", "procedure": "bi-zong-he", "operated_on": "2026-10-01"})
    assert r.status_code == 201, r.text
    diary_id = r.json()["id"]
    for _ in range(3):
        reporter = sign_up(client)
        assert client.post("/v1/reports", headers=reporter.headers,
                           json={"target_type": "diary", "target_id": diary_id, "reason": "advertising",
                                 "detail": "日记里全是诊所的优惠价和微信号。"}).status_code == 201
    queue = client.get("/v1/moderation/queue", headers=moderator.headers).json()["items"]
    item = next(i for i in queue if i["target"]["id"] == diary_id)
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", headers=moderator.headers,
                    json={"action": "remove", "reason": "日记内容是诊所广告。"})
    assert r.status_code == 200, r.text

    doc = client.get("/openapi.json").json()
    declared = doc["paths"]["/v1/diaries/{id}"]["get"]["responses"]
    answer = client.get(f"/v1/diaries/{diary_id}", headers=reader.headers)
    assert str(answer.status_code) in declared and answer.status_code in (410, 451)
    schema = doc["components"]["schemas"][declared[str(answer.status_code)]["content"][
        "application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(schema["allOf"][1]["required"]) <= set(answer.json())
    # Its author still reads it.
    assert client.get(f"/v1/diaries/{diary_id}", headers=author.headers).status_code == 200


def test_list_answers_match_their_declared_schemas(client: TestClient) -> None:
    from meiji.app import endpoints_of
    from tests.conftest import sign_up

    admin = sign_up(client, role="admin")
    r = client.post("/v1/questions", headers=admin.headers,
                    json={"title": "水光针多久打一次？", "body": "<p>听说一个月一次，效果能维持多久？</p>",
                          "anonymous": False})
    assert r.status_code == 201
    checked = []
    for endpoint in endpoints_of(client.app.routes):  # type: ignore[attr-defined]
        if endpoint.method != "GET" or "{" in endpoint.path or endpoint.response is None:
            continue
        answer = client.get(endpoint.path, headers=admin.headers)
        if answer.status_code == 422:  # a list that needs filters (comments of a target, a search query)
            continue
        assert answer.status_code == 200, (endpoint.path, answer.text)
        endpoint.response.model_validate(answer.json())
        checked.append(endpoint.path)
    assert {"/v1/diaries", "/v1/questions", "/v1/moderation/queue", "/v1/me/notifications"} <= set(checked)


def test_docs_is_a_reference_served_entirely_by_the_app(client: TestClient) -> None:
    import re

    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    # Every script, style and icon is one of ours; nothing names another host.
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert referenced and all(url.startswith("/docs/") for url in referenced), referenced
    assert "//" not in html
    assert "<script>" not in html  # no inline script: the CSP below forbids it
    # The browser is told the same: only this origin, no framing.
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp and "*" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"

    for url in [*referenced, "/docs/start.js"]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["x-content-type-options"] == "nosniff"
    start = client.get("/docs/start.js")
    assert start.headers["content-type"].startswith("text/javascript")
    assert '"/openapi.json"' in start.text and "validatorUrl: null" in start.text
    assert "http" not in start.text
    bundle = client.get("/docs/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript") and len(bundle.content) > 500_000
    assert client.get("/docs/swagger-ui.css").headers["content-type"].startswith("text/css")


def test_docs_serves_only_its_own_files(client: TestClient) -> None:
    for name in ("index.html", "..%2F..%2Fpyproject.toml", "swagger-ui-bundle.js.map", "start.js.bak"):
        r = client.get(f"/docs/{name}")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", name


def test_a_route_may_say_why_an_error_happens() -> None:
    from kernel.web.endpoints import Api, Call
    from kernel.web.openapi import document

    api = Api("reference")

    @api.route("POST", "/v1/things", status=201, auth="editor", errors={409: "同名的项目已经存在。"})
    async def create_thing(call: Call[None, None]) -> object:
        """Add a thing."""
        return {}

    @api.route("GET", "/v1/things/{id}")
    async def get_thing(call: Call[None, None]) -> object:
        """One thing, as its editor saved it (with its history): what a reader sees.

        Removed things answer 404."""
        return {}

    doc = document(api.endpoints, title="t", version="1")
    one = doc["paths"]["/v1/things/{id}"]["get"]
    assert one["summary"] == "One thing, as its editor saved it (with its history)"
    assert one["description"].startswith("One thing, as its editor saved it (with its history): what a reader "
                                         "sees.\n\nRemoved things answer 404.")
    op = doc["paths"]["/v1/things"]["post"]
    assert op["responses"]["409"]["description"] == "同名的项目已经存在。"
    assert "- `409`: 同名的项目已经存在。" in op["description"]
    assert "Editors and admins" in op["description"] and op["security"] == [{"bearer": []}]
    validate(doc)


def _removed_world(client: TestClient) -> tuple[dict[str, str], Any, Any]:
    """One object of every removable kind, each removed after a legal notice: their ids and the author."""
    from content.services import set_status
    from tests.conftest import sign_up

    author, editor, helper = sign_up(client), sign_up(client, role="editor"), sign_up(client)
    a, e, h = author.headers, editor.headers, helper.headers

    def made(r: Any) -> str:
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    procedure = client.post("/v1/procedures", headers=e, json={"slug": "shui-guang-zhen", "name": "水光针"})
    assert procedure.status_code == 201, procedure.text
    clinic = made(client.post("/v1/clinics", headers=e, json={"name": "杭州悦美医疗美容诊所", "city": "杭州"}))
    ids = {"diary": made(client.post("/v1/diaries", headers=a, json={
        "title": "水光针三次记录", "procedure": "shui-guang-zhen", "operated_on": "2026-09-01"}))}
    ids["diary_entry"] = made(client.post(f"/v1/diaries/{ids['diary']}/entries", headers=a, json={
        "body": "<p>第二次打完，脸上的针眼两天就消了。</p>", "happened_on": "2026-09-29"}))
    ids["review"] = made(client.post("/v1/reviews", headers=a, json={
        "target_type": "clinic", "target_id": clinic, "rating": 4, "body": "<p>医生手法轻，环境干净。</p>"}))
    ids["question"] = made(client.post("/v1/questions", headers=a, json={
        "title": "水光针打完能洗脸吗？", "body": "<p>今天刚打完。</p>"}))
    ids["answer"] = made(client.post(f"/v1/questions/{ids['question']}/answers", headers=h, json={
        "body": "<p>当天别碰水，第二天可以用清水洗。</p>"}))
    ids["comment"] = made(client.post("/v1/comments", headers=h, json={
        "target_type": "diary", "target_id": ids["diary"], "body": "第三次打完记得更新！"}))
    wiki = client.put("/v1/wiki/shui-guang-zhen", headers=e, json={"title": "水光针", "summary": "一种注射美容项目。"})
    assert wiki.status_code == 201, wiki.text
    ids["wiki"] = str(wiki.json()["id"])
    portal = client.portal
    assert portal is not None
    state = client.app.state.services  # type: ignore[attr-defined]
    for kind in ("comment", "answer", "diary_entry", "diary", "review", "question", "wiki"):
        portal.call(functools.partial(set_status, state, kind, ids[kind], "removed", case_id="NCASE2026OPEN",
                                      reason="侵犯著作权"))
    return ids, author, helper


def test_every_answer_about_removed_content_is_declared(client: TestClient) -> None:
    """Every route that reaches removed content (as a reader, as its author, under its parent)
    declares the 451 or 410 it answers, with its body."""
    from meiji.app import endpoints_of
    from meiji.examples import REQUEST_EXAMPLES

    ids, author, helper = _removed_world(client)
    doc = client.get("/openapi.json").json()
    prefixes = {"/v1/diaries/": "diary", "/v1/diary-entries/": "diary_entry", "/v1/reviews/": "review",
                "/v1/questions/": "question", "/v1/answers/": "answer", "/v1/comments/": "comment"}
    undeclared, seen = [], 0
    for endpoint in endpoints_of(client.app.routes):  # type: ignore[attr-defined]
        kinds = [k for p, k in prefixes.items() if endpoint.path.startswith(p)]
        if endpoint.path.startswith("/v1/likes/"):
            kinds = ["diary", "diary_entry", "review", "question", "answer", "comment"]
        elif endpoint.path.startswith("/v1/wiki/{slug}"):
            kinds = ["wiki"]
        elif endpoint.path == "/v1/comments" and endpoint.method == "GET":
            kinds = ["diary", "diary_entry", "review", "answer"]
        for kind in kinds:
            path = (endpoint.path.replace("{id}", ids[kind]).replace("{slug}", "shui-guang-zhen")
                    .replace("{n}", "1").replace("{target_type}", kind).replace("{target_id}", ids[kind]))
            body = REQUEST_EXAMPLES.get(f"{endpoint.method} {endpoint.path}")
            params = {"target_type": kind, "target_id": ids[kind]} if endpoint.path == "/v1/comments" else None
            for who in (author, helper, None):
                r = client.request(endpoint.method, path, json=body, params=params,
                                   headers={**(who.headers if who else {}), "If-Match": "*"})
                if r.status_code in (410, 451):
                    seen += 1
                    declared = doc["paths"][endpoint.path.replace("{id:int}", "{id}")][endpoint.method.lower()]
                    if str(r.status_code) not in declared["responses"]:
                        undeclared.append(f"{endpoint.method} {endpoint.path} {r.status_code}")
    assert seen > 20
    assert sorted(set(undeclared)) == [], "\n".join(sorted(set(undeclared)))
