"""Through the whole service on the embedded default: content published, found, suggested, deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AppFactory, sign_up
from tests.search.conftest import eventually


@pytest.mark.parametrize("backend", ["tantivy", "whoosh"])
def test_a_published_review_is_found_by_alias_and_gone_when_deleted(make_client: AppFactory, tmp_path: Path,
                                                                     backend: str) -> None:
    with make_client(search_url=f"{backend}://{tmp_path / 'index'}", background=True, indexer_seconds=0.05,
                     scheduler_seconds=3600.0) as client:
        editor = sign_up(client, role="editor")
        r = client.post("/v1/procedures", json={"slug": "double-eyelid", "name": "双眼皮",
                                                "aliases": ["重睑术", "割双眼皮"]}, headers=editor.headers)
        assert r.status_code == 201, r.text
        clinic = client.post("/v1/clinics", json={"name": "成都华美整形医院", "city": "成都",
                                                  "license_no": "PDY00001X510100"}, headers=editor.headers).json()
        author = sign_up(client)
        r = client.post("/v1/reviews", headers=author.headers, json={
            "target_type": "clinic", "target_id": clinic["id"], "procedure": "double-eyelid", "rating": 5,
            "body": "<p>割双眼皮三个月了，恢复得很自然，医生很耐心。</p>", "anonymous": True, "media_ids": []})
        assert r.status_code == 201, r.text
        review_id = r.json()["id"]

        def hits(q: str) -> list[dict[str, Any]]:
            body = client.get("/v1/search", params={"q": q}).json()
            return [i for i in body["items"] if i["type"] == "review"]

        found = eventually(lambda: hits("重睑术"))
        assert [h["id"] for h in found] == [review_id]
        assert "author" not in found[0] and author.handle not in str(found[0])
        assert "<em>割双眼皮</em>" in found[0]["snippet"]
        suggested = eventually(lambda: client.get("/v1/search/suggest", params={"q": "cjs"}).json()["items"])
        assert {"text": "重睑术", "type": "procedure"} in suggested

        assert client.delete(f"/v1/reviews/{review_id}", headers=author.headers).status_code in (200, 204)

        assert hits("双眼皮") == []
        assert hits("重睑术") == []  # asked before the delete: not answered from a kept page


def test_a_takedown_is_gone_from_the_next_search_of_the_same_words(make_client: AppFactory, tmp_path: Path) -> None:
    # Readers search the same names again and again, and the owner of the index keeps their pages
    # of hits: a moderator's removal must still be gone from the very next search, and a restore back.
    with make_client(search_url=f"tantivy://{tmp_path / 'index'}", background=True, indexer_seconds=0.05,
                     scheduler_seconds=3600.0) as client:
        author, reader = sign_up(client), sign_up(client)
        moderator = sign_up(client, role="moderator")
        r = client.post("/v1/questions", headers=author.headers, json={
            "title": "热玛吉做完脸上起了小红点正常吗", "anonymous": True,
            "body": "<p>昨天做的热玛吉，今天脸颊起了一片小红点，有点痒。</p>"})
        assert r.status_code == 201, r.text
        question = r.json()["id"]

        def found() -> list[str]:
            r = client.get("/v1/search", params={"q": "小红点"}, headers=reader.headers)
            assert r.status_code == 200 and author.handle not in r.text
            assert all("author" not in str(list(item)) for item in r.json()["items"])  # no author field
            return [i["id"] for i in r.json()["items"] if i["type"] == "question"]

        assert eventually(found) == [question]
        assert found() == [question]  # asked again: the kept page

        r = client.post("/v1/moderation/actions", headers=moderator.headers, json={
            "target_type": "question", "target_id": question, "action": "remove", "reason": "privacy",
            "note": "照片和描述能认出本人"})
        assert r.status_code == 200, r.text
        assert found() == []  # the very next search, no waiting
        assert client.get("/v1/search", params={"q": "小红点"}).json()["items"] == []

        r = client.post("/v1/moderation/actions", headers=moderator.headers, json={
            "target_type": "question", "target_id": question, "action": "restore", "reason": "privacy",
            "note": "作者已删去可识别信息"})
        assert r.status_code == 200, r.text
        assert eventually(found) == [question]
