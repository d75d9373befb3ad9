"""Character folding: traditional to simplified, full-width to half-width, case.

Every mapping is one character to one character, so offsets in folded text are offsets in the
original: snippets are cut from the original text at positions found in the folded one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kernel.chinese import simplified


def _table() -> dict[int, int]:
    table = dict(simplified())  # traditional to simplified, one character to one
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[code] = code - 0xFEE0
    table[0x3000] = 0x20  # ideographic space
    table[0x0130] = ord("i")  # İ lowercases to two characters; keep folding length-preserving
    return table


TABLE = _table()


def fold(text: str) -> str:
    """``text`` with traditional characters simplified, full-width ASCII narrowed, lower case."""
    return text.translate(TABLE).lower()


def _sources() -> dict[str, str]:
    """For each folded character, the other characters that fold to it (besides its upper case)."""
    out: dict[str, str] = {}
    for source, target in TABLE.items():
        folded = chr(target).lower()
        out[folded] = out.get(folded, "") + chr(source)
    return out


_SOURCES = _sources()


@lru_cache(maxsize=4096)
def pattern(needle: str) -> re.Pattern[str]:
    """A pattern that finds ``needle`` (folded) in text that is not folded, at its own offsets.

    Each character matches itself and every character that folds to it: 双 also finds 雙, ``a``
    finds ``A`` and full-width ``Ａ``. Searching the text this way runs in the regular expression
    engine, where folding the text first went character by character through the table.
    """
    parts = []
    for ch in needle:
        others = _SOURCES.get(ch, "")
        parts.append(f"[{re.escape(ch + others)}]" if others else re.escape(ch))
    return re.compile("".join(parts), re.IGNORECASE)


@lru_cache(maxsize=4096)
def variants(needle: str) -> str:
    """The other characters that fold to one of ``needle``'s (雙 for 双), case aside: if none of
    them is in a text that does not hold ``needle`` as written, ``pattern(needle)`` cannot match it."""
    return "".join(dict.fromkeys(other for ch in needle for other in _SOURCES.get(ch, "")))
