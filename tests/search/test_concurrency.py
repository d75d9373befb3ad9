"""Searches running at once on the embedded index: the engine works in threads beside the event loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from search.interfaces import Document, Query, Results
from search.tantivy_index import TantivyIndex
from tests.search.conftest import BASE, POSTS, VOCABULARY


def test_concurrent_searches_see_every_commit_and_no_takedown(tmp_path: Path) -> None:
    async def scenario() -> None:
        index = TantivyIndex(tmp_path / "index")
        await index.set_vocabulary(VOCABULARY)
        docs = [Document("diary", f"d{i}", "术后日记", POSTS["eyelid"], BASE + timedelta(hours=i)) for i in range(30)]
        await index.upsert(docs)

        async def ask(text: str) -> Results:
            return await index.search(Query(text, limit=50))

        # Forty searches in flight while a post is taken down: each sees the index before or
        # after the delete, never an error or a half-built page.
        searches = [asyncio.create_task(ask("拆线" if i % 2 else "消肿")) for i in range(40)]
        await index.delete([("diary", "d7")])
        answered = await asyncio.gather(*searches)
        for results in answered:
            assert results.total in (29, 30) and len(results.hits) == results.total
            assert not results.total_is_estimate
            assert all("<em>" in hit.snippet for hit in results.hits)

        after = await asyncio.gather(*(ask(text) for text in ("拆线", "核桃", "雙眼皮") * 10))
        for results in after:
            assert "d7" not in {hit.id for hit in results.hits}
            assert results.total == 29
        await index.close()

    asyncio.run(scenario())
