"""The one HTML sanitizer of meiji: every rich-text ``body`` goes through ``sanitize`` before it is stored.

Use it like this (in a service function, never in a handler)::

    from content.sanitizer import sanitize

    rich = await sanitize(body, field="body")      # off the event loop; 422 naming ``field`` if refused
    row.body, row.text = rich.html, rich.text

- Allowed: p, br, strong, em, ul, ol, li, blockquote, h2, h3 and ``a[href]`` with http, https or mailto
  (relative links stay; any other scheme, ``javascript:0`` and ``weixin:`` included, loses the href).
  Every link gets ``rel="nofollow ugc noopener"``. Comments are removed.
- The content of script, style, template, iframe, object, noscript, textarea... is dropped, not
  turned into text; any other tag is stripped and its text kept (escaped).
- The library is nh3 (Rust's ammonia, html5ever's parser): measured against bleach on the XSS
  corpora in ``bench/sanitizer.py``, it keeps no link to another scheme where bleach kept 11, is
  5-10x faster, and is maintained (bleach is not).
- Long bodies are sanitized off the event loop (``anyio.to_thread``); short ones inline.
- Input longer than ``MAX_CHARS`` or nested deeper than ``MAX_DEPTH`` is refused with a 422 *before* the
  HTML parser sees it: ammonia too is super-linear on nested allowed tags (8,000 ``<blockquote>``
  take ~1.2 s), where a linear scan of the raw text costs little.
- ``text`` is the plain twin (for snippets, search documents, screening).
- Idempotent: ``sanitize_sync(sanitize_sync(x).html).html == sanitize_sync(x).html``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, NamedTuple

import anyio.to_thread
import nh3

from kernel.web.problems import invalid
from kernel.web.text import plain as plain

MAX_CHARS = 20_000
MAX_DEPTH = 20

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "h2", "h3", "a"})
ALLOWED_ATTRIBUTES = {"a": frozenset({"href"})}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
# Elements whose whole content goes, not only the tag: code, styles, embedded documents, foreign XML.
DROPPED_TAGS = frozenset({"script", "style", "template", "iframe", "noscript", "object",
                          "title", "textarea", "xmp", "noembed", "noframes", "select", "head"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr", "keygen", "basefont", "bgsound", "frame", "image"})
# Opening one of these closes an open one of the same name, as browsers do (<li>a<li>b is not nesting).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})
_BLOCKS = frozenset({"p", "br", "li", "blockquote", "h2", "h3", "ul", "ol"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\s*\n\s*")
# One pass can leave what the HTML parser's error recovery built and a second parse reads otherwise
# (an <a> inside an <a> after a misnested table, a carriage return written as &#13;). Two passes
# settle every corpus payload; the loop stops at the first pass that changes nothing.
_PASSES = 4

# "*": no attribute on every tag (ammonia's default keeps lang and title everywhere).
_CLEANER = nh3.Cleaner(tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_TAGS),
                       attributes={"a": set(ALLOWED_ATTRIBUTES["a"]), "*": set()},
                       url_schemes=set(ALLOWED_PROTOCOLS), link_rel=LINK_REL, strip_comments=True)


class Rich(NamedTuple):
    """Sanitized HTML and its plain-text twin."""

    html: str
    text: str


class _Depth(HTMLParser):
    """Linear scan for the deepest tag nesting, so bombs are refused before the real parser runs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.deepest = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _VOID:
            return
        if tag in _SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1] == tag:
            self.stack.pop()
        self.stack.append(tag)
        self.deepest = max(self.deepest, len(self.stack))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def depth_of(html: str) -> int:
    scanner = _Depth()
    scanner.feed(html)
    scanner.close()
    return scanner.deepest


def clean(html: str) -> str:
    """The sanitized HTML of ``html``, with no size or depth limit (``sanitize`` checks those first)."""
    out = _CLEANER.clean(html).strip()
    for _ in range(_PASSES - 1):
        again = _CLEANER.clean(out).strip()
        if again == out:
            break
        out = again
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    """The plain text of sanitized HTML: entities resolved, one line per block, spaces collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = _SPACES.sub(" ", "".join(parser.parts))
    return _LINES.sub("\n", text).strip()


def check_size(html: str, field: str = "body") -> None:
    """422 naming ``field`` when the input is too long or nested too deeply to sanitize safely."""
    if len(html) > MAX_CHARS:
        raise invalid(field, f"must be at most {MAX_CHARS} characters")
    if depth_of(html) > MAX_DEPTH:
        raise invalid(field, f"HTML nested deeper than {MAX_DEPTH} levels")


def sanitize_sync(html: str, field: str = "body") -> Rich:
    """Sanitize on the calling thread (tests, scripts); handlers use ``sanitize``."""
    check_size(html, field)
    if not html.strip():
        return Rich("", "")
    out = clean(html)
    return Rich(out, text_of(out))


INLINE_CHARS = 600


async def sanitize(html: str, field: str = "body") -> Rich:
    """Sanitized HTML and its text twin, computed off the event loop; 422 naming ``field`` if refused.

    Bodies under ``INLINE_CHARS`` (most diary entries and comments) take well under a millisecond and
    are sanitized inline: a thread hop would cost more than the work.
    """
    check_size(html, field)
    if len(html) < INLINE_CHARS:
        return sanitize_sync(html, field)
    return await anyio.to_thread.run_sync(sanitize_sync, html, field)


def snippet(text: str, length: int = 120) -> str:
    """The first ``length`` characters of a text twin, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
