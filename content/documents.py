"""Content objects as search documents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from search.interfaces import DocKey, Document, Term


class ContentDocuments:
    """``search.interfaces.DocumentSource`` over the content tables."""

    async def load(self, keys: Sequence[DocKey]) -> dict[DocKey, Document | None]:
        return {key: None for key in keys}

    async def everything(self, batch: int = 500) -> AsyncIterator[list[Document]]:
        return
        yield []

    async def vocabulary(self) -> list[Term]:
        return []

    async def count(self) -> int:
        return 0
