"""Diaries (日记本) and entries over HTTP: who sees what, days, photos, edits, deletion."""

from __future__ import annotations

from starlette.testclient import TestClient

from content.services import set_status
from tests.conftest import sign_up, upload
from tests.content.factories import NEGATIVE, POSITIVE, diary, drain, entry, reference


def test_diary_with_entries_before_and_after(db_client: TestClient) -> None:
    ref = reference(db_client)
    author = sign_up(db_client)
    before = upload(db_client, author)
    d = diary(db_client, author, ref, before_media_ids=[before])
    assert d["before"][0]["id"] == before and d["after"] == [] and d["entry_count"] == 0
    assert d["is_mine"] is True and d["author"]["handle"] == author.handle

    photo = upload(db_client, author)
    e1 = entry(db_client, author, d["id"], happened_on="2026-09-30", body=f"<p>{NEGATIVE[0]}</p>")
    e2 = entry(db_client, author, d["id"], happened_on="2026-10-08", media_ids=[photo],
               scores={"swelling": 6, "pain": 2, "satisfaction": 8})
    assert e1["day"] == -1 and e2["day"] == 7
    assert e2["scores"] == {"swelling": 6, "pain": 2, "satisfaction": 8}

    shown = db_client.get(f"/v1/diaries/{d['id']}").json()
    assert shown["entry_count"] == 2 and shown["after_day"] == 7
    assert [p["id"] for p in shown["after"]] == [photo]
    assert shown["is_mine"] is False and shown["status"] == "published"
    days = [e["day"] for e in db_client.get(f"/v1/diaries/{d['id']}/entries").json()["items"]]
    assert days == [-1, 7]


def test_only_the_author_adds_entries_and_edits(client: TestClient) -> None:
    ref = reference(client)
    author, other = sign_up(client), sign_up(client)
    d = diary(client, author, ref)
    r = client.post(f"/v1/diaries/{d['id']}/entries", json={"body": POSITIVE[2], "happened_on": "2026-10-02"},
                    headers=other.headers)
    assert r.status_code == 403
    assert client.post(f"/v1/diaries/{d['id']}/entries",
                       json={"body": POSITIVE[2], "happened_on": "2026-10-02"}).status_code == 401
    assert client.patch(f"/v1/diaries/{d['id']}", json={"title": "改个标题"}, headers=other.headers).status_code == 403
    assert client.delete(f"/v1/diaries/{d['id']}", headers=other.headers).status_code == 403
    assert client.post("/v1/diaries/999/entries", json={"body": "第一天", "happened_on": "2026-10-02"},
                       headers=author.headers).status_code == 404


def test_an_edit_cannot_leave_an_entry_with_neither_text_nor_photos(db_client: TestClient) -> None:
    client = db_client
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    words = entry(client, author, d["id"])
    for body in ("<p></p>", "<script>alert(1)</script>", "   "):
        r = client.patch(f"/v1/diary-entries/{words['id']}", json={"body": body}, headers=author.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body", r.text
    assert client.get(f"/v1/diaries/{d['id']}/entries").json()["items"][0]["text"] == words["text"]
    # An entry of photos alone may drop its words, and then not its photos.
    photo = upload(client, author)
    pictured = entry(client, author, d["id"], media_ids=[photo], happened_on="2026-10-09")
    r = client.patch(f"/v1/diary-entries/{pictured['id']}", json={"body": "<p></p>"}, headers=author.headers)
    assert r.status_code == 200 and r.json()["text"] == "" and len(r.json()["media"]) == 1, r.text
    r = client.patch(f"/v1/diary-entries/{pictured['id']}", json={"media_ids": []}, headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "media_ids", r.text
    r = client.patch(f"/v1/diary-entries/{pictured['id']}", json={"body": "<p>消肿了</p>", "media_ids": []},
                     headers=author.headers)
    assert r.status_code == 200 and r.json()["text"] == "消肿了" and r.json()["media"] == [], r.text


def test_validation_names_the_field(client: TestClient) -> None:
    ref = reference(client)
    author, other = sign_up(client), sign_up(client)
    r = client.post("/v1/diaries", json={"title": "热玛吉", "procedure": "thermage", "operated_on": "2026-10-01"},
                    headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "procedure"
    theirs = upload(client, other)
    r = client.post("/v1/diaries", json={"title": "日记", "procedure": ref["procedure"], "operated_on": "2026-10-01",
                                         "before_media_ids": [upload(client, author), theirs]},
                    headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "before_media_ids.1"
    r = client.post("/v1/diaries", json={"title": "日记", "procedure": ref["procedure"], "operated_on": "昨天"},
                    headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "operated_on"
    d = diary(client, author, ref)
    r = client.post(f"/v1/diaries/{d['id']}/entries",
                    json={"body": "<p>好</p>", "happened_on": "2026-10-02", "scores": {"pain": 11}},
                    headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scores.pain"


def test_patch_honours_if_match(db_client: TestClient) -> None:
    ref = reference(db_client)
    author = sign_up(db_client)
    d = diary(db_client, author, ref)
    e = entry(db_client, author, d["id"])
    tag = db_client.get(f"/v1/diaries/{d['id']}").headers["etag"]
    r = db_client.patch(f"/v1/diaries/{d['id']}", json={"operated_on": "2026-10-05"},
                        headers={**author.headers, "If-Match": tag})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert db_client.get(f"/v1/diaries/{d['id']}/entries").json()["items"][0]["day"] == 3
    stale = db_client.patch(f"/v1/diaries/{d['id']}", json={"title": "新标题"},
                            headers={**author.headers, "If-Match": tag})
    assert stale.status_code == 412
    r = db_client.patch(f"/v1/diary-entries/{e['id']}", json={"body": "<p>今天<em>消肿</em>多了</p>"},
                        headers={**author.headers, "If-Match": '"nope"'})
    assert r.status_code == 412
    r = db_client.patch(f"/v1/diary-entries/{e['id']}", json={"body": "<p>今天<em>消肿</em>多了</p>"},
                        headers=author.headers)
    assert r.status_code == 200 and r.json()["text"] == "今天消肿多了"


def test_delete_is_404_at_once_and_releases_photos(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    photo = upload(client, author)
    d = diary(client, author, ref, title="水光针打完第一天", before_media_ids=[photo])
    entry(client, author, d["id"], body="<p>水光针打完皮肤很水润</p>")
    drain(client)
    assert client.get("/v1/search?q=水光针").json()["total"] == 1
    assert client.delete(f"/v1/diaries/{d['id']}", headers=author.headers).status_code == 204
    assert client.get(f"/v1/diaries/{d['id']}").status_code == 404
    assert client.get(f"/v1/diaries/{d['id']}", headers=author.headers).status_code == 404
    assert client.get(f"/v1/diaries/{d['id']}/entries").status_code == 404
    assert client.get("/v1/diaries").json()["items"] == []
    assert client.get("/v1/search?q=水光针").json()["total"] == 0
    media = client.app.state.services.media  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    assert portal.call(media.views, [photo]) == {}


def test_deleting_an_entry_updates_count_after_and_search(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    photo = upload(client, author)
    e = entry(client, author, d["id"], body="<p>拆线了，疤痕很淡</p>", media_ids=[photo])
    drain(client)
    assert client.get("/v1/search?q=拆线").json()["total"] == 1
    assert client.delete(f"/v1/diary-entries/{e['id']}", headers=author.headers).status_code == 204
    shown = client.get(f"/v1/diaries/{d['id']}").json()
    assert shown["entry_count"] == 0 and shown["after"] == [] and shown["after_day"] is None
    assert client.get("/v1/search?q=拆线").json()["total"] == 0
    assert client.delete(f"/v1/diary-entries/{e['id']}", headers=author.headers).status_code == 404


def test_entries_written_then_deleted_leave_a_diarys_popularity_as_it_was(client: TestClient) -> None:
    from kernel.clock import clock

    ref = reference(client)
    author, other = sign_up(client), sign_up(client)
    older = diary(client, author, ref, title="水光针三次记录")
    offset = clock.offset
    try:
        clock.advance(days=1)  # a day fresher: five points of popularity ahead
        newer = diary(client, other, ref, title="热玛吉一个月记录", operated_on="2026-10-20")
        for n in range(3):
            e = entry(client, author, older["id"], body=f"<p>第{n + 1}次打完，脸有点肿</p>", happened_on="2026-10-08")
            assert client.delete(f"/v1/diary-entries/{e['id']}", headers=author.headers).status_code == 204
        ranked = [x["id"] for x in client.get("/v1/diaries", params={"sort": "popular"}).json()["items"]]
        assert ranked == [newer["id"], older["id"]]
        # A published entry does count.
        entry(client, author, older["id"], body="<p>第三次之后毛孔细了很多</p>", happened_on="2026-10-08")
        entry(client, author, older["id"], body="<p>皮肤透亮，同事都问我用了什么</p>", happened_on="2026-10-09")
        ranked = [x["id"] for x in client.get("/v1/diaries", params={"sort": "popular"}).json()["items"]]
        assert ranked == [older["id"], newer["id"]]
    finally:
        clock.offset = offset


def test_hidden_is_404_to_others_removed_is_451(db_client: TestClient) -> None:
    ref = reference(db_client)
    author, other = sign_up(db_client), sign_up(db_client)
    moderator = sign_up(db_client, role="moderator")
    d = diary(db_client, author, ref)
    portal = db_client.portal
    assert portal is not None
    state = db_client.app.state.services  # type: ignore[attr-defined]
    portal.call(lambda: set_status(state, "diary", d["id"], "hidden"))
    assert db_client.get(f"/v1/diaries/{d['id']}").status_code == 404
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=other.headers).status_code == 404
    mine = db_client.get(f"/v1/diaries/{d['id']}", headers=author.headers)
    assert mine.status_code == 200 and mine.json()["status"] == "hidden"
    assert db_client.get("/v1/diaries").json()["items"] == []

    portal.call(lambda: set_status(state, "diary", d["id"], "removed", case_id="C-2026-0001", reason="侵犯肖像权"))
    r = db_client.get(f"/v1/diaries/{d['id']}", headers=other.headers)
    assert r.status_code == 451
    assert r.json()["case_id"] == "C-2026-0001" and r.json()["reason"] == "侵犯肖像权"
    assert db_client.get(f"/v1/diaries/{d['id']}/entries").status_code == 451
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=author.headers).status_code == 200
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=moderator.headers).status_code == 200

    portal.call(lambda: set_status(state, "diary", d["id"], "published"))
    assert db_client.get(f"/v1/diaries/{d['id']}").json()["status"] == "published"


def test_lists_filter_sort_and_page(db_client: TestClient) -> None:
    ref = reference(db_client)
    author = sign_up(db_client)
    ids = [diary(db_client, author, ref, title=f"第{i}本日记")["id"] for i in range(5)]
    other_proc = db_client.post("/v1/procedures", json={"slug": "thermage", "name": "热玛吉",
                                                     "aliases": ["Thermage", "射频紧肤"]},
                             headers=ref["editor"].headers)
    assert other_proc.status_code == 201
    thermage = diary(db_client, author, ref, title="热玛吉体验", procedure="thermage", clinic_id=None, doctor_id=None)
    first = db_client.get("/v1/diaries?limit=2").json()
    assert [d["id"] for d in first["items"]] == [thermage["id"], ids[4]]
    second = db_client.get(f"/v1/diaries?limit=2&cursor={first['next_cursor']}").json()
    assert [d["id"] for d in second["items"]] == [ids[3], ids[2]]
    assert [d["id"] for d in db_client.get("/v1/diaries?procedure=thermage").json()["items"]] == [thermage["id"]]
    assert len(db_client.get(f"/v1/diaries?clinic_id={ref['clinic']['id']}").json()["items"]) == 5
    entry(db_client, author, ids[0])
    assert db_client.get("/v1/diaries?sort=popular").json()["items"][0]["id"] == ids[0]
    assert db_client.get("/v1/diaries?cursor=forged").status_code == 422
    assert db_client.get("/v1/diaries?sort=best").status_code == 422


def test_idempotency_key_replays(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    body = {"title": "玻尿酸填充苹果肌", "procedure": ref["procedure"], "operated_on": "2026-10-01"}
    headers = {**author.headers, "Idempotency-Key": "diary-1"}
    first = client.post("/v1/diaries", json=body, headers=headers)
    again = client.post("/v1/diaries", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get("/v1/diaries").json()["items"]) == 1
    other = client.post("/v1/diaries", json={**body, "title": "别的"}, headers=headers)
    assert other.status_code == 422


def test_a_hidden_diary_takes_entries_again_once_restored(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    state = client.app.state.services  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(state, "diary", d["id"], "hidden"))
    photo = upload(client, author)
    r = client.post(f"/v1/diaries/{d['id']}/entries", json={"body": "<p>拆线了</p>", "happened_on": "2026-10-08",
                                                           "media_ids": [photo]}, headers=author.headers)
    assert r.status_code == 404, r.text  # as the public is answered while the diary is under review
    assert client.get(f"/v1/diaries/{d['id']}", headers=author.headers).json()["entry_count"] == 0
    portal.call(lambda: set_status(state, "diary", d["id"], "published"))
    entry(client, author, d["id"], media_ids=[photo])
    items = client.get(f"/v1/diaries/{d['id']}/entries").json()["items"]
    assert len(items) == 1 and items[0]["media"][0]["id"] == photo


def test_wrong_media_type_and_oversize_bodies(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    r = client.post(f"/v1/diaries/{d['id']}/entries", content="术后第一天", headers={**author.headers,
                                                                                   "Content-Type": "text/plain"})
    assert r.status_code == 415
    huge = {"body": "肿" * 200_000, "happened_on": "2026-10-02"}
    r = client.post(f"/v1/diaries/{d['id']}/entries", json=huge, headers=author.headers)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    long = {"body": "肿" * 20_001, "happened_on": "2026-10-02"}
    r = client.post(f"/v1/diaries/{d['id']}/entries", json=long, headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


def test_entries_dated_after_today_in_china_are_refused(client: TestClient) -> None:
    from datetime import UTC, datetime

    from kernel.clock import clock

    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    kept = clock.offset
    try:
        # 16:30 UTC on 30 November is half past midnight on 1 December in Beijing.
        clock.offset = datetime(2026, 11, 30, 16, 30, tzinfo=UTC) - datetime.now(UTC)
        today = client.post(f"/v1/diaries/{d['id']}/entries",
                            json={"body": "<p>刚过零点，拆线后第一天</p>", "happened_on": "2026-12-01"},
                            headers=author.headers)
        assert today.status_code == 201, today.text
        r = client.post(f"/v1/diaries/{d['id']}/entries",
                        json={"body": "<p>明天的感受</p>", "happened_on": "2026-12-02"}, headers=author.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "happened_on", r.text
        r = client.patch(f"/v1/diary-entries/{today.json()['id']}", json={"happened_on": "2026-12-02"},
                         headers={**author.headers, "If-Match": today.headers["etag"]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "happened_on", r.text
    finally:
        clock.offset = kept
    shown = client.get(f"/v1/diaries/{d['id']}/entries").json()["items"]
    assert [e["happened_on"] for e in shown] == ["2026-12-01"]  # the refused edit changed nothing
    assert client.get(f"/v1/diaries/{d['id']}").json()["entry_count"] == 1


def test_a_diarys_entries_as_its_author_another_member_a_moderator_and_the_public_see_them(
        db_client: TestClient) -> None:
    ref = reference(db_client)
    author, reader, moderator = sign_up(db_client), sign_up(db_client), sign_up(db_client, role="moderator")
    d = diary(db_client, author, ref)
    first = entry(db_client, author, d["id"], happened_on="2026-09-02", body="<p>术后第一天，肿得睁不开眼</p>")
    hidden = entry(db_client, author, d["id"], happened_on="2026-09-03", body="<p>第二天，医生电话是 13800138000</p>")
    last = entry(db_client, author, d["id"], happened_on="2026-09-09", body="<p>拆线了，双眼皮的弧度很自然</p>")
    state = db_client.app.state.services  # type: ignore[attr-defined]
    assert db_client.portal is not None
    db_client.portal.call(lambda: set_status(state, "diary_entry", hidden["id"], "hidden"))
    assert db_client.put(f"/v1/likes/diary_entry/{last['id']}", headers=reader.headers).json()["liked"] is True

    def shown(headers: dict[str, str] | None, limit: int = 1) -> list[dict[str, object]]:
        items: list[dict[str, object]] = []
        url: str | None = f"/v1/diaries/{d['id']}/entries?limit={limit}"
        while url:
            page = db_client.get(url, headers=headers or {}).json()
            items += page["items"]
            url = f"/v1/diaries/{d['id']}/entries?limit={limit}&cursor={page['next_cursor']}" \
                if page.get("next_cursor") else None
        return items

    # Everyone but the author is shown the published entries, page by page.
    for headers in (None, reader.headers, moderator.headers):
        assert [e["id"] for e in shown(headers)] == [first["id"], last["id"]]
    # The member sees what they liked; the public does not.
    assert [e["liked"] for e in shown(reader.headers, limit=20)] == [False, True]
    assert [e["liked"] for e in shown(None, limit=20)] == [False, False]
    # The author also sees the hidden one, in its place.
    mine = shown(author.headers)
    assert [e["id"] for e in mine] == [first["id"], hidden["id"], last["id"]]
    assert [e["status"] for e in mine] == ["published", "hidden", "published"]
