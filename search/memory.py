"""An in-memory index for unit tests of other rooms: substring matching, no ranking to speak of."""

from __future__ import annotations

from collections.abc import Sequence

from search.interfaces import DocKey, Document, Hit, Query, Results, Suggestion, Term


class MemoryIndex:
    """Documents in a dict; a query matches documents whose title or text contains it."""

    def __init__(self) -> None:
        self.docs: dict[DocKey, Document] = {}
        self.terms: list[Term] = []

    async def upsert(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            self.docs[doc.key] = doc

    async def delete(self, keys: Sequence[DocKey]) -> None:
        for key in keys:
            self.docs.pop(key, None)

    async def search(self, query: Query) -> Results:
        needle = query.text.strip().lower()
        found = [d for d in self.docs.values()
                 if needle in (d.title + " " + d.text).lower()
                 and (not query.types or d.type in query.types)
                 and (query.procedure is None or d.procedure == query.procedure)
                 and (query.clinic_id is None or d.clinic_id == query.clinic_id)]
        found.sort(key=lambda d: d.created_at, reverse=True)
        page = found[query.offset:query.offset + query.limit]
        hits = [Hit(d.type, d.id, d.title, d.text[:80].replace(query.text, f"<em>{query.text}</em>"), 1.0,
                    d.created_at, d.procedure) for d in page]
        return Results(hits, len(found))

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        out = [Suggestion(t.text, t.kind) for t in self.terms
               if t.text.startswith(prefix) or any(a.startswith(prefix) for a in t.aliases)]
        return out[:limit]

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)

    async def clear(self) -> None:
        self.docs.clear()

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
