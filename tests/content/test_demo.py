"""``meiji demo``: a living service at once, and running it twice adds nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from content import demo


def test_demo_loads_once_and_is_searchable(client: TestClient) -> None:
    portal = client.portal
    assert portal is not None
    state = client.app.state  # type: ignore[attr-defined]
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
