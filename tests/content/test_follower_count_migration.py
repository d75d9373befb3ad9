"""Follower counts of diaries and questions move from the counter table onto their rows, and back.

An install upgraded from before keeps every count: members who followed a diary or a question
still see the same ``follower_count`` after ``meiji db migrate``, and going back a migration puts
the counts where the older version reads them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.testclient import TestClient

from kernel import db
from meiji.app import create_app
from tests.conftest import base_settings
from tests.content._migrations import migrate_to
from tests.content._people import person
from tests.content.factories import diary, reference

BEFORE = "content.0005_wiki_materials_citations"


async def _counter_rows(url: str, data_dir: Path) -> list[tuple[str, str, int]]:
    settings = base_settings(data_dir, database_url=url)
    await db.open_database(settings)
    try:
        _, rows = await db.connection().execute_query(
            "SELECT target_type, target_id, followers FROM content_follower_count ORDER BY target_type")
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
    finally:
        await db.close_database()


def test_counts_survive_the_move_onto_the_rows_and_back(tmp_path: Path, database_url: str) -> None:
    settings = base_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        ref = reference(client)
        author, readers = person(client), [person(client) for _ in range(3)]
        d = diary(client, author, ref, title="全切双眼皮的恢复记录")
        q = client.post("/v1/questions", json={"title": "热玛吉做完多久能看到效果？", "body": "<p>想在春节前做</p>"},
                        headers=author.headers).json()
        for reader in readers:
            assert client.put(f"/v1/follows/diary/{d['id']}", headers=reader.headers).status_code == 204
            assert client.put(f"/v1/follows/account/{author.id}", headers=reader.headers).status_code == 204
        assert client.put(f"/v1/follows/question/{q['id']}", headers=readers[0].headers).status_code == 204

    # Back to the version that counted them in the table: the counts are there.
    migrate_to(database_url, tmp_path, BEFORE)
    assert asyncio.run(_counter_rows(database_url, tmp_path)) == [
        ("account", author.id, 3), ("diary", d["id"], 3), ("question", q["id"], 1)]

    # And forward again: on the rows, the table keeps only the other kinds.
    migrate_to(database_url, tmp_path, None)
    assert asyncio.run(_counter_rows(database_url, tmp_path)) == [("account", author.id, 3)]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get(f"/v1/diaries/{d['id']}").json()["follower_count"] == 3
        assert client.get(f"/v1/questions/{q['id']}").json()["follower_count"] == 1
        listed = {x["id"]: x for x in client.get("/v1/diaries").json()["items"]}
        assert listed[d["id"]]["follower_count"] == 3
        assert client.get(f"/v1/accounts/{author.id}").json()["follower_count"] == 3
        # Unfollowing moves the row's count, never below what is followed.
        assert client.delete(f"/v1/follows/diary/{d['id']}", headers=readers[1].headers).status_code == 204
        assert client.get(f"/v1/diaries/{d['id']}").json()["follower_count"] == 2
        assert client.get(f"/v1/diaries/{d['id']}", headers=readers[0].headers).json()["followed"] is True
        assert client.get(f"/v1/diaries/{d['id']}", headers=readers[1].headers).json()["followed"] is False
