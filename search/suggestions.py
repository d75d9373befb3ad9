"""Prefix suggestions from the vocabulary: names, aliases, full pinyin and pinyin initials.

``sy``, ``syp``, ``shuangyan`` and ``双眼`` all suggest 双眼皮. The vocabulary is small (procedures
and wiki pages: hundreds to a few thousand names), so a sorted list of keys is searched by bisection.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Readings are taken character by character (every reading of a heteronym), so pypinyin's phrase
# tables are never consulted: its documented switch keeps their 44 MB out of every app process.
# It is read when pypinyin is first imported, which is here.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin import Style, pinyin

from search._fold import fold
from search.interfaces import Suggestion, Term

_NOT_KEY = re.compile(r"[\W_]+")
MAX_READINGS = 16
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PARTS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _key(text: str) -> str:
    """How a name or a typed prefix is compared: folded, without spaces or punctuation."""
    return _NOT_KEY.sub("", fold(text))


def _pinyin_keys(name: str) -> set[str]:
    """Full pinyin and initials of ``name``, with every reading of a heteronym (重睑术: chongjianshu,
    zhongjianshu, cjs, zjs...), at most ``MAX_READINGS`` spellings; latin parts stay whole."""
    spellings: list[list[tuple[str, str]]] = [[]]
    for part in _PARTS.findall(name):
        if _HAN.match(part):
            readings = list(dict.fromkeys(_key(r) for r in pinyin(part, style=Style.NORMAL, heteronym=True)[0]))
            options = [(r, r[0]) for r in readings if r][:3]
        else:
            key = _key(part)
            options = [(key, key)] if key else []
        if options:
            spellings = [[*s, o] for s in spellings for o in options][:MAX_READINGS]
    keys = {"".join(full for full, _ in s) for s in spellings} | {"".join(i for _, i in s) for s in spellings}
    return keys - {""}


@dataclass(frozen=True)
class _Entry:
    rank: int  # 0: the name itself matched, 1: its pinyin
    text: str
    type: str


class Suggester:
    """Completions of a prefix; built once per vocabulary (blocking: pypinyin takes ~0.3 s to load)."""

    def __init__(self, terms: Sequence[Term] = ()) -> None:
        keyed: list[tuple[str, _Entry]] = []
        for term in terms:
            for name in dict.fromkeys((term.text, *term.aliases)):
                key = _key(name)
                if not key:
                    continue
                keyed.append((key, _Entry(0, name, term.kind)))
                for alt in _pinyin_keys(name) - {key}:
                    keyed.append((alt, _Entry(1, name, term.kind)))
        keyed.sort(key=lambda pair: pair[0])
        self._keys = [k for k, _ in keyed]
        self._entries = [e for _, e in keyed]

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Names whose text or pinyin starts with ``prefix``: direct matches first, then shorter names."""
        key = _key(prefix)
        if not key:
            return []
        start = bisect.bisect_left(self._keys, key)
        found: dict[tuple[str, str], _Entry] = {}
        for i in range(start, len(self._keys)):
            if not self._keys[i].startswith(key):
                break
            entry = self._entries[i]
            known = found.get((entry.text, entry.type))
            if known is None or entry.rank < known.rank:
                found[(entry.text, entry.type)] = entry
        ordered = sorted(found.values(), key=lambda e: (e.rank, len(e.text), e.text))
        return [Suggestion(e.text, e.type) for e in ordered[:limit]]
