"""Handles: the look-alike key two handles may not share, and the name an erased account is left with.

The handle is shown as the member typed it. Its key decides whether it is free: two handles that a
reader could take for one another have the same key, so ``CAROL_ADV``, ``cаrol_adv`` (a Cyrillic а),
``ｃａｒｏｌ_ａｄｖ`` (full width) and ``carol_adv`` with an invisible Hangul filler are one handle, and
so are ``美記`` and ``美记``. The key is, in this order:

1. NFKC, case folded (NFKC again after folding, which can leave decomposed letters): full width and
   compatibility forms narrowed, case gone;
2. without default-ignorable code points (joiners, variation selectors, Hangul fillers);
3. traditional Chinese simplified, one character to one, from OpenCC's character table;
4. each character replaced by one representative of its class in Unicode's confusables (UTS #39,
   as the ``confusable-homoglyphs`` package ships it): an ASCII member where the class has one, so
   Cyrillic and Greek look-alikes become Latin letters; ``l`` and ``1`` share a class, ``o`` and
   ``0`` do not. Only one-to-one entries are used: ``rn`` and ``m`` stay apart.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache

import regex
from confusable_homoglyphs import utils as homoglyphs

from kernel.chinese import simplified

_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}+")
_ERASED = "deleted"  # erased accounts are renamed deleted-<id>-<8 hex digits>


@cache
def _representatives() -> dict[int, int]:
    """Each confusable character to its class's representative.

    The representative is what the handle most likely meant: ASCII first, then a character NFKC keeps
    (not a compatibility form such as the Kangxi radical ⼝), then a lower-case letter, then the
    lowest code point; so ``carol_adv``'s key is ``carol_adv``.

    The package lists, for each character, the characters it is confusable with; the classes are
    the connected groups of those lists. Built once on first use and kept as a small table (the
    package's own module would keep its 10 MB of parsed JSON for the life of the process).
    """
    parent: dict[str, str] = {}

    def root(ch: str) -> str:
        while parent.get(ch, ch) != ch:
            ch = parent[ch]
        return ch

    for source, glyphs in homoglyphs.load("confusables.json").items():
        for glyph in glyphs:
            other = glyph["c"]
            if len(source) == 1 and len(other) == 1 and root(source) != root(other):
                parent[root(source)] = root(other)
    classes: dict[str, list[str]] = {}
    for ch in parent:
        classes.setdefault(root(ch), []).append(ch)
    for ch in list(classes):
        classes[ch].append(ch)
    table: dict[int, int] = {}
    for members in classes.values():
        best = min(members, key=_preference)
        table.update({ord(ch): ord(best) for ch in members if ch != best})
    return table


def _preference(ch: str) -> tuple[bool, bool, bool, int]:
    return not ch.isascii(), unicodedata.normalize("NFKC", ch) != ch, not ch.islower(), ord(ch)


def lookalike_key(handle: str) -> str:
    """The look-alike key of ``handle``: equal for two handles a reader could take for one another."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", handle).casefold())
    visible: str = _IGNORABLE.sub("", folded)
    return visible.translate(simplified()).translate(_representatives())


def placeholder(account_id: int) -> str:
    """The handle an erased account is left with: nothing of the member's, and unlike any member's."""
    return f"{_ERASED}-{account_id}-{secrets.token_hex(4)}"


@cache
def _placeholder_like() -> re.Pattern[str]:
    separators = "".join(sorted({lookalike_key(ch) for ch in "-_."}))
    return re.compile(f"{re.escape(lookalike_key(_ERASED))}[{re.escape(separators)}]")


def mimics_placeholder(handle: str) -> bool:
    """Whether ``handle`` looks like an erased account's: ``deleted`` then ``-``, ``_`` or ``.``."""
    return _placeholder_like().match(lookalike_key(handle)) is not None
