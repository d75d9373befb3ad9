"""The feed is written when a post is published: what a follow brings, what an unfollow takes, and
an upgrade that keeps every feed as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from content.services import feed as feed_service
from meiji.app import create_app
from tests.conftest import Member, base_settings
from tests.content._migrations import migrate_to
from tests.content._people import person
from tests.content.factories import diary, entry, reference
from tests.content.test_feed import answer, ask, follow, shown
from tests.content.test_follows import hide


def test_a_new_follow_brings_the_newest_posts_of_its_source(db_client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_service, "BACKFILL", 2)
    ref = reference(db_client)
    asker, follower = person(db_client), person(db_client)
    asked = [ask(db_client, asker, title, procedure=ref["procedure"])
             for title in ("割双眼皮要休息几天？", "埋线双眼皮能维持多久？", "双眼皮修复去哪家医院？")]

    follow(db_client, follower, "procedure", ref["procedure"])

    # The two newest of what was there, then everything new.
    assert shown(db_client, follower) == [("question", asked[2]["id"]), ("question", asked[1]["id"])]
    newer = ask(db_client, asker, "双眼皮术后可以戴隐形眼镜吗？", procedure=ref["procedure"])
    assert shown(db_client, follower)[0] == ("question", newer["id"])


def test_unfollowing_one_source_keeps_what_another_still_brings(db_client: TestClient) -> None:
    ref = reference(db_client)
    poster, follower = person(db_client), person(db_client)
    follow(db_client, follower, "account", poster.id)
    follow(db_client, follower, "procedure", ref["procedure"])
    on_procedure = ask(db_client, poster, "双眼皮消肿有什么好办法？", procedure=ref["procedure"])
    general = ask(db_client, poster, "第一次去面诊要准备什么？")

    items = db_client.get("/v1/me/feed", headers=follower.headers).json()["items"]
    # Both through the account: the most specific source is named.
    by_account = {"type": "account", "id": poster.id}
    assert [(i["id"], i["because"]) for i in items] == [(general["id"], by_account), (on_procedure["id"], by_account)]

    assert db_client.delete(f"/v1/follows/account/{poster.id}", headers=follower.headers).status_code == 204
    items = db_client.get("/v1/me/feed", headers=follower.headers).json()["items"]
    # The question on the followed procedure stays; the other came through its author only.
    assert [(i["id"], i["because"]) for i in items] == [
        (on_procedure["id"], {"type": "procedure", "id": ref["procedure"]})]


def _feeds(client: TestClient, members: list[Member]) -> list[list[tuple[str, str, str]]]:
    out = []
    for member in members:
        items = client.get("/v1/me/feed", headers=member.headers).json()["items"]
        out.append([(i["type"], i["id"], i["because"]["type"]) for i in items])
    return out


def test_an_upgrade_writes_the_feeds_of_every_existing_follow(tmp_path: Path, database_url: str) -> None:
    settings = base_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        ref = reference(client)
        diarist, asker, helper = person(client), person(client), person(client)
        readers = [person(client) for _ in range(3)]
        d = diary(client, diarist, ref, title="热玛吉前后对比记录")
        q = ask(client, asker, "热玛吉和超声炮选哪个？", procedure=ref["procedure"])
        follow(client, readers[0], "diary", d["id"])
        follow(client, readers[0], "account", helper.id)
        follow(client, readers[1], "question", q["id"])
        follow(client, readers[1], "clinic", ref["clinic"]["id"])
        follow(client, readers[2], "procedure", ref["procedure"])
        entry(client, diarist, d["id"], body="<p>做完第三天，脸有点紧绷感。</p>")
        answer(client, helper, q["id"], "<p>皮肤松弛选热玛吉，轮廓选超声炮。</p>")
        answer(client, helper, q["id"], "<p>匿名补充：价格差不少。</p>", anonymous=True)
        before = _feeds(client, readers)
    assert all(before), before

    # Back to before the feed was written, then forward: the rows are rebuilt from the follows.
    migrate_to(database_url, tmp_path, "content.0006_follower_count_on_rows")
    migrate_to(database_url, tmp_path, None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert _feeds(client, readers) == before


def test_a_page_reads_past_what_left_the_public(db_client: TestClient) -> None:
    ref = reference(db_client)
    asker, follower = person(db_client), person(db_client)
    follow(db_client, follower, "procedure", ref["procedure"])
    asked = [ask(db_client, asker, f"双眼皮第{n}问：术后多久能洗脸？", procedure=ref["procedure"]) for n in range(8)]
    for q in asked[3:]:
        hide(db_client, "question", q["id"], "removed")

    first = db_client.get("/v1/me/feed", params={"limit": 2}, headers=follower.headers).json()
    second = db_client.get("/v1/me/feed", params={"limit": 2, "cursor": first["next_cursor"]},
                           headers=follower.headers).json()

    assert [i["id"] for i in first["items"]] == [asked[2]["id"], asked[1]["id"]]
    assert [i["id"] for i in second["items"]] == [asked[0]["id"]] and second["next_cursor"] is None
