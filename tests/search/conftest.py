"""Fixtures of the search tests: review corpora, a stand-in for content, built indexes.

The reviews are ours (tests/corpus/zh) plus, when present, the ~17,000 real reviews of
../shared/corpora/zh; every assertion is computed from the documents indexed, so it holds on both.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kernel.settings import Settings
from search.engine import EngineIndex
from search.interfaces import DocKey, Document, Query, Results, Term
from search.tantivy_index import TantivyIndex
from search.whoosh_index import WhooshIndex
from tests.corpus import all_reviews

BASE = datetime(2025, 3, 1, tzinfo=UTC)
# Whoosh is pure Python (a few hundred documents a second): its relevance tests use a sample.
WHOOSH_SAMPLE = 600

VOCABULARY = [
    Term("热玛吉", "procedure", ("Thermage", "射频紧肤")),
    Term("双眼皮", "procedure", ("重睑术", "割双眼皮")),
    Term("玻尿酸", "procedure", ("透明质酸", "Hyaluronic acid")),
    Term("水光针", "procedure", ()),
    Term("双眼皮修复", "wiki", ()),
]

# Posts we wrote for the medical-aesthetics cases the shopping reviews do not cover.
POSTS = {
    "thermage": "上个月在医院做了Thermage，脸部紧致了很多，价格有点贵。",
    "rf": "射频紧肤做完第三天，脸有点红，医生说正常。",
    "eyelid": "割双眼皮术后第七天拆线，肿得像核桃，希望快点消肿。",
    "eyelid_tw": "雙眼皮手術做完一個月了，恢復得很自然。",
    "uric": "体检发现尿酸偏高，医生让少吃海鲜。",
    "filler": "打了玻尿酸填充苹果肌，效果维持半年左右。",
    "fullwidth": "ＴＨＥＲＭＡＧＥ效果真的不错，推荐！",
    "html": "医生说<script>alert(1)</script>这不是问题 & 不用担心。",
}


def reviews() -> list[str]:
    return all_reviews()


def corpus_documents(limit: int | None = None) -> list[Document]:
    """The reviews as review documents (ids r0, r1...), one minute apart; at most ``limit`` of them."""
    texts = reviews()
    if limit is not None and limit < len(texts):
        texts = random.Random(7).sample(texts, limit)
    return [Document("review", f"r{i}", "", text, BASE + timedelta(minutes=i),
                     procedure="双眼皮" if i % 3 == 0 else None, clinic_id=str(i % 5))
            for i, text in enumerate(texts)]


def post_documents() -> list[Document]:
    return [Document("diary", key, f"日记：{key}", text, BASE - timedelta(days=1), procedure="热玛吉")
            for key, text in POSTS.items()]


@dataclass
class FakeSource:
    """``DocumentSource`` over a dict, as content would answer: published documents and the vocabulary."""

    docs: dict[DocKey, Document] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=lambda: list(VOCABULARY))

    def put(self, *docs: Document) -> None:
        for doc in docs:
            self.docs[doc.key] = doc

    def take_down(self, key: DocKey) -> None:
        self.docs.pop(key, None)

    async def load(self, keys: Sequence[DocKey]) -> dict[DocKey, Document | None]:
        return {key: self.docs.get(key) for key in keys}

    async def everything(self, batch: int = 500) -> AsyncIterator[list[Document]]:
        docs = list(self.docs.values())
        for start in range(0, len(docs), batch):
            yield docs[start:start + batch]

    async def vocabulary(self) -> list[Term]:
        return list(self.terms)

    async def count(self) -> int:
        return len(self.docs)


async def build(index: EngineIndex, docs: Sequence[Document]) -> EngineIndex:
    await index.set_vocabulary(VOCABULARY)

    async def batches() -> AsyncIterator[list[Document]]:
        for start in range(0, len(docs), 2000):
            yield list(docs[start:start + 2000])

    await index.rebuild(batches())
    return index


def engine_calls(index: EngineIndex, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the searches that reach ``index``'s engine from now on (not answered from a kept page)."""
    asked: list[str] = []
    run = index._search

    async def counted(query: Query) -> Results:
        asked.append(query.text)
        return await run(query)

    monkeypatch.setattr(index, "_search", counted)
    return asked


def make_engine(kind: str, root: Path) -> EngineIndex:
    """An index as the process that owns it has it: keeping pages of hits until its next change."""
    kept = Settings().search_results_kept
    return TantivyIndex(root, results=kept) if kind == "tantivy" else WhooshIndex(root, results=kept)


@dataclass
class Built:
    """An index over real reviews and our posts, with the documents it holds."""

    kind: str
    index: EngineIndex
    docs: list[Document]


@pytest.fixture(scope="module", params=["tantivy", "whoosh"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Every review on tantivy; a sample on Whoosh. Read-only: tests must not write."""
    kind = request.param
    docs = corpus_documents(None if kind == "tantivy" else WHOOSH_SAMPLE) + post_documents()
    index = make_engine(kind, tmp_path_factory.mktemp(f"built-{kind}"))
    asyncio.run(build(index, docs))
    yield Built(kind, index, docs)
    asyncio.run(index.close())


@pytest.fixture(params=["tantivy", "whoosh"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EngineIndex]:
    """An empty index with the vocabulary, for tests that write."""
    index = make_engine(request.param, tmp_path / "index")
    asyncio.run(index.set_vocabulary(VOCABULARY))
    yield index
    asyncio.run(index.close())


def eventually(check: Callable[[], Any], seconds: float = 2.0) -> Any:
    """``check()`` once it is truthy, polling up to ``seconds`` (the contract: findable within 2 s)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
