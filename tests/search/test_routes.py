"""``GET /v1/search`` and ``GET /v1/search/suggest`` as clients see them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from search.interfaces import Document
from search.tantivy_index import TantivyIndex
from tests.conftest import AppFactory
from tests.search.conftest import BASE, POSTS, VOCABULARY, build, corpus_documents


def call(client: TestClient, fn: Any, *args: Any) -> Any:
    portal = client.portal
    assert portal is not None
    return portal.call(fn, *args)


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tantivy index of up to 2,000 reviews and our posts, copied for each test."""
    root = tmp_path_factory.mktemp("routes-index")
    posts = [Document("diary", key, f"日记：{key}", text, BASE - timedelta(days=1), procedure="热玛吉",
                      clinic_id="7") for key, text in POSTS.items()]
    index = TantivyIndex(root)
    asyncio.run(build(index, corpus_documents(2000) + posts))
    asyncio.run(index.close())
    return root


@pytest.fixture
def api(make_client: AppFactory, tmp_path: Path, prebuilt: Path) -> Iterator[TestClient]:
    shutil.copytree(prebuilt, tmp_path / "index")
    with make_client(search_url=f"tantivy://{tmp_path / 'index'}") as client:
        call(client, client.app.state.services.search.set_vocabulary, VOCABULARY)  # type: ignore[attr-defined]
        yield client


def test_search_answers_hits_with_snippets(api: TestClient) -> None:
    r = api.get("/v1/search", params={"q": "热玛吉"})

    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "total", "total_is_estimate", "next_cursor"}
    assert (body["total"], body["total_is_estimate"]) == (3, False)  # tantivy counts every match
    for item in body["items"]:
        # Never an author, nor anything that names one.
        assert set(item) == {"type", "id", "title", "snippet", "score", "created_at", "procedure", "match"}
        assert "<em>" in item["snippet"]
    assert {i["id"] for i in body["items"]} == {"thermage", "rf", "fullwidth"}
    assert body["items"][0]["created_at"].endswith("Z")


def test_empty_or_too_long_queries_are_422(api: TestClient) -> None:
    for q in ["", "   ", "好" * 101]:
        r = api.get("/v1/search", params={"q": q})

        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "q"
    assert api.get("/v1/search").status_code == 422


def test_any_text_is_a_valid_query(api: TestClient) -> None:
    for q in ['"质量" OR 1=1', "*", "'; DROP TABLE search_outbox; --", "😀", "\\", "质量~2", "title:质量",
              "<script>alert(1)</script>", "%", "_", "好" * 100, "(((", "a b c d e", "\u200b", "𠀀𠀁", "ｑ"]:
        r = api.get("/v1/search", params={"q": q})

        assert r.status_code == 200, (q, r.text)
        assert r.json()["total"] >= 0


def test_filters_and_bad_filters(api: TestClient) -> None:
    r = api.get("/v1/search", params={"q": "医生", "type": "diary,wiki", "procedure": "热玛吉", "clinic_id": "7"})
    assert r.status_code == 200
    assert r.json()["items"] and all(i["type"] == "diary" for i in r.json()["items"])

    assert api.get("/v1/search", params={"q": "医生", "type": "post"}).status_code == 422
    assert api.get("/v1/search", params={"q": "医生", "sort": "best"}).status_code == 422
    assert api.get("/v1/search", params={"q": "医生", "limit": 0}).status_code == 422
    assert api.get("/v1/search", params={"q": "医生", "cursor": "not-ours"}).status_code == 422


def test_pages_follow_the_cursor_to_the_end(api: TestClient) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"q": "不错", "limit": 7, "sort": "recent"}
    total = None
    while True:
        body = api.get("/v1/search", params=params).json()
        total = body["total"]
        seen.extend(i["id"] for i in body["items"])
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]

    assert total and total > 14
    assert len(seen) == len(set(seen)) == total


def test_suggest_by_prefix_and_pinyin(api: TestClient) -> None:
    def texts(q: str) -> list[str]:
        r = api.get("/v1/search/suggest", params={"q": q})
        assert r.status_code == 200
        return [s["text"] for s in r.json()["items"]]

    assert "双眼皮" in texts("sy")
    assert "双眼皮" in texts("shuangyanpi")
    assert texts("热") == ["热玛吉"]
    assert api.get("/v1/search/suggest", params={"q": "热"}).json()["items"] == [
        {"text": "热玛吉", "type": "procedure"}]
    assert texts("😀") == []
    assert api.get("/v1/search/suggest", params={"q": ""}).status_code == 422


def test_the_memory_index_used_by_other_rooms_matches_substrings(client: TestClient) -> None:
    index = client.app.state.services.search  # type: ignore[attr-defined]
    call(client, index.upsert, [Document("review", "1", "", "割双眼皮术后第七天", BASE)])

    assert [i["id"] for i in client.get("/v1/search", params={"q": "眼皮"}).json()["items"]] == ["1"]
    assert client.get("/v1/search", params={"q": "雙眼皮"}).json()["total"] == 1
    assert client.get("/v1/search", params={"q": "玻尿酸"}).json()["total"] == 0
