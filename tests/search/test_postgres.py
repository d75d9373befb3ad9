"""The PostgreSQL backend (``MEIJI_SEARCH_URL=postgres``) on the throwaway cluster."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.settings import Settings
from search import services
from search._fold import fold
from search.interfaces import Document, Query, SearchIndex
from search.postgres_index import PostgresIndex
from tests.conftest import base_settings, fresh_pg_url
from tests.search.conftest import BASE, POSTS, VOCABULARY, FakeSource, corpus_documents, engine_calls, post_documents
from tests.servers import Postgres

pytestmark = pytest.mark.postgres

SAMPLE = 3000


def call(client: TestClient, fn: Any, *args: Any, **kwargs: Any) -> Any:
    portal = client.portal
    assert portal is not None
    return portal.call(lambda: fn(*args, **kwargs))


@pytest.fixture
def pg_app(pg: Postgres, pg_template: str, tmp_path: Path) -> Iterator[TestClient]:
    from meiji.app import create_app

    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template), search_url="postgres")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert isinstance(client.app.state.services.search, PostgresIndex)  # type: ignore[attr-defined]
        call(client, client.app.state.services.search.set_vocabulary, VOCABULARY)  # type: ignore[attr-defined]
        yield client


def index_of(client: TestClient) -> SearchIndex:
    index: SearchIndex = client.app.state.services.search  # type: ignore[attr-defined]
    return index


def ids(client: TestClient, text: str, **options: Any) -> set[str]:
    options.setdefault("limit", 10_000)
    results = call(client, index_of(client).search, Query(text, **options))
    return {h.id for h in results.hits}


def test_relevance_on_reviews(pg_app: TestClient) -> None:
    docs = corpus_documents(SAMPLE) + post_documents()

    async def batches() -> AsyncIterator[list[Document]]:
        for start in range(0, len(docs), 1000):
            yield docs[start:start + 1000]

    assert call(pg_app, index_of(pg_app).rebuild, batches()) == len(docs)

    assert ids(pg_app, "质量") == {d.id for d in docs if "质量" in fold(d.text)}
    rng = random.Random(5)
    long_enough = [d for d in docs if len(d.text) >= 4]
    sample = rng.sample(long_enough, min(200, len(long_enough)))
    hits = 0
    for doc in sample:
        size = rng.randint(2, 4)
        start = rng.randrange(len(doc.text) - size + 1)
        hits += doc.id in ids(pg_app, doc.text[start:start + size])
    assert hits / len(sample) >= 0.95
    assert {"thermage", "rf", "fullwidth"} <= ids(pg_app, "热玛吉")
    assert "eyelid" in ids(pg_app, "雙眼皮")
    found = ids(pg_app, "玻尿酸")
    assert "filler" in found and "uric" not in found
    assert ids(pg_app, "肿") == {d.id for d in docs if "肿" in fold(d.text)}
    # Two one-character parts: each is looked up on ``chars``, both must occur, anywhere.
    assert ids(pg_app, "肿 疼") == {d.id for d in docs if "肿" in fold(d.text) and "疼" in fold(d.text)}
    for text in ['"质量" OR 1=1', "'; DROP TABLE search_document; --", "😀", "\\", "*:", "!(", "质量 <-> 价格"]:
        call(pg_app, index_of(pg_app).search, Query(text, limit=3))
    assert ids(pg_app, "价格和质量都") == ({d.id for d in docs if "质量" in fold(d.text)}
                                         & {d.id for d in docs if "价格" in fold(d.text)})


def test_http_search_writes_deletes_and_pages(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    docs = [Document("review", f"p{i}", "", POSTS["eyelid"], BASE + timedelta(hours=i), procedure="双眼皮",
                     clinic_id=str(i % 2), popularity=float(i)) for i in range(25)]
    call(pg_app, index.upsert, docs)

    seen: list[str] = []
    params: dict[str, Any] = {"q": "拆线", "limit": 10}
    while True:
        body = pg_app.get("/v1/search", params=params).json()
        seen.extend(i["id"] for i in body["items"])
        assert body["total"] == 25
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(set(seen)) == 25
    assert seen[0] == "p24"  # equal text: the most popular first

    recent = pg_app.get("/v1/search", params={"q": "拆线", "sort": "recent", "clinic_id": "1"}).json()["items"]
    assert [i["id"] for i in recent][:3] == ["p23", "p21", "p19"]
    assert "<em>拆线</em>" in recent[0]["snippet"]

    call(pg_app, index.delete, [("review", "p24")])
    assert "p24" not in ids(pg_app, "拆线")
    assert pg_app.get("/v1/search", params={"q": "拆线", "type": "wiki"}).json()["total"] == 0


def test_outbox_and_reindex(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    source = FakeSource()
    source.put(Document("diary", "a", "日记", POSTS["eyelid_tw"], BASE))
    call(pg_app, index.upsert, [Document("diary", "stale", "日记", POSTS["eyelid"], BASE)])
    settings: Settings = pg_app.app.state.services.settings  # type: ignore[attr-defined]

    assert call(pg_app, services.reindex, index, source, settings, progress=False) == 1
    assert ids(pg_app, "双眼皮") == {"a"}

    source.put(Document("diary", "b", "日记", POSTS["thermage"], BASE))
    call(pg_app, services.enqueue, [("diary", "b")])
    call(pg_app, services.run_indexer, index, source, settings, once=True)
    assert ids(pg_app, "射频紧肤") == {"b"}


def test_concurrent_indexers_share_the_outbox(pg_app: TestClient) -> None:
    import asyncio

    from search.models import OutboxEntry

    index = index_of(pg_app)
    source = FakeSource()
    for i in range(10):
        source.put(Document("diary", f"d{i}", "日记", POSTS["eyelid"], BASE))
    call(pg_app, services.enqueue, [("diary", f"d{i}") for i in range(10)])

    async def two_indexers() -> list[int]:
        # Two app workers draining at the same moment: each takes rows the other does not hold.
        return list(await asyncio.gather(services.drain(index, source, batch=5),
                                         services.drain(index, source, batch=5)))

    assert sorted(call(pg_app, two_indexers)) == [5, 5]
    assert call(pg_app, OutboxEntry.filter(done=False).count) == 0
    assert len(ids(pg_app, "双眼皮")) == 10


def test_takedowns_win_over_stale_copies_and_rebuilds(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    other = PostgresIndex()  # the indexer process
    call(pg_app, index.upsert, [Document("diary", "a", "日记", POSTS["eyelid"], BASE)])

    loaded_at = call(pg_app, other.mark)
    call(pg_app, index.delete, [("diary", "a")])  # the app process answers a takedown
    call(pg_app, other.apply, [Document("diary", "a", "日记", POSTS["eyelid"], BASE)], [], loaded_at=loaded_at)
    assert ids(pg_app, "双眼皮") == set()

    async def batches() -> AsyncIterator[list[Document]]:
        yield [Document("diary", "b", "日记", POSTS["eyelid_tw"], BASE),
               Document("diary", "c", "日记", POSTS["eyelid"], BASE)]
        await index.delete([("diary", "c")])

    call(pg_app, other.rebuild, batches())
    assert ids(pg_app, "双眼皮") == {"b"}


def test_every_process_follows_the_shared_vocabulary(pg_app: TestClient) -> None:
    from search.interfaces import Term

    other = PostgresIndex()  # another app process on the same database
    call(pg_app, index_of(pg_app).upsert, [Document("diary", "a", "日记", "做了超声刀，下颌线清楚了", BASE)])

    call(pg_app, index_of(pg_app).set_vocabulary, [*VOCABULARY, Term("超声刀", "procedure", ("Ulthera",))])

    other_found = call(pg_app, other.search, Query("Ulthera"))
    assert [h.id for h in other_found.hits] == ["a"]
    assert [s.text for s in call(pg_app, other.suggest, "csd")] == ["超声刀"]


def test_postgres_search_needs_a_postgres_database() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        services.build_index(Settings(database_url="sqlite:///tmp/x.sqlite3", search_url="postgres"))


def test_rows_written_before_the_chars_column_are_found_again_after_a_rebuild(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    docs = [Document("review", "swollen", "", "拆线第二天眼睛还是肿，第五天好多了。", BASE),
            Document("review", "calm", "", "医生很耐心，恢复得很自然。", BASE)]
    call(pg_app, index.upsert, docs)
    assert ids(pg_app, "肿") == {"swollen"}
    assert not call(pg_app, index.outdated)

    # As the version before the column wrote them: NULL, so a one-character search misses them.
    # Written behind the service's back, the change moves the sequence as every change does, or the
    # pages of hits kept before it would still be shown.
    call(pg_app, lambda: index._db().execute_script(  # type: ignore[attr-defined]
        "UPDATE search_document SET chars = NULL; SELECT nextval('search_sequence')"))
    assert call(pg_app, index.outdated)
    assert ids(pg_app, "肿") == set()
    assert ids(pg_app, "拆线") == {"swollen"}  # longer parts are read from the bigrams as before

    async def batches() -> AsyncIterator[list[Document]]:
        yield docs

    call(pg_app, index.rebuild, batches())
    assert not call(pg_app, index.outdated)
    assert ids(pg_app, "肿") == {"swollen"}
    assert ids(pg_app, "耐 然") == {"calm"}


def test_every_process_keeps_pages_of_hits_until_any_process_changes_the_index(
        pg_app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two app processes on one database, each keeping pages of hits: a change made through either,
    # or by a rebuild in a third, is in the other's very next search of the same words.
    index, other = index_of(pg_app), PostgresIndex(results=512)
    asked = engine_calls(other, monkeypatch)

    def seen(where: SearchIndex) -> set[str]:
        return {h.id for h in call(pg_app, where.search, Query("双眼皮")).hits}

    call(pg_app, index.upsert, [Document("diary", "a", "日记", POSTS["eyelid"], BASE)])
    assert seen(other) == seen(index) == {"a"}
    assert seen(other) == {"a"} and asked == ["双眼皮"]  # the second time from its kept page

    call(pg_app, index.delete, [("diary", "a")])  # a takedown through the first process
    assert seen(other) == set()
    call(pg_app, other.apply, [Document("diary", "b", "日记", POSTS["eyelid_tw"], BASE)], [])
    assert seen(index) == {"b"}

    async def batches() -> AsyncIterator[list[Document]]:
        yield [Document("diary", "c", "日记", POSTS["eyelid"], BASE)]

    call(pg_app, PostgresIndex().rebuild, batches())  # ``meiji search reindex``
    assert seen(other) == seen(index) == {"c"}
    assert asked == ["双眼皮"] * 3
