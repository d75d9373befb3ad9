"""Lists kept until the database changes (``kernel.web.kept``): readers who open the same page get
it without a query, and nobody ever gets a page older than the last write, or someone else's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from kernel import db
from kernel.web.kept import KeptPages
from tests.conftest import AppFactory, sign_up
from tests.content.factories import diary, reference


def kept(client: TestClient) -> KeptPages:
    pages: KeptPages = client.app.state.services.kept_pages  # type: ignore[attr-defined]
    return pages


def titles(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]]


def commit_elsewhere(sqlite_url: str, statement: str) -> None:
    """A write committed by another process, as ``meiji moderation tick`` or a second worker would."""
    path = sqlite_url.removeprefix("sqlite://")
    code = f"import sqlite3; c = sqlite3.connect({path!r}); c.execute({statement!r}); c.commit()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_kept_page_never_outlives_a_write_nor_reaches_another_reader(client: TestClient, sqlite_url: str) -> None:
    ref = reference(client)
    author, reader = sign_up(client, handle="小鹿爱美"), sign_up(client)
    moderator = sign_up(client, role="moderator")
    named = diary(client, author, ref, title="全切双眼皮第7天，终于消肿了")
    hidden = diary(client, author, ref, title="埋线双眼皮一个月记录", anonymous=True)

    # The public opens the list twice: the second answer is the first one, given again.
    first = client.get("/v1/diaries?limit=20")
    assert titles(first) == ["埋线双眼皮一个月记录", "全切双眼皮第7天，终于消肿了"]
    hits = kept(client).outcomes["kept"]
    again = client.get("/v1/diaries?limit=20")
    assert again.content == first.content and kept(client).outcomes["kept"] == hits + 1

    # The author's own page (their anonymous diary marked as theirs) is kept for them alone.
    own = client.get("/v1/diaries?limit=20", headers=author.headers).json()["items"]
    assert own[0]["is_mine"] is True and own[0]["author"]["handle"] == "小鹿爱美"
    public = client.get("/v1/diaries?limit=20").json()["items"]
    assert public[0]["author"] is None and public[0]["is_mine"] is False and "小鹿爱美" not in str(public[0])
    assert client.get("/v1/diaries?limit=20", headers=reader.headers).json()["items"][0]["author"] is None

    # An edit shows at once, and so does a new handle (the account's row, not the diary's).
    r = client.patch(f"/v1/diaries/{named['id']}", json={"title": "全切双眼皮第8天，疤痕变淡"},
                     headers={**author.headers, "If-Match": client.get(f"/v1/diaries/{named['id']}").headers["ETag"]})
    assert r.status_code == 200, r.text
    assert titles(client.get("/v1/diaries?limit=20"))[1] == "全切双眼皮第8天，疤痕变淡"
    assert client.patch("/v1/me", json={"handle": "小鹿不爱美了"}, headers=author.headers).status_code == 200
    authors = [item["author"] for item in client.get("/v1/diaries?limit=20").json()["items"]]
    assert authors == [None, {"id": author.id, "handle": "小鹿不爱美了", "avatar": None}]

    # A like changes the liker's own page (liked, the count) and the public's count, at once.
    before = client.get("/v1/diaries?limit=20", headers=reader.headers).json()["items"][1]
    assert before["liked"] is False
    assert client.put(f"/v1/likes/diary/{named['id']}", headers=reader.headers).status_code in (200, 201, 204)
    after = client.get("/v1/diaries?limit=20", headers=reader.headers).json()["items"][1]
    assert after["liked"] is True and after["like_count"] == before["like_count"] + 1
    assert client.get("/v1/diaries?limit=20").json()["items"][1]["like_count"] == before["like_count"] + 1

    # A removal committed by another process is seen by the next request: nothing stale is given.
    assert titles(client.get("/v1/diaries?limit=20")) == ["埋线双眼皮一个月记录", "全切双眼皮第8天，疤痕变淡"]
    commit_elsewhere(sqlite_url, f"UPDATE content_diary SET status = 'removed' WHERE id = {int(hidden['id'])}")
    assert titles(client.get("/v1/diaries?limit=20")) == ["全切双眼皮第8天，疤痕变淡"]
    assert client.get(f"/v1/diaries/{hidden['id']}").status_code == 410  # removed, as the detail says

    # The moderator's view of the same query is theirs, not the public's.
    assert titles(client.get("/v1/diaries?limit=20", headers=moderator.headers)) == ["全切双眼皮第8天，疤痕变淡"]
    # Errors are not kept: an unknown diary's entries stay 404 and a known one's answer is a list.
    assert client.get("/v1/diaries/999999/entries").status_code == 404
    assert client.get(f"/v1/diaries/{named['id']}/entries").json()["items"] == []


def test_every_list_apps_page_through_is_kept_and_follows_writes(client: TestClient) -> None:
    ref = reference(client)
    author, reader = sign_up(client), sign_up(client)
    made = diary(client, author, ref)
    asked = {"title": "双眼皮多久可以化妆？", "body": "<p>术后第十天了，眼睛还有点肿。</p>",
             "procedure": ref["procedure"], "anonymous": False}
    q = client.post("/v1/questions", json=asked, headers=reader.headers)
    assert q.status_code == 201, q.text
    assert client.put(f"/v1/follows/diary/{made['id']}", headers=reader.headers).status_code in (200, 201, 204)
    lists = ["/v1/diaries?limit=20", "/v1/diaries?limit=20&sort=popular", f"/v1/diaries/{made['id']}/entries",
             f"/v1/reviews?target_type=clinic&target_id={ref['clinic']['id']}", "/v1/questions",
             f"/v1/questions/{q.json()['id']}/answers", f"/v1/comments?target_type=diary&target_id={made['id']}",
             "/v1/me/feed"]
    for path in lists:
        first = client.get(path, headers=reader.headers)
        hits = kept(client).outcomes["kept"]
        again = client.get(path, headers=reader.headers)
        assert again.status_code == 200 and again.content == first.content, path
        assert kept(client).outcomes["kept"] == hits + 1, path

    # A comment by someone else shows in the comments list and, as a new entry, in the reader's feed.
    r = client.post("/v1/comments", json={"target_type": "diary", "target_id": made["id"],
                                          "body": "恢复得真好，请问是哪位医生做的？", "anonymous": False},
                    headers=author.headers)
    assert r.status_code == 201, r.text
    comments = client.get(f"/v1/comments?target_type=diary&target_id={made['id']}", headers=reader.headers)
    assert [c["body"] for c in comments.json()["items"]] == ["恢复得真好，请问是哪位医生做的？"]
    r = client.post(f"/v1/diaries/{made['id']}/entries", json={"body": "<p>第七天拆线，肿消了一半。</p>",
                                                             "happened_on": "2026-10-08"}, headers=author.headers)
    assert r.status_code == 201, r.text
    feed = client.get("/v1/me/feed", headers=reader.headers).json()["items"]
    assert any("拆线" in str(item) for item in feed)


def test_the_operator_sees_what_is_kept_and_can_keep_nothing(make_client: AppFactory) -> None:
    scraper = {"Authorization": "Bearer prometheus-scraper-token-2026-12"}
    with make_client(metrics_token="prometheus-scraper-token-2026-12") as client:
        for _ in range(3):
            assert client.get("/v1/diaries").status_code == 200
        metrics = client.get("/metrics", headers=scraper).text
        assert 'meiji_list_answers_total{answer="kept"} 2' in metrics
        assert 'meiji_list_answers_total{answer="computed"} 1' in metrics
    with make_client(lists_kept=0, metrics_token="prometheus-scraper-token-2026-12") as client:
        for _ in range(3):
            assert client.get("/v1/diaries").status_code == 200
        assert kept(client).outcomes["kept"] == 0
        assert 'meiji_list_answers_total{answer="kept"}' not in client.get("/metrics", headers=scraper).text


def test_the_database_says_when_it_changed(db_client: TestClient, database_url: str) -> None:
    """SQLite tells a commit from any connection cheaply; PostgreSQL cannot, and keeps nothing."""
    portal = db_client.portal
    assert portal is not None
    member = sign_up(db_client)
    before = portal.call(_mark)
    for _ in range(3):
        assert db_client.get("/v1/questions", headers=member.headers).status_code == 200
    if database_url.startswith("postgres"):
        assert before is None and kept(db_client).outcomes["kept"] == 0
        return
    assert before is not None and portal.call(_mark) == before  # reads change nothing
    assert kept(db_client).outcomes["kept"] == 2
    r = db_client.post("/v1/questions", json={"title": "热玛吉能维持多久？", "body": "<p>想做全脸，预算一万左右。</p>",
                                              "anonymous": True}, headers=member.headers)
    assert r.status_code == 201, r.text
    assert portal.call(_mark) != before
    assert [q["title"] for q in db_client.get("/v1/questions", headers=member.headers).json()["items"]] == [
        "热玛吉能维持多久？"]


async def _mark() -> object:
    return db.change_mark()


def test_the_setting_reads_from_the_environment(tmp_path: Path) -> None:
    from kernel.settings import load

    assert load({"MEIJI_DATA_DIR": str(tmp_path)}).lists_kept == 256
    assert load({"MEIJI_DATA_DIR": str(tmp_path), "MEIJI_LISTS_KEPT": "0"}).lists_kept == 0
