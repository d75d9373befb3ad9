"""Writing to an index: upserts replace, deletes are gone when the call returns, rebuilds swap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from search.engine import EngineIndex
from search.interfaces import Document, Query, Term
from search.tantivy_index import TantivyIndex
from search.whoosh_index import WhooshIndex
from tests.search.conftest import BASE, POSTS, VOCABULARY, engine_calls


def diary(key: str, text: str, **extra: object) -> Document:
    return Document("diary", key, f"日记 {key}", text, BASE, **extra)  # type: ignore[arg-type]


async def found(index: EngineIndex, text: str) -> set[str]:
    return {h.id for h in (await index.search(Query(text, limit=100))).hits}


def test_deleted_documents_are_gone_when_delete_returns(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"]), diary("b", POSTS["eyelid_tw"])])
        assert await found(engine, "双眼皮") == {"a", "b"}

        await engine.delete([("diary", "a"), ("diary", "never-indexed")])

        assert await found(engine, "双眼皮") == {"b"}

    asyncio.run(scenario())


def test_upsert_replaces_the_old_text(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])
        await engine.upsert([diary("a", POSTS["filler"])])

        assert await found(engine, "拆线") == set()
        assert await found(engine, "苹果肌") == {"a"}
        assert (await engine.search(Query("苹果肌"))).total == 1

    asyncio.run(scenario())


def test_apply_upserts_and_deletes_together(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])

        await engine.apply([diary("b", POSTS["eyelid_tw"])], [("diary", "a")])

        assert await found(engine, "双眼皮") == {"b"}

    asyncio.run(scenario())


def test_replaying_the_same_changes_converges(engine: EngineIndex) -> None:
    async def scenario() -> None:
        for _ in range(3):
            await engine.apply([diary("a", POSTS["eyelid"]), diary("b", POSTS["rf"])], [("diary", "c")])

        assert (await engine.search(Query("双眼皮"))).total == 1
        assert (await engine.search(Query("热玛吉"))).total == 1

    asyncio.run(scenario())


def test_clear_empties_the_index(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])

        await engine.clear()

        assert await found(engine, "双眼皮") == set()

    asyncio.run(scenario())


def test_rebuild_swaps_in_a_new_index(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("old", POSTS["eyelid"])])

        async def batches() -> AsyncIterator[list[Document]]:
            yield [diary("new", POSTS["eyelid_tw"])]

        assert await engine.rebuild(batches()) == 1
        assert await found(engine, "双眼皮") == {"new"}

    asyncio.run(scenario())


def test_another_process_sees_a_rebuild_on_its_next_call(tmp_path: Path) -> None:
    # ``meiji search reindex`` runs in its own process while the app keeps its index open.
    for kind in (TantivyIndex, WhooshIndex):
        async def scenario(kind: type[EngineIndex] = kind) -> None:
            root = tmp_path / kind.__name__
            app = kind(root, results=512)  # type: ignore[call-arg]  # the owner keeps pages of hits
            cli = kind(root)  # type: ignore[call-arg]
            await app.upsert([diary("old", POSTS["eyelid"])])
            assert await found(app, "双眼皮") == {"old"}

            async def batches() -> AsyncIterator[list[Document]]:
                yield [diary("new", POSTS["eyelid_tw"])]

            await cli.rebuild(batches())
            await cli.close()

            assert await found(app, "双眼皮") == {"new"}
            await app.delete([("diary", "new")])  # the app's writer follows the new generation
            assert await found(app, "双眼皮") == set()
            await app.close()

        asyncio.run(scenario())


@pytest.mark.parametrize("kind", [TantivyIndex, WhooshIndex])
def test_searches_while_another_writer_commits_never_fail(tmp_path: Path, kind: type[EngineIndex]) -> None:
    # The indexer (its own process, or a thread of the app) commits while readers search: a reader
    # must never open a table of contents that the commit has just replaced and deleted.
    async def scenario() -> None:
        app = kind(tmp_path)  # type: ignore[call-arg]
        indexer = kind(tmp_path)  # type: ignore[call-arg]
        await indexer.upsert([diary("0", POSTS["eyelid"])])
        writing = True

        async def write() -> None:
            nonlocal writing
            for n in range(1, 41):
                await indexer.upsert([diary(str(n), POSTS["eyelid_tw"])])
            writing = False

        async def read() -> list[set[str]]:
            seen = []
            while writing:
                seen.append(await found(app, "双眼皮"))
                await asyncio.sleep(0)  # tantivy searches on the loop's thread: let the writer on
            return seen

        _, *readers = await asyncio.gather(write(), *(read() for _ in range(4)))

        seen = [hits for reader in readers for hits in reader]
        assert len(seen) > 40 and all("0" in hits for hits in seen)
        assert len(await found(indexer, "双眼皮")) == 41
        await indexer.close()
        await app.close()

    asyncio.run(scenario())


def test_vocabulary_changes_take_effect_at_once(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", "做了超声刀，下颌线清楚了")])
        assert await found(engine, "Ulthera") == set()

        await engine.set_vocabulary([*VOCABULARY, Term("超声刀", "procedure", ("Ulthera",))])

        assert await found(engine, "Ulthera") == {"a"}
        assert [s.text for s in await engine.suggest("csd")] == ["超声刀"]

    asyncio.run(scenario())


def test_the_same_words_asked_with_other_filters_get_their_own_answer(engine: EngineIndex) -> None:
    # Plans and compiled queries are kept per query text: the filters must still be each search's own.
    async def scenario() -> None:
        await engine.upsert([diary("d", POSTS["eyelid"], procedure="shuang-yan-pi"),
                             Document("review", "r", "", POSTS["eyelid"], BASE, procedure="kai-yan-jiao")])
        for _ in range(2):
            assert {h.id for h in (await engine.search(Query("拆线"))).hits} == {"d", "r"}
            assert [h.id for h in (await engine.search(Query("拆线", types=("review",)))).hits] == ["r"]
            assert [h.id for h in (await engine.search(Query("拆线", procedure="shuang-yan-pi"))).hits] == ["d"]

    asyncio.run(scenario())


def test_popular_posts_rank_higher_among_equal_matches(engine: EngineIndex) -> None:
    if isinstance(engine, WhooshIndex):
        return  # Whoosh ranks by BM25F alone (search/README.md)

    async def scenario() -> None:
        text = POSTS["eyelid"]
        await engine.upsert([diary("quiet", text), diary("liked", text, popularity=200.0)])

        hits = (await engine.search(Query("拆线"))).hits

        assert [h.id for h in hits] == ["liked", "quiet"]

    asyncio.run(scenario())


def test_recent_sort_uses_created_at(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([
            Document("review", "old", "", POSTS["eyelid"], BASE),
            Document("review", "new", "", POSTS["eyelid"], BASE + timedelta(days=2)),
            Document("review", "mid", "", POSTS["eyelid"], BASE + timedelta(days=1)),
        ])

        hits = (await engine.search(Query("拆线", sort="recent"))).hits

        assert [h.id for h in hits] == ["new", "mid", "old"]
        assert hits[0].created_at == BASE + timedelta(days=2)

    asyncio.run(scenario())


def test_a_stale_copy_loaded_before_a_delete_stays_out(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])
        loaded_at = await engine.mark()  # the indexer reads the post...
        await engine.delete([("diary", "a")])  # ...a moderator removes it...

        await engine.apply([diary("a", POSTS["eyelid"])], [], loaded_at=loaded_at)  # ...the indexer writes

        assert await found(engine, "双眼皮") == set()
        await engine.apply([diary("a", POSTS["eyelid"])], [], loaded_at=await engine.mark())  # restored later
        assert await found(engine, "双眼皮") == {"a"}

    asyncio.run(scenario())


def test_a_delete_during_a_rebuild_is_applied_to_the_new_index(engine: EngineIndex) -> None:
    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])

        async def batches() -> AsyncIterator[list[Document]]:
            yield [diary("a", POSTS["eyelid"]), diary("b", POSTS["eyelid_tw"])]
            await engine.delete([("diary", "a")])  # taken down while the rebuild runs

        await engine.rebuild(batches())

        assert await found(engine, "双眼皮") == {"b"}

    asyncio.run(scenario())


def test_a_query_asked_again_is_answered_from_its_kept_page_until_the_index_changes(
        engine: EngineIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    # The owner of an embedded index keeps pages of hits; each kind of change answers afresh.
    asked = engine_calls(engine, monkeypatch)

    async def scenario() -> None:
        await engine.upsert([diary("a", POSTS["eyelid"])])
        assert await found(engine, "双眼皮") == {"a"}
        assert await found(engine, "双眼皮") == {"a"}
        assert await found(engine, "拆线") == {"a"}
        assert asked == ["双眼皮", "拆线"]  # the second 双眼皮 never reached the engine

        await engine.upsert([diary("b", POSTS["eyelid_tw"])])
        assert await found(engine, "双眼皮") == {"a", "b"}
        await engine.delete([("diary", "a")])
        assert await found(engine, "双眼皮") == {"b"}
        await engine.apply([diary("c", POSTS["eyelid"])], [("diary", "b")])
        assert await found(engine, "双眼皮") == {"c"}
        await engine.upsert([diary("d", "做了超声刀，下颌线清楚了")])
        assert await found(engine, "Ulthera") == set()
        await engine.set_vocabulary([*VOCABULARY, Term("超声刀", "procedure", ("Ulthera",))])
        assert await found(engine, "Ulthera") == {"d"}
        await engine.clear()
        assert await found(engine, "双眼皮") == set()
        assert asked.count("双眼皮") == 5  # once, then after each of the four changes

    asyncio.run(scenario())
