"""Wiki revision suppression over HTTP: a moderator hides one revision's content from the public, on
their own or as the measure a legal notice asks for; moderators still read it; the log records it."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person

COPIED = "以下段落摘自《皮肤科射频治疗指南》第三章，未经授权转载：射频能量在真皮层产生热效应。"
PAGE: dict[str, Any] = {"title": "热玛吉", "aliases": ["Thermage"], "summary": COPIED,
                        "body": f"<p>{COPIED}</p>", "comment": "补充原理（摘自指南）"}
REWRITTEN: dict[str, Any] = {"title": "热玛吉", "aliases": ["Thermage"], "summary": "单极射频紧肤项目。",
                             "body": "<p>通过射频加热真皮层，刺激胶原再生。</p>", "comment": "改写原理，删除摘抄段落"}


def history(client: TestClient) -> tuple[Member, Member]:
    """Revision 1 with copied text, revision 2 rewritten without it; returns (editor, moderator)."""
    editor, moderator = person(client, role="editor"), person(client, role="moderator")
    r = client.put("/v1/wiki/thermage", json=PAGE, headers=editor.headers)
    assert r.status_code == 201, r.text
    r = client.put("/v1/wiki/thermage", json=REWRITTEN, headers={**editor.headers, "If-Match": r.headers["etag"]})
    assert r.status_code == 200 and r.json()["revision"] == 2, r.text
    return editor, moderator


def suppression(client: TestClient, who: Member, n: int, method: str = "PUT") -> Any:
    return client.request(method, f"/v1/moderation/wiki/thermage/revisions/{n}/suppression",
                          json={"reason": "侵犯著作权：摘抄指南原文"}, headers=who.headers)


def test_a_moderator_suppresses_a_revision_and_the_public_sees_only_that_it_exists(client: TestClient) -> None:
    editor, moderator = history(client)
    reader = person(client)
    assert suppression(client, editor, 1).status_code == 403  # editors edit; moderators suppress
    assert suppression(client, moderator, 2).status_code == 409  # the page shows revision 2: edit first
    assert suppression(client, moderator, 9).status_code == 404

    r = suppression(client, moderator, 1)
    assert r.status_code == 200, r.text
    assert r.json()["suppressed"] is True and r.json()["body"] == f"<p>{COPIED}</p>"
    assert r.json()["suppression"]["reason"] == "侵犯著作权：摘抄指南原文"
    assert suppression(client, moderator, 1).status_code == 200  # again: nothing more to do

    for who, headers in (("public", {}), ("member", reader.headers), ("editor", editor.headers)):
        one = client.get("/v1/wiki/thermage/revisions/1", headers=headers)
        assert one.status_code == 200, (who, one.text)
        shown = one.json()
        assert shown["number"] == 1 and shown["suppressed"] is True and shown["author"] is not None, who
        for field in ("title", "comment", "summary", "body", "text", "aliases", "facts"):
            assert shown[field] is None, (who, field)
        assert "suppression" not in shown or shown["suppression"] is None, who
        assert "摘" not in one.text and "指南" not in one.text, who
        listed = client.get("/v1/wiki/thermage/revisions", headers=headers).json()["items"]
        assert [(x["number"], x["suppressed"], x["comment"]) for x in listed] == [
            (2, False, "改写原理，删除摘抄段落"), (1, True, None)], who
        assert client.get("/v1/wiki/thermage", headers=headers).json()["revision"] == 2

    kept = client.get("/v1/wiki/thermage/revisions/1", headers=moderator.headers).json()
    assert kept["body"] == f"<p>{COPIED}</p>" and kept["suppression"]["reason"] == "侵犯著作权：摘抄指南原文"

    # Reverting to it would publish the text again.
    current = client.get("/v1/wiki/thermage")
    r = client.post("/v1/wiki/thermage/revert", json={"revision": 1, "comment": "恢复"},
                    headers={**editor.headers, "If-Match": current.headers["etag"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "revision", r.text
    assert client.get("/v1/wiki/thermage").json()["revision"] == 2

    log = client.get("/v1/moderation/log", params={"target_type": "wiki_revision"}, headers=moderator.headers)
    assert [(e["action"], e["target"]["id"], e["actor"]["id"]) for e in log.json()["items"]] == [
        ("suppressed", f"{current.json()['id']}@1", moderator.id)]

    r = suppression(client, moderator, 1, "DELETE")
    assert r.status_code == 200 and r.json()["suppressed"] is False
    assert client.get("/v1/wiki/thermage/revisions/1").json()["body"] == f"<p>{COPIED}</p>"
    log = client.get("/v1/moderation/log", params={"target_type": "wiki_revision"}, headers=moderator.headers)
    assert [e["action"] for e in log.json()["items"]] == ["unsuppressed", "suppressed"]


def test_a_legal_notice_names_a_revision_and_its_measures_suppress_it(client: TestClient) -> None:
    from tests.moderation.conftest import decide, file_notice, item_of

    _, moderator = history(client)
    page_id = client.get("/v1/wiki/thermage").json()["id"]
    case_id, token = file_notice(client, [{"type": "wiki_revision", "id": "thermage@1"}])
    public_url = client.app.state.services.settings.public_url  # type: ignore[attr-defined]
    file_notice(client, [{"url": f"{public_url}/v1/wiki/thermage/revisions/2"}])
    assert item_of(client, moderator, "wiki_revision", f"{page_id}@2")["kind"] == "notice"
    r = client.post("/v1/notices", json={**_notice([{"type": "wiki_revision", "id": "thermage@7"}])})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets.0", r.text

    item = item_of(client, moderator, "wiki_revision", f"{page_id}@1")
    assert item["target"]["preview"].startswith(COPIED[:20])  # moderators judge the real text
    assert client.get("/v1/wiki/thermage/revisions/1").json()["body"] is not None  # up until decided
    decide(client, moderator, item["id"], "remove", "核实为未经授权的摘抄")

    shown = client.get("/v1/wiki/thermage/revisions/1").json()
    assert shown["suppressed"] is True and shown["body"] is None and shown["summary"] is None
    kept = client.get("/v1/wiki/thermage/revisions/1", headers=moderator.headers).json()
    assert kept["body"] == f"<p>{COPIED}</p>" and kept["suppression"]["case_id"] == case_id
    case = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token}).json()
    assert case["status"] == "measures_taken", case
    log = client.get("/v1/moderation/log", params={"case_id": case_id}, headers=moderator.headers).json()["items"]
    assert "removed" in {e["action"] for e in log}

    # Withdrawing the notice brings the revision back, as it does for any post.
    r = client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "已与编辑达成授权"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    assert client.get("/v1/wiki/thermage/revisions/1").json()["body"] == f"<p>{COPIED}</p>"


def _notice(targets: list[dict[str, str]]) -> dict[str, Any]:
    from tests.moderation.conftest import notice_body

    return notice_body(targets)
