"""The one HTML sanitizer of meiji: every rich-text ``body`` goes through ``sanitize`` before it is stored.

Use it like this (in a service function, never in a handler)::

    from content.sanitizer import sanitize

    rich = await sanitize(body, field="body")      # off the event loop; 422 naming ``field`` if refused
    row.body, row.text = rich.html, rich.text

- Allowed: p, br, strong, em, ul, ol, li, blockquote, h2, h3 and ``a[href]`` with http, https or mailto
  (relative links stay). Every link gets ``rel="nofollow ugc noopener"``. Comments are removed.
- The content of script, style, template, iframe, object, noscript, textarea... is dropped, not
  turned into text; any other tag is stripped and its text kept (escaped).
- Long bodies are sanitized off the event loop (``anyio.to_thread``); short ones inline.
- Input longer than ``MAX_CHARS`` or nested deeper than ``MAX_DEPTH`` is refused with a 422 *before* the
  HTML parser sees it: bleach is super-linear on deep nesting (60,000 nested ``<b>`` took ~69 s).
- ``text`` is the plain twin (for snippets, search documents, screening).
- Idempotent: ``sanitize_sync(sanitize_sync(x).html).html == sanitize_sync(x).html``.
"""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from typing import Any, NamedTuple
from xml.etree import ElementTree

import anyio.to_thread
from bleach import html5lib_shim
from bleach.sanitizer import BleachSanitizerFilter

from kernel.web.problems import invalid

MAX_CHARS = 20_000
MAX_DEPTH = 20

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "h2", "h3", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
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


class _LinkRel(html5lib_shim.Filter):  # type: ignore[misc,name-defined]  # untyped in types-bleach
    """Every link gets rel="nofollow ugc noopener", whatever it had."""

    def __iter__(self) -> Any:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                data = {k: v for k, v in token["data"].items() if k != (None, "rel")}
                data[(None, "rel")] = LINK_REL
                token["data"] = data
            yield token


_WALKER = html5lib_shim.getTreeWalker("etree")  # type: ignore[attr-defined]  # untyped in types-bleach
_local = threading.local()


def _tools() -> tuple[Any, Any]:
    """This thread's parser and serializer: built once per worker thread (html5lib's are stateful)."""
    tools: tuple[Any, Any] | None = getattr(_local, "tools", None)
    if tools is None:
        # The parser knows the dropped tags too, so their content lands inside them and goes with them.
        parser = html5lib_shim.BleachHTMLParser(tags=ALLOWED_TAGS | DROPPED_TAGS, strip=True,
                                                consume_entities=False, namespaceHTMLElements=False)
        serializer = html5lib_shim.BleachHTMLSerializer(quote_attr_values="always", omit_optional_tags=False,
                                                        escape_lt_in_attrs=True, resolve_entities=False,
                                                        sanitize=False, alphabetical_attributes=False)
        tools = _local.tools = (parser, serializer)
    return tools


def _prune(element: ElementTree.Element) -> None:
    for child in list(element):
        if isinstance(child.tag, str) and child.tag.lower() in DROPPED_TAGS:
            # The tail is text after the element: keep it, attached to what precedes.
            if child.tail:
                index = list(element).index(child)
                if index:
                    previous = element[index - 1]
                    previous.tail = (previous.tail or "") + child.tail
                else:
                    element.text = (element.text or "") + child.tail
            element.remove(child)
        else:
            _prune(child)


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
    parser, serializer = _tools()
    dom = parser.parseFragment(html)
    _prune(dom)
    stream: Any = BleachSanitizerFilter(source=_WALKER(dom), allowed_tags=ALLOWED_TAGS,
                                        attributes=ALLOWED_ATTRIBUTES, strip_disallowed_tags=True,
                                        strip_html_comments=True, css_sanitizer=None,
                                        allowed_protocols=ALLOWED_PROTOCOLS)
    stream = _LinkRel(source=stream)
    clean = str(serializer.render(stream)).strip()
    return Rich(clean, text_of(clean))


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


def plain(value: str) -> str:
    """A one-line plain field (a title): control characters removed, spaces collapsed."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    return _SPACES.sub(" ", cleaned).strip()


def snippet(text: str, length: int = 120) -> str:
    """The first ``length`` characters of a text twin, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
