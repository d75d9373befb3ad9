"""Search that forgives, through the whole service: pinyin and homophone typos find what was meant.

Members publish a diary about 双眼皮, a review about 玻尿酸 and a review that misspells 双眼皮 as 双眼脾;
a reader who types pinyin or a homophone finds the intended post, after every post that contains
what was typed. Run on every backend: tantivy, Whoosh, the memory index and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from search import services
from search.models import OutboxEntry
from tests.conftest import AppFactory, Member, base_settings, fresh_pg_url, sign_up
from tests.search.conftest import eventually
from tests.servers import Postgres


@dataclass
class Posts:
    diary: str  # anonymous, about 双眼皮
    filler: str  # a review about 玻尿酸
    typo: str  # a review that writes 双眼脾 for 双眼皮
    diarist: Member


def publish(client: TestClient) -> Posts:
    editor = sign_up(client, role="editor")
    for slug, name, aliases in (("double-eyelid", "双眼皮", ["重睑术"]), ("hyaluronic", "玻尿酸", ["透明质酸"])):
        r = client.post("/v1/procedures", json={"slug": slug, "name": name, "aliases": aliases},
                        headers=editor.headers)
        assert r.status_code == 201, r.text
    clinic = client.post("/v1/clinics", json={"name": "成都华美整形医院", "city": "成都",
                                              "license_no": "PDY00001X510100"}, headers=editor.headers).json()
    diarist = sign_up(client, handle="小鹿爱美丽")
    r = client.post("/v1/diaries", json={"title": "全切双眼皮恢复日记", "procedure": "double-eyelid",
                                         "operated_on": "2026-10-01", "anonymous": True, "before_media_ids": []},
                    headers=diarist.headers)
    assert r.status_code == 201, r.text
    diary = r.json()["id"]
    r = client.post(f"/v1/diaries/{diary}/entries", json={
        "body": "<p>术后第七天拆线，肿胀消了一大半，眼睛终于睁得开了。</p>", "happened_on": "2026-10-08",
        "media_ids": []}, headers=diarist.headers)
    assert r.status_code == 201, r.text
    reviewer = sign_up(client)
    r = client.post("/v1/reviews", headers=reviewer.headers, json={
        "target_type": "clinic", "target_id": clinic["id"], "procedure": "hyaluronic", "rating": 4,
        "body": "<p>在这里打了玻尿酸填充苹果肌，医生手法很轻，效果维持了半年左右。</p>", "anonymous": False,
        "media_ids": []})
    assert r.status_code == 201, r.text
    filler = r.json()["id"]
    r = client.post("/v1/reviews", headers=sign_up(client).headers, json={
        "target_type": "clinic", "target_id": clinic["id"], "rating": 3,
        "body": "<p>朋友在这家做的双眼脾，价格不贵，就是排队等了两个小时。</p>", "anonymous": False,
        "media_ids": []})
    assert r.status_code == 201, r.text
    return Posts(diary, filler, r.json()["id"], diarist)


def search(client: TestClient, q: str) -> list[dict[str, Any]]:
    """What a reader without an account finds."""
    r = client.get("/v1/search", params={"q": q})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def found(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["type"], i["id"], i["match"]) for i in items]


def journey(client: TestClient, settle: Callable[[], None]) -> None:
    posts = publish(client)
    settle()
    diary, filler, typo = ("diary", posts.diary), ("review", posts.filler), ("review", posts.typo)

    # Pinyin, without tones, with tone marks or spaces: the diary and the misspelt review, nothing else.
    for q in ("shuangyanpi", "shuāng yǎn pí", "shuang yan pi"):
        assert {(t, i) for t, i, _ in found(search(client, q))} == {diary, typo}, q
    # The typo finds the review that has it, then the posts it meant.
    assert found(search(client, "双眼脾")) == [(*typo, "exact"), (*diary, "sound")]
    assert found(search(client, "玻尿算")) == [(*filler, "sound")]
    # A name reads every way its characters do: 重 is chong in 重睑术, an alias of 双眼皮.
    by_name = {i["id"]: i for i in search(client, "chongjianshu")}
    assert by_name[posts.diary]["match"] == "sound" and "<em>双眼皮</em>" in by_name[posts.diary]["snippet"]
    # The right word still ranks the post that says it first.
    assert found(search(client, "双眼皮")) == [(*diary, "exact"), (*typo, "sound")]
    # What matched by sound is marked in the snippet; the anonymous diarist is nowhere in the answer.
    heard = client.get("/v1/search", params={"q": "shuangyanpi"})
    by_id = {i["id"]: i for i in heard.json()["items"]}
    assert "<em>双眼皮</em>" in by_id[posts.diary]["snippet"]
    assert "<em>双眼脾</em>" in by_id[posts.typo]["snippet"]
    assert posts.diarist.handle not in heard.text
    assert not {"author", "author_id", "handle", "avatar"} & set(by_id[posts.diary])
    # A single syllable or character is too vague to forgive: it finds what contains it.
    assert {i["match"] for i in search(client, "皮")} == {"exact"}

    # Once the diary is deleted, nobody finds it, by its text or by its sound.
    assert client.delete(f"/v1/diaries/{posts.diary}", headers=posts.diarist.headers).status_code in (200, 204)
    settle()
    assert found(search(client, "shuangyanpi")) == [(*typo, "sound")]
    assert found(search(client, "双眼皮")) == [(*typo, "sound")]


@pytest.mark.parametrize("backend", ["tantivy", "whoosh", "memory"])
def test_pinyin_and_homophones_find_the_intended_post_after_exact_matches(make_client: AppFactory, tmp_path: Path,
                                                                          backend: str) -> None:
    url = "memory://" if backend == "memory" else f"{backend}://{tmp_path / 'index'}"
    with make_client(search_url=url, background=True, indexer_seconds=0.05, scheduler_seconds=3600.0) as client:
        def settle() -> None:
            # The in-process indexer applies the outbox within its period: wait until it did.
            portal = client.portal
            assert portal is not None
            assert eventually(lambda: not portal.call(lambda: OutboxEntry.exists(done=False)), 5.0)

        journey(client, settle)


@pytest.mark.postgres
def test_pinyin_and_homophones_on_postgres(pg: Postgres, pg_template: str, tmp_path: Path) -> None:
    from meiji.app import create_app

    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template), search_url="postgres")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        state = client.app.state.services  # type: ignore[attr-defined]

        def settle() -> None:
            portal = client.portal
            assert portal is not None
            portal.call(lambda: services.run_indexer(state.search, state.documents, settings, once=True))

        journey(client, settle)

        # Rows written before the sound column existed have it NULL: found by text only, until the
        # background job rebuilds the table.
        portal = client.portal
        assert portal is not None
        # Written behind the service's back: the sequence is moved as every change moves it.
        portal.call(lambda: state.search._db().execute_script(
            "UPDATE search_document SET sound = NULL; SELECT nextval('search_sequence')"))
        assert portal.call(state.search.outdated)
        assert search(client, "shuangyanpi") == []
        assert portal.call(lambda: services.Upgrade()(state.search, state.documents, settings)) == 2  # 玻尿酸, 双眼脾
        assert not portal.call(state.search.outdated)
        assert [i["match"] for i in search(client, "shuangyanpi")] == ["sound"]


def old_index(kind: str, root: Path) -> None:
    """An index directory as the version before the sound field wrote it."""
    from search._generations import Generations

    path = Generations(root).path(Generations(root).current())
    if kind == "tantivy":
        import tantivy

        from search.tantivy_index import OLD_SCHEMA

        tantivy.Index(OLD_SCHEMA, path=str(path))
    else:
        from whoosh import index as whoosh_index

        from search.whoosh_index import schema

        old = schema()
        old.remove("sound")
        whoosh_index.create_in(str(path), old)


@pytest.mark.parametrize("backend", ["tantivy", "whoosh"])
def test_an_index_built_before_pinyin_is_rebuilt_by_the_server(make_client: AppFactory, tmp_path: Path,
                                                               backend: str) -> None:
    url = f"{backend}://{tmp_path / 'index'}"
    old_index(backend, tmp_path / "index")
    # The old version's server, with posts indexed the old way: found by their text only.
    with make_client(search_url=url) as client:
        posts = publish(client)
        state = client.app.state.services  # type: ignore[attr-defined]
        portal = client.portal
        assert portal is not None
        portal.call(lambda: services.run_indexer(state.search, state.documents, state.settings, once=True))
        assert portal.call(state.search.outdated)
        assert found(search(client, "双眼皮")) == [("diary", posts.diary, "exact")]
        assert found(search(client, "shuangyanpi")) == []

    # The new version's server rebuilds it aside at start: then pinyin finds what was posted before.
    with make_client(search_url=url, background=True, indexer_seconds=0.05, scheduler_seconds=3600.0) as client:
        assert eventually(lambda: search(client, "shuangyanpi"), 10.0)
        assert {(t, i) for t, i, _ in found(search(client, "shuangyanpi"))} == {("diary", posts.diary),
                                                                                 ("review", posts.typo)}
        state = client.app.state.services  # type: ignore[attr-defined]
        portal = client.portal
        assert portal is not None
        assert not portal.call(state.search.outdated)


def page_through(client: TestClient, q: str) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    params: dict[str, Any] = {"q": q, "limit": 7}
    while True:
        body = client.get("/v1/search", params=params).json()
        assert body["total"] == 30
        seen.extend((i["id"], i["match"]) for i in body["items"])
        if not body["next_cursor"]:
            return seen
        params["cursor"] = body["next_cursor"]


def many_posts(client: TestClient) -> None:
    """25 reviews that say 水光针 and 5 that misspell it 水光真 (written straight to the index)."""
    from datetime import UTC, datetime, timedelta

    from search.interfaces import Document

    base = datetime(2026, 3, 1, tzinfo=UTC)
    docs = [Document("review", f"right{i}", "", f"第{i}次打水光针，皮肤比上个月细腻。", base + timedelta(hours=i),
                     popularity=float(i)) for i in range(25)]
    # The misspelt ones are the most popular and the newest: they still come after every exact hit.
    docs += [Document("review", f"typo{i}", "", f"水光真的值得打吗？我打了第{i}次。", base + timedelta(days=9, hours=i),
                      popularity=1000.0) for i in range(5)]
    portal = client.portal
    assert portal is not None
    portal.call(client.app.state.services.search.upsert, docs)  # type: ignore[attr-defined]


def check_pages(client: TestClient) -> None:
    seen = page_through(client, "水光针")
    assert len(seen) == len(set(seen)) == 30
    assert [m for _, m in seen] == ["exact"] * 25 + ["sound"] * 5
    assert {i for i, _ in seen[25:]} == {f"typo{i}" for i in range(5)}
    recent = client.get("/v1/search", params={"q": "水光针", "sort": "recent", "limit": 30}).json()["items"]
    assert [i["match"] for i in recent] == ["exact"] * 25 + ["sound"] * 5


@pytest.mark.parametrize("backend", ["tantivy", "whoosh", "memory"])
def test_pages_go_through_exact_hits_then_sound_hits(make_client: AppFactory, tmp_path: Path, backend: str) -> None:
    url = "memory://" if backend == "memory" else f"{backend}://{tmp_path / 'index'}"
    with make_client(search_url=url) as client:
        many_posts(client)
        check_pages(client)


@pytest.mark.parametrize("backend", ["tantivy", "whoosh"])
def test_many_exact_hits_leave_the_sound_ones_uncounted_until_a_page_reaches_them(
        make_client: AppFactory, tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``SOUND_COUNTED_UP_TO`` exact hits (lowered to 10 here: 25 say 水光针), a page among them
    says its total is an estimate and does not count the 5 that only sound like it; the page that
    reaches past the exact hits finds them, and its total is exact again."""
    from search.engine import EngineIndex

    monkeypatch.setattr(EngineIndex, "SOUND_COUNTED_UP_TO", 10)
    with make_client(search_url=f"{backend}://{tmp_path / 'index'}") as client:
        many_posts(client)
        pages: list[dict[str, Any]] = []
        params: dict[str, Any] = {"q": "水光针", "limit": 7}
        while True:
            pages.append(client.get("/v1/search", params=params).json())
            if not pages[-1]["next_cursor"]:
                break
            params["cursor"] = pages[-1]["next_cursor"]
        # Offsets 0, 7 and 14 lie among the 25 exact hits; 21 reaches past them.
        assert [(p["total"], p["total_is_estimate"]) for p in pages] == [(25, True)] * 3 + [(30, False)] * 2
        seen = [(i["id"], i["match"]) for p in pages for i in p["items"]]
        assert len(seen) == len(set(seen)) == 30
        assert [m for _, m in seen] == ["exact"] * 25 + ["sound"] * 5
    monkeypatch.undo()
    with make_client(search_url=f"{backend}://{tmp_path / 'index2'}") as client:
        many_posts(client)
        first = client.get("/v1/search", params={"q": "水光针", "limit": 7}).json()
        assert (first["total"], first["total_is_estimate"]) == (30, False)  # 25 exact hits are counted whole


@pytest.mark.postgres
def test_pages_go_through_exact_hits_then_sound_hits_on_postgres(pg: Postgres, pg_template: str,
                                                                 tmp_path: Path) -> None:
    from meiji.app import create_app

    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template), search_url="postgres")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        many_posts(client)
        check_pages(client)
