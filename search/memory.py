"""An in-memory index for unit tests of other rooms: substring matching, no ranking to speak of.

Like the real backends, a query that is pinyin or sounds like a document's text (双眼脾, shuangyanpi)
finds it after every document that contains the query.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Sequence

from search import _pinyin
from search._fold import fold
from search.interfaces import DocKey, Document, Gone, Hit, Query, Results, Suggestion, Term


def _snippet(text: str, needle: str, said: Sequence[tuple[str, ...]] = (), names: Sequence[str] = ()) -> str:
    folded = fold(text)
    at = folded.find(needle) if needle else -1
    size = len(needle)
    if at < 0:
        # Found by sound: what reads like the query, or a name that does.
        heard = _pinyin.spans(folded, *said) + [(a, a + len(n)) for n in names if n for a in [folded.find(n)] if a >= 0]
        if not heard:
            return html.escape(text[:80], quote=False)
        at, stop = min(heard)
        size = stop - at
    start = max(0, at - 20)
    end = at + size
    return (html.escape(text[start:at], quote=False) + f"<em>{html.escape(text[at:end], quote=False)}</em>"
            + html.escape(text[end:start + 80], quote=False))


class MemoryIndex:
    """Documents in a dict; a query matches documents whose title or text contains it (folded)."""

    def __init__(self) -> None:
        self.docs: dict[DocKey, Document] = {}
        self.terms: list[Term] = []
        self._sequence = 0
        self._deleted: dict[DocKey, int] = {}  # tombstones: when each key was last deleted

    async def upsert(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            self.docs[doc.key] = doc

    async def delete(self, keys: Sequence[DocKey]) -> None:
        self._sequence += 1
        for key in keys:
            self.docs.pop(key, None)
            self._deleted[key] = self._sequence

    async def mark(self) -> int:
        self._sequence += 1
        return self._sequence

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey], *,
                    loaded_at: int | None = None) -> None:
        await self.upsert([d for d in docs if loaded_at is None or self._deleted.get(d.key, 0) <= loaded_at])
        for key in deletes:
            self.docs.pop(key, None)

    async def rebuild(self, batches: AsyncIterator[list[Document]], *, gone: Gone | None = None) -> int:
        fresh: dict[DocKey, Document] = {}
        async for docs in batches:
            fresh.update((d.key, d) for d in docs)
        for key in await gone() if gone is not None else ():
            fresh.pop(key, None)
        self.docs = fresh
        return len(fresh)

    async def search(self, query: Query) -> Results:
        needle = fold(query.text.strip())
        if not needle:
            return Results([], 0)
        kept = [d for d in self.docs.values()
                if (not query.types or d.type in query.types)
                and (query.procedure is None or d.procedure == query.procedure)
                and (query.clinic_id is None or d.clinic_id == query.clinic_id)]
        found = [d for d in kept if needle in fold(d.title + " " + d.text)]
        found.sort(key=lambda d: d.created_at, reverse=True)
        said = [way for way in _pinyin.spoken("".join(needle.split())) if len(way) > 1]
        # A name that reads so, in any reading of its characters (chongjianshu: 重睑术), and its aliases.
        names = [fold(n) for t in self.terms for n in (t.text, *t.aliases)
                 if any(set(said) & _pinyin.spellings(fold(m)) for m in (t.text, *t.aliases))]
        heard = [d for d in kept if d not in found and (
            _pinyin.spans(fold(d.title + " " + d.text), *said)
            or any(n in fold(d.title + " " + d.text) for n in names))]
        heard.sort(key=lambda d: d.created_at, reverse=True)
        page = [*found, *heard][query.offset:query.offset + query.limit]
        hits = [Hit(d.type, d.id, d.title, _snippet(d.text or d.title, needle) if d in found
                    else _snippet(f"{d.title} {d.text}", needle, said, names), 1.0, d.created_at, d.procedure,
                    match="exact" if d in found else "sound") for d in page]
        return Results(hits, len(found) + len(heard))

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        key = fold(prefix.strip())
        if not key:
            return []
        out = [Suggestion(t.text, t.kind) for t in self.terms
               if fold(t.text).startswith(key) or any(fold(a).startswith(key) for a in t.aliases)]
        return out[:limit]

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)

    async def outdated(self) -> bool:
        return False

    async def clear(self) -> None:
        self.docs.clear()

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
