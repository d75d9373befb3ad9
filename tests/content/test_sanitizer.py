"""The one sanitizer against hostile HTML, directly and through HTTP.

Our own cases (tests/corpus/xss) always run; the ~2,200 cases of ../shared/corpora/xss when present.
"""

from __future__ import annotations

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
