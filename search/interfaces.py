"""The search index as other rooms see it, and what it needs from the room that owns documents.

Search knows nothing of posts: content turns its objects into ``Document``s (``content/documents.py``)
and records changes in the outbox (``search.outbox.enqueue``); the indexer asks a
``DocumentSource`` for the current document of each changed key and upserts or deletes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, cast

from kernel.vocabulary import SEARCHABLE, values
from kernel.web.services import Carrier

DocKey = tuple[str, str]  # (type, id): ("diary", "12")
# What a rebuild asks just before its swap: the keys taken down since it started.
Gone = Callable[[], Awaitable[Sequence[DocKey]]]
DOC_TYPES: tuple[str, ...] = values(SEARCHABLE)


@dataclass(frozen=True)
class Document:
    """A searchable object. Never carries an author: anonymous posts must not be inferable."""

    type: str
    id: str
    title: str
    text: str
    created_at: datetime
    procedure: str | None = None
    clinic_id: str | None = None
    popularity: float = 0.0

    @property
    def key(self) -> DocKey:
        return (self.type, self.id)


@dataclass(frozen=True)
class Query:
    text: str
    types: Sequence[str] = ()
    procedure: str | None = None
    clinic_id: str | None = None
    sort: Literal["relevance", "recent"] = "relevance"
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    type: str
    id: str
    title: str
    snippet: str
    score: float
    created_at: datetime
    procedure: str | None = None
    # "exact": the document contains the query; "sound": it only sounds like it (pinyin, homophones),
    # ranked after every exact hit.
    match: Literal["exact", "sound"] = "exact"


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    # True when ``total`` is an estimate: more matches than a backend counts exactly (PostgreSQL above
    # 200 matches; an embedded index above 200 exact hits, whose hits by sound it does not count).
    total_is_estimate: bool = False


@dataclass(frozen=True)
class Term:
    """A dictionary entry: a procedure or wiki title with its aliases (热玛吉: Thermage, 射频紧肤)."""

    text: str
    kind: Literal["procedure", "wiki"]
    aliases: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Suggestion:
    text: str
    type: str


class SearchIndex(Protocol):
    """One search backend (tantivy, Whoosh, PostgreSQL, memory)."""

    async def upsert(self, docs: Sequence[Document]) -> None:
        """Add or replace documents, visible to searches once the call returns."""
        ...

    async def delete(self, keys: Sequence[DocKey]) -> None:
        """Remove documents; no error for keys that are not indexed."""
        ...

    async def mark(self) -> int:
        """A point in the index's sequence of writes, taken before loading documents for ``apply``."""
        ...

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey], *,
                    loaded_at: int | None = None) -> None:
        """Upsert ``docs`` and delete ``deletes`` together (one commit where the engine has commits).

        A document that ``delete`` removed after ``loaded_at`` is not upserted: the caller loaded it
        before it was taken down.
        """
        ...

    async def rebuild(self, batches: AsyncIterator[list[Document]], *, gone: Gone | None = None) -> int:
        """Build a new index from ``batches`` aside, then swap it in; returns how many were indexed.

        ``gone``, called just before the swap, names documents taken down while the index was built
        (by another process, whose deletes this one cannot see): they are deleted from it first.
        """
        ...

    async def search(self, query: Query) -> Results:
        """Hits for any user text, with ``<em>`` snippets built from the indexed text."""
        ...

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Completions from the vocabulary: names, aliases, pinyin and pinyin initials."""
        ...

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        """Replace the domain dictionary and the alias groups used at query time."""
        ...

    async def outdated(self) -> bool:
        """Whether the index lacks a field this version reads (built by an older version): rebuild it."""
        ...

    async def clear(self) -> None:
        """Remove every document."""
        ...

    async def ping(self) -> None:
        """Raise when the index cannot be used."""
        ...

    async def close(self) -> None:
        """Flush and release files or connections."""
        ...


class DocumentSource(Protocol):
    """The room that owns documents (content), as the indexer sees it."""

    async def load(self, keys: Sequence[DocKey]) -> dict[DocKey, Document | None]:
        """The current document of each key; None when it is not published (so: delete it)."""
        ...

    def everything(self, batch: int = 500) -> AsyncIterator[list[Document]]:
        """Every published document, in batches, for a full reindex."""
        ...

    async def vocabulary(self) -> list[Term]:
        """Procedures and wiki titles with their aliases."""
        ...

    async def count(self) -> int:
        """How many published documents there are (for progress bars)."""
        ...


class SearchServices(Protocol):
    """What search's routes use of the application's services object."""

    @property
    def search(self) -> SearchIndex: ...


def services_of(call: Carrier) -> SearchServices:
    """The services object as search sees it (``meiji.app`` proves the real one fits)."""
    return cast(SearchServices, call.services)
