"""The encyclopedia's materials (材料), citations on facts and diffs between revisions, over HTTP:
an editor writes, a reader reads, a moderator's suppression keeps hidden text out of every diff."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person

FILLER = {"name": "交联透明质酸钠凝胶", "kind": "filler", "brand": "晶妍",
          "approval_no": "国械注准 20153130000号", "note": "含利多卡因，用于鼻唇沟填充"}
ENZYME = {"name": "注射用透明质酸酶", "kind": "drug", "approval_no": "国药准字H20059990"}
SOURCE = {"title": "透明质酸注射的血管栓塞风险与急救", "url": "https://example.org/baike/shuansai",
          "publisher": "美记编辑部", "accessed_on": "2026-03-01"}
PAGE: dict[str, Any] = {
    "title": "玻尿酸", "aliases": ["透明质酸"],
    "summary": "玻尿酸注射用于填充凹陷和塑形。",
    "body": "<p>常见部位有苹果肌和法令纹。</p><p>注射后三天内避免按压。</p>",
    "facts": {"price_min_cny": 1500, "price_max_cny": 12000, "recovery_days": 3, "risks": ["淤青肿胀", "血管栓塞"]},
    "materials": [FILLER, ENZYME],
    "citations": {"risks": [SOURCE]},
    "comment": "新建词条，补充材料与出处",
}


def save(client: TestClient, editor: Member, body: dict[str, Any], slug: str = "hyaluronic-acid") -> Any:
    current = client.get(f"/v1/wiki/{slug}", headers=editor.headers)
    headers = dict(editor.headers)
    if current.status_code == 200:
        headers["If-Match"] = current.headers["etag"]
    return client.put(f"/v1/wiki/{slug}", json=body, headers=headers)


def test_materials_and_citations_are_shown_kept_per_revision_and_restored_by_revert(db_client: TestClient) -> None:
    editor, reader = person(db_client, role="editor"), person(db_client)
    r = save(db_client, editor, PAGE)
    assert r.status_code == 201, r.text

    shown = db_client.get("/v1/wiki/hyaluronic-acid", headers=reader.headers).json()
    assert shown["materials"] == [
        {"name": "交联透明质酸钠凝胶", "kind": "filler", "brand": "晶妍", "approval_no": "国械注准20153130000",
         "note": "含利多卡因，用于鼻唇沟填充"},
        {"name": "注射用透明质酸酶", "kind": "drug", "brand": None, "approval_no": "国药准字H20059990", "note": None}]
    assert shown["citations"] == {"risks": [SOURCE]}
    assert db_client.get("/v1/wiki/hyaluronic-acid").json()["citations"] == {"risks": [SOURCE]}  # signed out too

    # Revision 2 drops the enzyme and cites the recovery time instead of the risks.
    recovery = {"title": "玻尿酸注射后的消肿时间", "url": "http://example.org/baike/huifu"}
    r = save(db_client, editor, {**PAGE, "materials": [FILLER], "citations": {"recovery_days": [recovery]},
                                 "comment": "删去透明质酸酶"})
    assert r.status_code == 200 and r.json()["revision"] == 2, r.text
    shown = db_client.get("/v1/wiki/hyaluronic-acid", headers=reader.headers).json()
    assert [m["name"] for m in shown["materials"]] == ["交联透明质酸钠凝胶"]
    assert shown["citations"] == {"recovery_days": [{**recovery, "publisher": None, "accessed_on": None}]}
    first = db_client.get("/v1/wiki/hyaluronic-acid/revisions/1", headers=reader.headers).json()
    assert len(first["materials"]) == 2 and first["citations"] == {"risks": [SOURCE]}

    current = db_client.get("/v1/wiki/hyaluronic-acid")
    r = db_client.post("/v1/wiki/hyaluronic-acid/revert", json={"revision": 1, "comment": "恢复透明质酸酶"},
                       headers={**editor.headers, "If-Match": current.headers["etag"]})
    assert r.status_code == 201 and r.json()["revision"] == 3, r.text
    for headers in ({}, reader.headers):
        page = db_client.get("/v1/wiki/hyaluronic-acid", headers=headers).json()
        assert page["materials"] == first["materials"] and page["citations"] == {"risks": [SOURCE]}
    third = db_client.get("/v1/wiki/hyaluronic-acid/revisions/3").json()
    assert third["reverted_from"] == 1 and third["materials"] == first["materials"]


def error_field(r: Any) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return str(r.json()["errors"][0]["field"])


def test_bad_materials_and_citations_are_refused_naming_the_field(client: TestClient) -> None:
    editor = person(client, role="editor")
    cases = [
        ({"materials": [{**FILLER, "approval_no": "国械注准2015313"}]}, "materials.0.approval_no"),
        ({"materials": [FILLER, {**ENZYME, "approval_no": "京卫广审(视)第2026号"}]}, "materials.1.approval_no"),
        ({"materials": [{**FILLER, "kind": "laser"}]}, "materials.0.kind"),
        ({"materials": [{**FILLER, "name": "<img src=x onerror=alert(1)>"}]}, "materials.0.name"),
        ({"materials": [{**FILLER, "price": 3000}]}, "materials.0.price"),
        ({"citations": {"risks": [{**SOURCE, "url": "javascript:alert(1)"}]}}, "citations.risks.0.url"),
        ({"citations": {"risks": [{**SOURCE, "url": "ftp://example.org/a"}]}}, "citations.risks.0.url"),
        ({"citations": {"risks": [{**SOURCE, "accessed_on": "去年三月"}]}}, "citations.risks.0.accessed_on"),
        ({"citations": {"颜值": [SOURCE]}}, "citations.颜值"),
        # A source for a fact the page does not state would cite nothing.
        ({"citations": {"suitable_for": [SOURCE]}}, "citations.suitable_for"),
    ]
    for change, field in cases:
        assert error_field(save(client, editor, {**PAGE, **change})) == field, change
    assert client.get("/v1/wiki/hyaluronic-acid").status_code == 404  # nothing half-written

    # A province's device register and an imported medicine's number are plausible too.
    ok = [{**FILLER, "approval_no": "粤械注准20172130001"}, {**ENZYME, "approval_no": "S20120068"}]
    r = save(client, editor, {**PAGE, "materials": ok})
    assert r.status_code == 201, r.text
    assert [m["approval_no"] for m in r.json()["materials"]] == ["粤械注准20172130001", "S20120068"]


def revisions(client: TestClient, editor: Member, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        r = save(client, editor, body)
        assert r.status_code in (200, 201), r.text


def test_a_diff_names_the_changed_fields_and_the_changed_lines(client: TestClient) -> None:
    editor, reader = person(client, role="editor"), person(client)
    revisions(client, editor, PAGE,
              {**PAGE, "summary": "玻尿酸注射用于填充凹陷、塑形和补水。", "comment": "补充用途"},
              {**PAGE, "summary": "玻尿酸注射用于填充凹陷、塑形和补水。", "materials": [FILLER],
               "body": "<p>常见部位有苹果肌、法令纹和泪沟。</p><p>注射后三天内避免按压。</p>", "comment": "补充泪沟"})

    r = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 1, "to": 3}, headers=reader.headers)
    assert r.status_code == 200, r.text
    diff = r.json()
    assert diff["from"]["number"] == 1 and diff["to"]["number"] == 3
    assert diff["to"]["author"]["handle"] == editor.handle and diff["to"]["suppressed"] is False
    assert diff["changed"] == ["summary", "body", "text", "materials"]
    assert diff["fields"]["summary"] == {"from": PAGE["summary"], "to": "玻尿酸注射用于填充凹陷、塑形和补水。"}
    assert [m["name"] for m in diff["fields"]["materials"]["to"]] == ["交联透明质酸钠凝胶"]
    assert "body" not in diff["fields"] and "text" not in diff["fields"]
    assert "-常见部位有苹果肌和法令纹。" in diff["lines"] and "+常见部位有苹果肌、法令纹和泪沟。" in diff["lines"]
    assert " 注射后三天内避免按压。" in diff["lines"]  # context: the unchanged line

    back = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 3, "to": 1}).json()
    assert back["changed"] == diff["changed"] and "+常见部位有苹果肌和法令纹。" in back["lines"]
    same = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 2, "to": 2}).json()
    assert same["changed"] == [] and same["fields"] == {} and same["lines"] == []

    missing = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 1, "to": 9})
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "to"
    assert error_field(client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": "第一版", "to": 2})) == "from"
    assert error_field(client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 1})) == "to"
    assert client.get("/v1/wiki/no-such-page/diff", params={"from": 1, "to": 2}).status_code == 404


COPIED = "以下段落摘自《注射美容并发症处理手册》第五章，未经授权转载：栓塞多发生在鼻背与眉间。"


def test_a_diff_never_shows_a_suppressed_revision_to_the_public(client: TestClient) -> None:
    editor, moderator, reader = person(client, role="editor"), person(client, role="moderator"), person(client)
    revisions(client, editor, PAGE, {**PAGE, "body": f"<p>{COPIED}</p>", "comment": "补充栓塞部位"},
              {**PAGE, "body": "<p>常见部位有苹果肌、法令纹和泪沟。</p>", "comment": "删去摘抄段落"})
    r = client.put("/v1/moderation/wiki/hyaluronic-acid/revisions/2/suppression",
                   json={"reason": "侵犯著作权：摘抄手册原文"}, headers=moderator.headers)
    assert r.status_code == 200, r.text

    # Across the suppressed revision: both ends are public, so the diff is whole.
    across = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 1, "to": 3}, headers=reader.headers)
    assert across.status_code == 200 and across.json()["changed"] == ["body", "text"], across.text
    assert "摘自" not in across.text

    for headers in ({}, reader.headers, editor.headers):
        for ends in ({"from": 1, "to": 2}, {"from": 2, "to": 3}):
            r = client.get("/v1/wiki/hyaluronic-acid/diff", params=ends, headers=headers)
            assert r.status_code == 200, r.text
            diff = r.json()
            assert diff["changed"] is None and diff["fields"] is None and diff["lines"] is None, diff
            side = "to" if ends["to"] == 2 else "from"
            assert diff[side]["suppressed"] is True and diff[side]["number"] == 2
            assert "摘自" not in r.text and "手册" not in r.text

    seen = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 2, "to": 3}, headers=moderator.headers).json()
    assert f"-{COPIED}" in seen["lines"] and seen["changed"] == ["body", "text"]

    # Lifting the suppression makes the diff public again.
    r = client.request("DELETE", "/v1/moderation/wiki/hyaluronic-acid/revisions/2/suppression",
                       json={"reason": "权利人已授权"}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    public = client.get("/v1/wiki/hyaluronic-acid/diff", params={"from": 1, "to": 2}).json()
    assert f"+{COPIED}" in public["lines"]


def test_a_reader_finds_the_page_by_a_material_brand(client: TestClient) -> None:
    from tests.content.factories import drain

    editor = person(client, role="editor")
    page_id = save(client, editor, {**PAGE, "materials": [{**FILLER, "brand": "澜润"}]}).json()["id"]
    drain(client)
    hits = client.get("/v1/search", params={"q": "澜润", "type": "wiki"}).json()["items"]
    assert [(h["type"], h["id"]) for h in hits] == [("wiki", page_id)]
