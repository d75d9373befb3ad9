"""``meiji demo``: a living service at once, and running it twice adds nothing."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image
from starlette.testclient import TestClient

from meiji import demo


def test_demo_loads_once_and_is_searchable(client: TestClient) -> None:
    portal = client.portal
    assert portal is not None
    state = client.app.state.services  # type: ignore[attr-defined]
    first = portal.call(demo.load, state)
    assert "3 diaries" in first and "6 procedures" in first
    again = portal.call(demo.load, state)
    assert "0 procedures" in again and "0 diaries" in again and "0 reviews" in again
    assert len(client.get("/v1/diaries").json()["items"]) == 3
    assert client.get("/v1/procedures/shuang-yan-pi").json()["aliases"][:2] == ["重睑术", "割双眼皮"]
    assert client.get("/v1/search?q=热玛吉").json()["total"] >= 1
    anonymous = [d for d in client.get("/v1/diaries").json()["items"] if d["procedure"] == "thermage"]
    assert anonymous[0]["author"] is None
    r = client.post("/v1/sessions", json={"handle": "小鹿爱美", "password": demo.DEMO_PASSWORD})
    assert r.status_code == 201


def test_demo_diaries_show_before_and_after_photos_and_the_demo_staff_can_work(client: TestClient) -> None:
    portal = client.portal
    assert portal is not None
    summary = portal.call(demo.load, client.app.state.services)  # type: ignore[attr-defined]
    assert "6 photos" in summary and "美记审核员" in summary

    # Anyone, signed in or not, sees each diary's cover, its "before" and the "after" of its last entry.
    for item in client.get("/v1/diaries").json()["items"]:
        assert len(item["before"]) == 1 and len(item["after"]) == 1, item["title"]
        assert item["cover"]["id"] == item["before"][0]["id"]
        for photo in (item["before"][0], item["after"][0]):
            served = client.get(urlsplit(photo["variants"]["medium"]["url"]).path)
            assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
            assert Image.open(io.BytesIO(served.content)).size == (photo["variants"]["medium"]["width"],
                                                                   photo["variants"]["medium"]["height"])
        entries = client.get(f"/v1/diaries/{item['id']}/entries").json()["items"]
        assert [e for e in entries if e["media"]][-1]["media"][0]["id"] == item["after"][0]["id"]
        if item["procedure"] == "thermage":
            # The anonymous diary's photos name no one.
            assert item["author"] is None and "小鹿爱美" not in str(item)

    # The demo's moderator reads the queue; a demo member may not.
    def signed_in(handle: str) -> dict[str, str]:
        r = client.post("/v1/sessions", json={"handle": handle, "password": demo.DEMO_PASSWORD})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    assert client.get("/v1/moderation/queue", headers=signed_in("美记审核员")).status_code == 200
    assert client.get("/v1/moderation/queue", headers=signed_in("北漂Lily")).status_code == 403
    editor = client.post("/v1/procedures", headers=signed_in("美记编辑部"),
                         json={"slug": "kai-yan-jiao", "name": "开眼角", "aliases": ["内眼角整形"]})
    assert editor.status_code == 201, editor.text
