"""Plain text as the service stores it: no control characters, no bidi overrides, spaces collapsed.

A handle, title or bio is shown inside other people's pages and apps. A C0/C1 control breaks
terminals, logs and JSON consumers; a bidi override (U+202E) between "小美" and "gpj.exe" shows
as "小美exe.jpg" on screen and lets one handle pass for another. ``plain`` removes both; request
schemas use the ``PlainLine`` / ``PlainLines`` / ``HandleText`` types so every field is cleaned
*before* its length and pattern are checked.

Plain text also never holds markup. Apps are told to show it as text, but one that puts a title into
``innerHTML`` must not run ``<img src=x onerror=…>``: an HTML parser opens an element only at ``<``
followed by an ASCII letter, ``/``, ``!`` or ``?``, so such text is refused (422 naming the field)
rather than altered. ``价格<1万`` and ``<原文链接>`` stay as written.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator

# Zero-width joiners build emoji (👩‍⚕️) and some scripts' letters: kept in text, not in handles.
_JOINERS = frozenset({"\u200c", "\u200d"})
_SPACES = re.compile(r" +")
_MARKUP = re.compile(r"<[A-Za-z/!?]")


def _clean_char(ch: str, keep_joiners: bool) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Zs", "Zl", "Zp"):
        return " "  # controls, tabs, U+3000 and line separators become one space
    if category == "Cf" and not (keep_joiners and ch in _JOINERS):
        return ""  # format characters: bidi embeddings, overrides and isolates, marks, BOM, soft hyphen
    return ch


def plain(value: str, *, lines: bool = False, keep_joiners: bool = True) -> str:
    """``value`` without controls or bidi overrides, spaces collapsed and trimmed.

    With ``lines`` newlines stay (one per line break, ``\\r\\n`` and ``\\r`` included) and each line
    is trimmed; otherwise the text becomes one line.
    """
    if lines:
        parts = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return "\n".join(plain(part, keep_joiners=keep_joiners) for part in parts).strip("\n")
    if value.isascii() and value.isprintable():
        return _SPACES.sub(" ", value).strip()  # the common case, without a look-up per character
    cleaned = "".join(_clean_char(ch, keep_joiners) for ch in value)
    return _SPACES.sub(" ", cleaned).strip()


def unmarked(value: str) -> str:
    """``value`` if no HTML parser would read an element in it; ValueError (a 422 on the field) otherwise."""
    found = _MARKUP.search(value)
    if found:
        raise ValueError(f"plain text cannot contain markup ({found.group()!r}…): write it without angle brackets")
    return value


def _line(value: Any) -> Any:
    return unmarked(plain(value)) if isinstance(value, str) else value


def _lines(value: Any) -> Any:
    return unmarked(plain(value, lines=True)) if isinstance(value, str) else value


def _handle(value: Any) -> Any:
    return unmarked(plain(value, keep_joiners=False)) if isinstance(value, str) else value


# One line of text (titles, names, cities): cleaned before the field's own constraints run.
PlainLine = Annotated[str, BeforeValidator(_line)]
# Text with line breaks (a bio, a report's detail, a legal statement).
PlainLines = Annotated[str, BeforeValidator(_lines)]
# A handle: like a line, and without zero-width joiners, which would let two handles look alike.
HandleText = Annotated[str, BeforeValidator(_handle)]
