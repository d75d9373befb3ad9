"""PostgreSQL search with many matches: a bounded set of ranked candidates and an estimated total.

The bound is lowered to a handful of documents so that a small table shows what 170,000 reviews
would: pages that neither repeat nor skip a hit, ``total_is_estimate``, exact totals below it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from search import postgres_index
from search.interfaces import Document, SearchIndex
from search.postgres_index import PostgresIndex
from tests.conftest import base_settings, fresh_pg_url
from tests.search.conftest import BASE, VOCABULARY
from tests.servers import Postgres

pytestmark = pytest.mark.postgres

BOUND = 6


def index_of(client: TestClient) -> SearchIndex:
    state = client.app.state  # type: ignore[attr-defined]
    index: SearchIndex = getattr(state, "services", state).search
    return index


def call(client: TestClient, fn: Any, *args: Any) -> Any:
    portal = client.portal
    assert portal is not None
    return portal.call(fn, *args)


@pytest.fixture
def pg_app(pg: Postgres, pg_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from meiji.app import create_app

    monkeypatch.setattr(postgres_index, "CANDIDATES", BOUND)
    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template), search_url="postgres")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert isinstance(index_of(client), PostgresIndex)
        call(client, index_of(client).set_vocabulary, VOCABULARY)
        yield client


def stitches(count: int) -> list[Document]:
    return [Document("review", f"s{i}", "", f"割双眼皮第{i + 5}天拆线，医生手很轻，基本不疼。",
                     BASE + timedelta(hours=i), procedure="双眼皮", popularity=float(i * 3)) for i in range(count)]


def walk(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every page of a search, following next_cursor; each page's body."""
    pages = []
    while True:
        body = client.get("/v1/search", params=params).json()
        pages.append(body)
        if not body["next_cursor"]:
            return pages
        params["cursor"] = body["next_cursor"]


def test_a_common_word_pages_through_ranked_candidates_with_an_estimated_total(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    call(pg_app, index.upsert, [*stitches(14),
                                Document("diary", "walnut", "日记", "拆线以后肿得像核桃，第三天才消下去。", BASE),
                                Document("diary", "walnut2", "日记", "眼睛肿得像核桃一样，不敢出门。", BASE)])
    call(pg_app, index.delete, [("review", "s13")])  # taken down: nobody finds it any more

    pages = walk(pg_app, q="拆线", limit=4)
    seen = [item["id"] for body in pages for item in body["items"]]
    assert len(seen) == len(set(seen)) == BOUND  # pages end with the ranked candidates, none twice
    assert "s13" not in seen
    scores = [item["score"] for body in pages for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    for body in pages:
        assert body["total_is_estimate"] is True
        assert body["total"] >= BOUND

    # Newest first walks every match: no ranking, so no bound.
    recent = [item["id"] for body in walk(pg_app, q="拆线", sort="recent", limit=5) for item in body["items"]]
    assert recent[:3] == ["s12", "s11", "s10"]
    assert len(recent) == 14 and "s13" not in recent

    rare = pg_app.get("/v1/search", params={"q": "核桃"}).json()
    assert {item["id"] for item in rare["items"]} == {"walnut", "walnut2"}
    assert (rare["total"], rare["total_is_estimate"]) == (2, False)
    none = pg_app.get("/v1/search", params={"q": "拆线", "type": "wiki"}).json()
    assert (none["total"], none["total_is_estimate"], none["items"]) == (0, False, [])


def test_quotes_and_control_characters_are_text_in_the_inlined_query(pg_app: TestClient) -> None:
    index = index_of(pg_app)
    call(pg_app, index.upsert, [Document("question", "q1", "术后能喝'凉茶'吗", "医生说's 没关系\\但要少喝。", BASE)])

    for text in ["'凉茶'", "说's", "没关系\\但", "凉茶'; DROP TABLE search_document; --"]:
        response = pg_app.get("/v1/search", params={"q": text})
        assert response.status_code == 200, (text, response.text)
    assert [item["id"] for item in pg_app.get("/v1/search", params={"q": "'凉茶'"}).json()["items"]] == ["q1"]
    assert [item["id"] for item in pg_app.get("/v1/search", params={"q": "没关系\\但"}).json()["items"]] == ["q1"]
    for text in ["\x00", "凉\x00茶", "\x01"]:
        response = pg_app.get("/v1/search", params={"q": text})
        assert response.status_code in (200, 422), (repr(text), response.text)
    assert pg_app.get("/v1/search", params={"q": "凉茶"}).json()["total"] == 1


def test_inlined_text_reads_back_the_same_whatever_the_server_settings(pg: Postgres, pg_template: str) -> None:
    import asyncio

    import asyncpg  # type: ignore[import-untyped]

    from search.postgres_index import sql_text

    url = fresh_pg_url(pg, pg_template)

    async def check() -> None:
        conn = await asyncpg.connect(url)
        try:
            for setting in ("on", "off"):  # off: backslashes escape in plain '' strings
                await conn.execute(f"SET standard_conforming_strings = {setting}")
                for text in ["术后'第三天'", "\\'; DROP TABLE search_document; --", "没关系\\\\但''", "凉\\茶'"]:
                    assert await conn.fetchval(f"SELECT {sql_text(text)}::text") == text
        finally:
            await conn.close()

    asyncio.run(check())
