"""nh3 (ammonia, Rust) against bleach (html5lib) on the XSS corpora: correctness, stability and speed.

Both are configured as the service's one sanitizer needs (tags of the contract, ``a[href]`` with
http, https and mailto, rel on every link, the content of script/style/... dropped). For each:

- unsafe links kept: an ``href`` whose scheme, read as a browser reads it, is not http/https/mailto;
- unstable: payloads whose cleaned output changes when cleaned again;
- dangerous markup: tags that run code, event handlers, ``javascript:``/``data:`` URLs;
- time over every corpus payload that passes the service's size and depth limits (best of 3);
- nesting bombs: seconds for N nested tags *without* the depth limit in front.

Run: ``.venv/bin/python bench/sanitizer.py`` (no server; a few seconds, plus bleach's bombs).
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import nh3
from bleach import html5lib_shim
from bleach.sanitizer import BleachSanitizerFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content.sanitizer import (  # noqa: E402
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    DROPPED_TAGS,
    LINK_REL,
    MAX_CHARS,
    MAX_DEPTH,
    clean,
    depth_of,
)

CORPUS = ROOT.parent / "shared" / "corpora" / "xss"
# The cases that crossed bleach's URL parser ("scheme:digits" read as host:port) and the project's own.
OWN = ['<a href="javascript:0">点我</a>', '<a href="data:1">点我</a>', '<a href="vbscript:1">点我</a>',
       '<a href="intent:1">打开App</a>', '<a href="weixin:1">加微信</a>', '<a href="JaVaScRiPt:0">点我</a>',
       '<a href="javascript:alert(1)">点我</a>', '<a href="java&#x09;script:0">点我</a>',
       '<a href="weixin://dl/chat">加微信</a>', '<a href="intent://scan/#Intent;scheme=zxing;end">扫码</a>',
       '<a href="https://example.com/?q=&lt;b&gt;">医院官网</a>', '<p title="&lt;术后&gt;">第三天</p>',
       '<a href="https://example.com/a?x=1&amp;y=&lt;2">链接</a>', '<a href="mailto:kefu@example.com">邮件</a>',
       '<a href="/v1/diaries/12">我的日记</a>', '术后<script>alert("偷cookie")</script>第三天']


def payloads() -> Iterator[str]:
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if "payload_repeat" in case:
                yield case["payload_repeat"]["unit"] * case["payload_repeat"]["times"]
            else:
                value = case.get("payload", case.get("data", case.get("input")))
                if isinstance(value, str):
                    yield value


# --- the two candidates -----------------------------------------------------------------------

def clean_nh3(fragment: str) -> str:
    return nh3.clean(fragment, tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_TAGS),
                     attributes={"a": {"href"}, "*": set()}, url_schemes=set(ALLOWED_PROTOCOLS),
                     link_rel=LINK_REL, strip_comments=True).strip()


class _LinkRel(html5lib_shim.Filter):  # type: ignore[misc,name-defined]
    def __iter__(self) -> Any:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                data = {k: v for k, v in token["data"].items() if k != (None, "rel")}
                data[(None, "rel")] = LINK_REL
                token["data"] = data
            yield token


def _prune(element: ElementTree.Element) -> None:
    for child in list(element):
        if isinstance(child.tag, str) and child.tag.lower() in DROPPED_TAGS:
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


_PARSER = html5lib_shim.BleachHTMLParser(tags=ALLOWED_TAGS | DROPPED_TAGS, strip=True,  # type: ignore[attr-defined]
                                         consume_entities=False, namespaceHTMLElements=False)
_SERIALIZER = html5lib_shim.BleachHTMLSerializer(  # type: ignore[attr-defined]
    quote_attr_values="always", omit_optional_tags=False, escape_lt_in_attrs=True, resolve_entities=False,
    sanitize=False, alphabetical_attributes=False)
_WALKER = html5lib_shim.getTreeWalker("etree")  # type: ignore[attr-defined]


def clean_bleach(fragment: str) -> str:
    """The service's sanitizer as it was on bleach 6.4 (html5lib parser, bleach's filter)."""
    if not fragment.strip():
        return ""
    dom = _PARSER.parseFragment(fragment)
    _prune(dom)
    stream: Any = BleachSanitizerFilter(source=_WALKER(dom), allowed_tags=ALLOWED_TAGS,
                                        attributes={"a": ["href"]}, strip_disallowed_tags=True,
                                        strip_html_comments=True, css_sanitizer=None,
                                        allowed_protocols=ALLOWED_PROTOCOLS)
    return str(_SERIALIZER.render(_LinkRel(source=stream))).strip()


CANDIDATES: dict[str, Callable[[str], str]] = {
    "nh3 0.3, one pass": clean_nh3,
    "nh3 as meiji runs it (until stable)": clean,
    "bleach 6.4 as meiji ran it": clean_bleach,
}

# --- judging the output -----------------------------------------------------------------------

_HREF = re.compile(r"""\shref\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DANGER = re.compile(r"<\s*/?\s*(script|style|iframe|svg|math|object|embed|img|form|input|meta|link|base|frame)\b"
                     r"|\son[a-z]+\s*=", re.IGNORECASE)
_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")


def unsafe_links(output: str) -> int:
    """Links a browser would follow to a scheme other than http, https or mailto."""
    count = 0
    for match in _HREF.finditer(output):
        raw = next(g for g in match.groups()[1:] if g is not None)
        # As the URL parser does: entities decoded, C0 and space trimmed, tabs and newlines removed.
        value = re.sub(r"[\t\n\r]", "", html.unescape(raw)).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b"
                                                                  "\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
                                                                  "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
        scheme = _SCHEME.match(value)
        if scheme and scheme.group(1).lower() not in ALLOWED_PROTOCOLS:
            count += 1
    return count


def judge(name: str, clean: Callable[[str], str], inputs: list[str]) -> dict[str, Any]:
    unsafe = unstable = danger = foreign = 0
    examples: list[str] = []
    for payload in inputs:
        once = clean(payload)
        twice = clean(once)
        unsafe += unsafe_links(once) > 0
        danger += bool(_DANGER.search(once))
        foreign += not {t.lower() for t in _TAG.findall(once)} <= ALLOWED_TAGS
        if twice != once:
            unstable += 1
            if len(examples) < 3:
                examples.append(f"{payload[:60]!r} -> {once[:60]!r} -> {twice[:60]!r}")
    best = min(_timed(clean, inputs) for _ in range(3))
    return {"name": name, "unsafe": unsafe, "unstable": unstable, "danger": danger, "foreign": foreign,
            "seconds": best, "examples": examples}


def _timed(clean: Callable[[str], str], inputs: list[str]) -> float:
    started = time.perf_counter()
    for payload in inputs:
        clean(payload)
    return time.perf_counter() - started


def bomb_seconds(sanitize: Callable[[str], str], tag: str, depth: int) -> str:
    started = time.perf_counter()
    try:
        sanitize(f"<{tag}>" * depth + "肿")
    except RecursionError:
        return "RecursionError"  # html5lib's tree is walked recursively
    return f"{time.perf_counter() - started:.3f} s"


def main() -> None:
    if not CORPUS.is_dir():
        print(f"sanitizer: {CORPUS} is absent; nothing to measure")
        return
    every = list(payloads())
    # What reaches the sanitizer in the service: the size and depth limits refuse the rest first.
    admitted = [p for p in every if len(p) <= MAX_CHARS and depth_of(p) <= MAX_DEPTH]
    inputs = admitted + OWN
    print(f"{len(every)} corpus payloads, {len(admitted)} within {MAX_CHARS} characters and depth {MAX_DEPTH}, "
          f"+ {len(OWN)} of the project's own\n")
    print("| sanitizer | unsafe links kept | unstable (twice ≠ once) | dangerous markup | other tags "
          "| time for all (best of 3) | per payload |")
    print("|---|---|---|---|---|---|---|")
    for name, candidate in CANDIDATES.items():
        r = judge(name, candidate, inputs)
        print(f"| {name} | {r['unsafe']} | {r['unstable']} | {r['danger']} | {r['foreign']} "
              f"| {r['seconds'] * 1000:.0f} ms | {r['seconds'] / len(inputs) * 1e6:.0f} µs |")
        for example in r["examples"]:
            print(f"  unstable: {example}")
    print("\nOwn cases, as each sanitizer leaves them:")
    for case in OWN[:5]:
        print(f"- `{case}`: nh3 `{clean_nh3(case)}`; bleach `{clean_bleach(case)}`")
    print("\n| nesting bomb (no depth limit in front) | nh3 as meiji runs it | bleach 6.4 |")
    print("|---|---|---|")
    for tag, depth in (("blockquote", 1_000), ("blockquote", 4_000), ("blockquote", 8_000), ("b", 60_000)):
        # bleach on 60,000 <b> takes ~69 s (corpora/README): not repeated here.
        slow = bomb_seconds(clean_bleach, tag, depth) if depth <= 8_000 else "~69 s (not run)"
        print(f"| {depth:,} nested <{tag}> | {bomb_seconds(clean, tag, depth)} | {slow} |")

if __name__ == "__main__":
    main()
