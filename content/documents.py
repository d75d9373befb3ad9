"""Content objects as search documents (``search.interfaces.DocumentSource``), for every type.

Each registered type with ``Kind.search_docs`` provides its documents (diaries: title and the text of
their published entries; reviews; questions, answers and wiki pages from their areas). Only published
objects become documents, and a document never carries its author.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from content.services import reference
from content.visibility import KINDS, parse_id, registered
from search.interfaces import DocKey, Document, Term


class ContentDocuments:
    """``search.interfaces.DocumentSource`` over the content tables."""

    async def load(self, keys: Sequence[DocKey]) -> dict[DocKey, Document | None]:
        out: dict[DocKey, Document | None] = {key: None for key in keys}
        wanted: dict[str, list[int]] = {}
        for type_, id_ in keys:
            key = parse_id(id_)
            if key is not None and type_ in KINDS and KINDS[type_].search_docs is not None:
                wanted.setdefault(type_, []).append(key)
        for type_, ids in wanted.items():
            loader = KINDS[type_].search_docs
            assert loader is not None
            for object_id, doc in (await loader(ids)).items():
                out[(type_, str(object_id))] = doc
        return out

    async def everything(self, batch: int = 500) -> AsyncIterator[list[Document]]:
        for k in registered():
            if k.search_docs is None:
                continue
            last = 0
            while True:
                ids = await k.model.filter(status="published", id__gt=last).order_by("id").limit(batch).values_list(
                    "id", flat=True)
                if not ids:
                    break
                last = int(ids[-1])  # type: ignore[call-overload]
                docs = await k.search_docs([int(i) for i in ids])  # type: ignore[call-overload]
                if docs:
                    yield list(docs.values())

    async def vocabulary(self) -> list[Term]:
        terms = await reference.vocabulary()
        for k in registered():
            if k.terms is not None:
                terms += await k.terms()
        return terms

    async def count(self) -> int:
        total = 0
        for k in registered():
            if k.search_docs is not None:
                total += await k.model.filter(status="published").count()
        return total
