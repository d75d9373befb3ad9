"""The encyclopedia (百科) over HTTP: editors write, every save is a revision, If-Match is required."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person

THERMAGE: dict[str, Any] = {
    "title": "热玛吉", "aliases": ["Thermage", "射频紧肤"],
    "summary": "单极射频紧肤项目，加热真皮层刺激胶原再生。",
    "body": "<h2>原理</h2><p>通过<strong>射频</strong>加热真皮层。<img src=x onerror=alert(1)></p>",
    "facts": {"price_min_cny": 8000, "price_max_cny": 30000, "recovery_days": 1, "risks": ["烫伤", "红肿"],
              "suitable_for": "轻中度皮肤松弛者", "not_suitable_for": "孕期女性"},
    "comment": "新建词条",
}


def put(client: TestClient, editor: Member, slug: str, body: dict[str, Any], if_match: str | None = None) -> Any:
    headers = dict(editor.headers)
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.put(f"/v1/wiki/{slug}", json=body, headers=headers)


def procedures(client: TestClient, *slugs: str) -> None:
    """Reference data the posts name, made as an editor would (content's reference service)."""
    from content.schemas.reference import ProcedureIn
    from content.services import reference

    portal = client.portal
    assert portal is not None
    for slug in slugs:
        portal.call(reference.create_procedure, ProcedureIn(slug=slug, name=slug))


def outbox(client: TestClient) -> list[tuple[str, str]]:
    from search.models import OutboxEntry

    portal = client.portal
    assert portal is not None
    rows = portal.call(lambda: OutboxEntry.all().order_by("id").values_list("doc_type", "doc_id"))
    return [(str(t), str(i)) for t, i in rows]


def test_create_read_update_and_history(db_client: TestClient) -> None:
    editor, other_editor = person(db_client, role="editor"), person(db_client, role="editor")
    r = put(db_client, editor, "thermage", THERMAGE)
    assert r.status_code == 201, r.text
    page = r.json()
    assert page["revision"] == 1 and page["version"] == 1 and page["aliases"] == ["Thermage", "射频紧肤"]
    assert page["body"] == "<h2>原理</h2><p>通过<strong>射频</strong>加热真皮层。</p>"
    assert page["text"] == "原理\n通过射频加热真皮层。"
    assert page["facts"]["risks"] == ["烫伤", "红肿"] and page["facts"]["price_min_cny"] == 8000

    got = db_client.get("/v1/wiki/thermage")
    assert got.status_code == 200 and got.json()["title"] == "热玛吉"
    tag = got.headers["etag"]
    changed = {**THERMAGE, "summary": "热玛吉（Thermage）是射频紧肤的代表项目。", "comment": "改写摘要"}
    r = put(db_client, other_editor, "thermage", changed, if_match=tag)
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.headers["etag"] != tag

    history = db_client.get("/v1/wiki/thermage/revisions").json()["items"]
    assert [(h["number"], h["comment"], h["author"]["handle"]) for h in history] == [
        (2, "改写摘要", other_editor.handle), (1, "新建词条", editor.handle)]
    first = db_client.get("/v1/wiki/thermage/revisions/1").json()
    assert first["summary"] == THERMAGE["summary"] and first["created_at"]
    assert db_client.get("/v1/wiki/thermage/revisions/9").status_code == 404

    # The id that search results carry finds the page too.
    assert db_client.get(f"/v1/wiki/{page['id']}").json()["slug"] == "thermage"


def test_if_match_is_required_and_checked(client: TestClient) -> None:
    editor = person(client, role="editor")
    put(client, editor, "thermage", THERMAGE)
    r = put(client, editor, "thermage", {**THERMAGE, "comment": "没带 If-Match"})
    assert r.status_code == 428 and r.headers["content-type"] == "application/problem+json"
    tag = client.get("/v1/wiki/thermage").headers["etag"]
    assert put(client, editor, "thermage", {**THERMAGE, "summary": "第一次修改"}, if_match=tag).status_code == 200
    assert put(client, editor, "thermage", {**THERMAGE, "summary": "基于旧版本"}, if_match=tag).status_code == 412
    assert client.get("/v1/wiki/thermage").json()["revision"] == 2
    # If-Match on a page that does not exist yet cannot match.
    assert put(client, editor, "shui-guang-zhen", {**THERMAGE, "title": "水光针"}, if_match=tag).status_code == 412


def test_a_chinese_slug_is_a_page_like_any_other_and_a_slug_is_one_line(client: TestClient) -> None:
    editor = person(client, role="editor")
    r = put(client, editor, "热玛吉", THERMAGE)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/wiki/%E7%83%AD%E7%8E%9B%E5%90%89"
    assert client.get(r.headers["location"]).json()["title"] == "热玛吉"
    tag = client.get("/v1/wiki/热玛吉").headers["etag"]
    assert put(client, editor, "热玛吉", {**THERMAGE, "summary": "改一句"}, if_match=tag).status_code == 200
    r = client.post("/v1/wiki/热玛吉/revert", json={"revision": 1, "comment": "改回"}, headers=editor.headers)
    assert r.status_code == 201 and r.json()["revision"] == 3, r.text
    # A slug ends where its line ends: one with a newline is no slug.
    r = put(client, editor, "shui-guang%0A", {**THERMAGE, "title": "水光针"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "slug", r.text
    assert [p["slug"] for p in client.get("/v1/wiki").json()["items"]] == ["热玛吉"]


def test_a_weak_etag_never_matches(client: TestClient) -> None:
    editor = person(client, role="editor")
    put(client, editor, "thermage", THERMAGE)
    tag = client.get("/v1/wiki/thermage").headers["etag"]
    assert put(client, editor, "thermage", {**THERMAGE, "summary": "弱校验"}, if_match=f"W/{tag}").status_code == 412
    assert put(client, editor, "thermage", {**THERMAGE, "summary": "强校验"}, if_match=tag).status_code == 200


def test_only_editors_write(client: TestClient) -> None:
    member, editor = person(client), person(client, role="editor")
    admin = person(client, role="admin")
    assert client.put("/v1/wiki/thermage", json=THERMAGE).status_code == 401
    assert put(client, member, "thermage", THERMAGE).status_code == 403
    assert put(client, admin, "thermage", THERMAGE).status_code == 201
    tag = client.get("/v1/wiki/thermage").headers["etag"]
    r = client.post("/v1/wiki/thermage/revert", json={"revision": 1}, headers={**member.headers, "If-Match": tag})
    assert r.status_code == 403
    assert put(client, editor, "thermage", {**THERMAGE, "summary": "编辑修改"}, if_match=tag).status_code == 200


def test_revert_creates_a_new_revision(db_client: TestClient) -> None:
    editor = person(db_client, role="editor")
    put(db_client, editor, "thermage", THERMAGE)
    tag = db_client.get("/v1/wiki/thermage").headers["etag"]
    vandal = {**THERMAGE, "title": "热玛吉骗局", "aliases": [], "body": "<p>全是假的</p>", "comment": "破坏"}
    put(db_client, editor, "thermage", vandal, if_match=tag)
    r = db_client.post("/v1/wiki/thermage/revert", json={"revision": 1, "comment": "撤销破坏"},
                       headers=editor.headers)
    assert r.status_code == 201
    page = r.json()
    assert page["revision"] == 3 and page["title"] == "热玛吉" and page["aliases"] == ["Thermage", "射频紧肤"]
    history = db_client.get("/v1/wiki/thermage/revisions").json()["items"]
    assert history[0]["number"] == 3 and history[0]["reverted_from"] == 1 and history[0]["comment"] == "撤销破坏"
    r = db_client.post("/v1/wiki/thermage/revert", json={"revision": 7}, headers=editor.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "revision"
    r = db_client.post("/v1/wiki/thermage/revert", json={"revision": 1},
                       headers={**editor.headers, "If-Match": '"stale"'})
    assert r.status_code == 412
    assert db_client.post("/v1/wiki/nothing-here/revert", json={"revision": 1},
                          headers=editor.headers).status_code == 404


def test_title_and_alias_changes_reload_the_search_vocabulary(client: TestClient) -> None:
    editor = person(client, role="editor")
    page_id = put(client, editor, "thermage", THERMAGE).json()["id"]
    assert outbox(client)[-2:] == [("vocabulary", "*"), ("wiki", page_id)]
    before = len(outbox(client))
    tag = client.get("/v1/wiki/thermage").headers["etag"]
    r = put(client, editor, "thermage", {**THERMAGE, "summary": "只改摘要"}, if_match=tag)
    assert outbox(client)[before:] == [("wiki", page_id)]
    before = len(outbox(client))
    put(client, editor, "thermage", {**THERMAGE, "aliases": ["Thermage", "射频紧肤", "热玛吉FLX"]},
        if_match=r.headers["etag"])
    assert outbox(client)[before:] == [("vocabulary", "*"), ("wiki", page_id)]


def test_list_by_procedure_with_cursor(client: TestClient) -> None:
    editor = person(client, role="editor")
    procedures(client, "thermage", "hydration")
    put(client, editor, "thermage", {**THERMAGE, "procedure": "thermage"})
    put(client, editor, "shui-guang-zhen", {**THERMAGE, "title": "水光针", "aliases": [], "procedure": "hydration"})
    put(client, editor, "hyaluronic-acid", {**THERMAGE, "title": "玻尿酸", "aliases": ["透明质酸"],
                                             "procedure": "hydration"})
    first = client.get("/v1/wiki?procedure=hydration&limit=1").json()
    second = client.get(f"/v1/wiki?procedure=hydration&limit=1&cursor={first['next_cursor']}").json()
    assert [p["slug"] for p in first["items"] + second["items"]] == ["shui-guang-zhen", "hyaluronic-acid"]
    assert second["next_cursor"] is None
    assert len(client.get("/v1/wiki").json()["items"]) == 3


def test_validation(client: TestClient) -> None:
    editor = person(client, role="editor")
    r = put(client, editor, "thermage", {**THERMAGE, "facts": {"price_min_cny": 9000, "price_max_cny": 100}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("facts")
    r = put(client, editor, "12345", THERMAGE)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "slug"
    r = put(client, editor, "thermage", {**THERMAGE, "title": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    r = put(client, editor, "thermage", {**THERMAGE, "unknown": 1})
    assert r.status_code == 422
    r = put(client, editor, "thermage", {**THERMAGE, "procedure": "no-such-procedure"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "procedure"
    assert client.get("/v1/wiki/no-such-page").status_code == 404


def test_hidden_page_is_gone_for_readers(client: TestClient) -> None:
    editor = person(client, role="editor")
    page_id = put(client, editor, "thermage", THERMAGE).json()["id"]
    from content.services import set_status

    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(client.app.state.services, "wiki", page_id, "removed",  # type: ignore[attr-defined]
                                   case_id="C-7", reason="侵权"))
    r = client.get("/v1/wiki/thermage")
    assert r.status_code == 451 and r.json()["case_id"] == "C-7"
    assert client.get("/v1/wiki").json()["items"] == []
    assert ("vocabulary", "*") in outbox(client)[-3:]


def test_demo_pages(client: TestClient) -> None:
    editor = person(client, role="editor")
    procedures(client, "thermage")
    from content.services import wiki
    from kernel.web.auth import Principal

    portal = client.portal
    assert portal is not None
    who = Principal(int(editor.id), editor.handle, "editor")
    try:
        made = portal.call(wiki.load_demo, client.app.state.services, who)  # type: ignore[attr-defined]
    except Exception as exc:  # reference data may not know the demo procedures yet
        raise AssertionError(f"demo pages failed: {exc}") from exc
    assert made == 4 and portal.call(wiki.load_demo, client.app.state.services, who) == 0  # type: ignore[attr-defined]
    page = client.get("/v1/wiki/thermage").json()
    assert page["aliases"] == ["Thermage", "射频紧肤"] and page["procedure"] == "thermage"
    # Every demo page lists its materials with notes that they are examples, and cites a fact.
    for slug in ("shuang-yan-pi", "thermage", "hyaluronic-acid", "shui-guang-zhen"):
        shown = client.get(f"/v1/wiki/{slug}").json()
        assert shown["materials"] and shown["citations"], slug
        assert all(m["note"] and "示例" in m["note"] for m in shown["materials"] if m["approval_no"]), slug
    fillers = client.get("/v1/wiki/hyaluronic-acid").json()["materials"]
    assert "国械注准20153130000" in [m["approval_no"] for m in fillers]
    # A demo page whose procedure reference data does not know is kept without one.
    assert client.get("/v1/wiki/shui-guang-zhen").json()["procedure"] is None


def test_pages_and_aliases_reach_search(client: TestClient) -> None:
    from tests.content.factories import drain

    editor = person(client, role="editor")
    page_id = put(client, editor, "thermage", THERMAGE).json()["id"]
    drain(client)
    hits = client.get("/v1/search", params={"q": "射频", "type": "wiki"}).json()["items"]
    assert [(h["type"], h["id"]) for h in hits] == [("wiki", page_id)]
    suggested = client.get("/v1/search/suggest", params={"q": "热玛"}).json()["items"]
    assert "热玛吉" in [s["text"] for s in suggested]

    tag = client.get("/v1/wiki/thermage").headers["etag"]
    put(client, editor, "thermage", {**THERMAGE, "aliases": [*THERMAGE["aliases"], "塞尔玛"]}, if_match=tag)
    drain(client)
    suggested = client.get("/v1/search/suggest", params={"q": "塞尔"}).json()["items"]
    assert suggested, "a new alias reaches the suggestions once the outbox is drained"


def test_of_two_concurrent_saves_from_one_version_exactly_one_wins(db_client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    editors = [person(db_client, role="editor") for _ in range(4)]
    put(db_client, editors[0], "thermage", THERMAGE)
    tag = db_client.get("/v1/wiki/thermage").headers["etag"]

    def save(index: int) -> int:
        body = {**THERMAGE, "summary": f"第{index}位编辑的修改", "comment": f"编辑{index}"}
        return int(put(db_client, editors[index], "thermage", body, if_match=tag).status_code)

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(save, range(4)))
    assert codes == [200, 412, 412, 412]
    history = db_client.get("/v1/wiki/thermage/revisions").json()["items"]
    assert [h["number"] for h in history] == [2, 1]
