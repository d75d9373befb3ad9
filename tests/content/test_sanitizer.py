"""The one sanitizer against hostile HTML, directly and through HTTP.

Our own cases (tests/corpus/xss) always run; the ~2,200 cases of ../shared/corpora/xss when present.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pytest
from starlette.testclient import TestClient

from content.sanitizer import MAX_CHARS, MAX_DEPTH, sanitize_sync
from kernel.web.problems import Problem
from tests.conftest import sign_up
from tests.content.factories import diary, reference
from tests.corpus import need_shared, own_html, shared_html

OWN = own_html()
SHARED = shared_html()
# What may never survive: tags that run code or embed documents, event handlers, dangerous URLs.
DANGER = re.compile(r"<\s*/?\s*(script|style|iframe|svg|math|object|embed|img|form|input|meta|link|base|frame)\b"
                    r"|\son[a-z]+\s*=|(href|src)\s*=\s*\"?\s*(javascript|data|vbscript):", re.IGNORECASE)
TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")
HREF = re.compile(r"""\shref\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def unsafe_links(html_out: str) -> list[str]:
    """The hrefs a browser would follow to a scheme other than http, https or mailto.

    Read as the browser reads them: entities decoded, C0 controls and spaces trimmed, tabs and
    newlines removed (``java&#x09;script:`` is ``javascript:``).
    """
    found = []
    for match in HREF.finditer(html_out):
        raw = next(g for g in match.groups()[1:] if g is not None)
        value = re.sub(r"[\t\n\r]", "", html.unescape(raw)).strip("".join(map(chr, range(33))))
        scheme = SCHEME.match(value)
        if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
            found.append(raw)
    return found


def safe_and_stable(payloads: Sequence[str]) -> int:
    """Check every payload comes out safe and sanitizes to itself again; returns how many were refused."""
    refused = 0
    for payload in payloads:
        try:
            rich = sanitize_sync(payload)
        except Problem as problem:
            # Only size and depth refusals, as a 422 naming the field.
            assert problem.status == 422 and problem.errors and problem.errors[0]["field"] == "body"
            refused += 1
            continue
        assert not DANGER.search(rich.html), (payload, rich.html)
        assert unsafe_links(rich.html) == [], (payload, rich.html)
        assert {t.lower() for t in TAG.findall(rich.html)} <= {"p", "br", "strong", "em", "ul", "ol", "li",
                                                               "blockquote", "h2", "h3", "a"}, rich.html
        again = sanitize_sync(rich.html)
        assert again.html == rich.html, payload
        assert again.text == rich.text
    return refused


def test_our_hostile_html_is_safe_and_stable() -> None:
    assert len(OWN) >= 50
    # Exactly the nesting bombs and the over-long text are refused; everything else is cleaned.
    assert safe_and_stable(OWN) == 4


def test_every_shared_corpus_payload_is_safe_and_stable() -> None:
    need_shared("xss")
    assert len(SHARED) > 2000
    # The nesting bombs of the ammonia tests at least.
    assert 3 <= safe_and_stable(SHARED) < 20


def test_script_and_style_content_is_dropped_not_kept_as_text() -> None:
    rich = sanitize_sync('术后<script>alert("偷cookie")</script>第三天<style>p{color:red}</style>，<b>消肿</b>了')
    assert rich.html == "术后第三天，消肿了"
    assert "alert" not in rich.text and "color" not in rich.text


def test_links_get_rel_and_only_safe_schemes() -> None:
    rich = sanitize_sync('<a href="https://example.com" rel="me" onclick="x()">医院官网</a>'
                         '<a href="javascript:alert(1)">点我</a><a href="mailto:a@example.com">邮件</a>')
    assert '<a href="https://example.com" rel="nofollow ugc noopener">医院官网</a>' in rich.html
    assert "javascript" not in rich.html
    assert 'href="mailto:a@example.com"' in rich.html


def test_text_twin_has_lines_and_entities_resolved() -> None:
    rich = sanitize_sync("<h2>第一周</h2><p>肿 &amp; 痛</p><ul><li>冰敷</li><li>睡高枕</li></ul>")
    assert rich.text == "第一周\n肿 & 痛\n冰敷\n睡高枕"


def test_limits_are_checked_before_parsing() -> None:
    with pytest.raises(Problem) as too_long:
        sanitize_sync("美" * (MAX_CHARS + 1), field="body")
    assert too_long.value.status == 422
    with pytest.raises(Problem) as too_deep:
        sanitize_sync("<blockquote>" * (MAX_DEPTH + 1) + "深", field="body")
    assert too_deep.value.errors == [{"field": "body", "message": f"HTML nested deeper than {MAX_DEPTH} levels"}]
    # Paragraphs and list items that close each other are not nesting.
    assert sanitize_sync("<p>一" * 200).html.count("<p>") == 200


def test_payloads_through_http_never_fail(client: TestClient) -> None:
    ref = reference(client)
    member = sign_up(client)
    d = diary(client, member, ref)
    # Every one of ours that fits in a request body, and a sample of the shared ones when present.
    samples = [*(p for p in OWN if len(p.encode()) < 200_000), *SHARED[::40], "<blockquote>" * 30 + "肿"]
    for payload in samples:
        r = client.post(f"/v1/diaries/{d['id']}/entries", json={"body": payload, "happened_on": "2026-10-02"},
                        headers=member.headers)
        assert r.status_code in (201, 422), (payload, r.text)
        if r.status_code == 201:
            assert not DANGER.search(r.json()["body"])
        else:
            assert r.json()["errors"][0]["field"] == "body"


# Each of these kept its href under bleach, whose URL parser read "scheme:digits" as host and port.
FOREIGN_SCHEMES = ['<a href="javascript:0">点我领红包</a>', '<a href="data:1">点我领红包</a>',
                   '<a href="vbscript:1">点我领红包</a>', '<a href="intent:1">打开App看案例</a>',
                   '<a href="weixin:1">加微信咨询</a>', '<a href="JaVaScRiPt:0">点我领红包</a>',
                   '<a href="java&#x09;script:0">点我领红包</a>', '<a href="weixin://dl/chat">加微信咨询</a>',
                   '<a href="intent://scan/#Intent;scheme=zxing;end">扫码看效果</a>',
                   '<a href=" javascript:0">点我领红包</a>', '<a href="tel:13800138000">打电话</a>']


@pytest.mark.parametrize("payload", FOREIGN_SCHEMES)
def test_links_to_other_schemes_lose_their_href(payload: str) -> None:
    rich = sanitize_sync(payload)
    assert "href" not in rich.html, rich.html
    assert rich.html.startswith('<a rel="nofollow ugc noopener">') and rich.text in payload


@pytest.mark.parametrize("href", ["https://www.example.com/case?id=12&amp;from=diary", "http://example.com/",
                                  "mailto:kefu@example.com", "/v1/diaries/12", "#第三天", "//cdn.example.com/a"])
def test_http_https_mailto_and_relative_links_stay(href: str) -> None:
    rich = sanitize_sync(f'<a href="{href}">医院官网</a>')
    assert rich.html == f'<a href="{href}" rel="nofollow ugc noopener">医院官网</a>'


@pytest.mark.parametrize("payload", [
    '<a href="https://example.com/search?q=&lt;双眼皮&gt;">搜索</a>',
    '<a href="https://example.com/a?x=1&amp;y=&lt;2">链接</a>',
    '<a href="https://example.com/a?q=<b>">链接</a>',
    '<p>价格 &lt; 一万 &amp; 恢复期 &gt; 七天</p>',
    'FOO&#x000D;ZOO',
    '<a href="https://example.com/1">甲<table><a href="https://example.com/2">乙<tr><td></td></tr>丙</table>丁',
])
def test_sanitizing_twice_equals_once(payload: str) -> None:
    once = sanitize_sync(payload)
    assert sanitize_sync(once.html) == once
    assert "&amp;lt;" not in once.html and "&amp;amp;" not in once.html


def test_an_entry_with_foreign_links_is_stored_without_them_and_saving_it_again_changes_nothing(
        client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    reader = sign_up(client)
    d = diary(client, author, ref)
    body = ('<p>第三天消肿了，<a href="weixin://dl/chat">加我微信</a>聊价格，'
            '<a href="javascript:0">点我领红包</a>，医院官网 <a href="https://example.com/?a=1&lt;2">在这里</a></p>')
    created = client.post(f"/v1/diaries/{d['id']}/entries", json={"body": body, "happened_on": "2026-10-03"},
                          headers=author.headers)
    assert created.status_code == 201, created.text
    entry_id, stored = created.json()["id"], created.json()["body"]
    assert "weixin" not in stored and "javascript" not in stored and 'href="https://example.com/?a=1&lt;2"' in stored
    # The author saves the entry as the app shows it back: nothing is escaped once more.
    again = client.patch(f"/v1/diary-entries/{entry_id}", json={"body": stored}, headers=author.headers)
    assert again.status_code == 200, again.text
    assert again.json()["body"] == stored
    # What others read is that same body, without the foreign links.
    for headers in (reader.headers, {}):
        entries = client.get(f"/v1/diaries/{d['id']}/entries", headers=headers).json()["items"]
        assert [e["body"] for e in entries if e["id"] == entry_id] == [stored]
        assert all(unsafe_links(e["body"]) == [] for e in entries)
