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
