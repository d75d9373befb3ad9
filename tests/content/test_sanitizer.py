"""The one sanitizer against every payload of the XSS corpora, directly and through HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from content.sanitizer import MAX_CHARS, MAX_DEPTH, sanitize_sync
from kernel.web.problems import Problem
from tests.conftest import CORPORA, sign_up
from tests.content.factories import diary, reference


def payloads() -> Iterator[str]:
    for path in sorted((CORPORA / "xss").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if "payload_repeat" in case:
                yield case["payload_repeat"]["unit"] * case["payload_repeat"]["times"]
            else:
                value = case.get("payload", case.get("data", case.get("input")))
                if isinstance(value, str):
                    yield value


ALL = list(payloads())
# What may never survive: tags that run code or embed documents, event handlers, dangerous URLs.
DANGER = re.compile(r"<\s*/?\s*(script|style|iframe|svg|math|object|embed|img|form|input|meta|link|base|frame)\b"
                    r"|\son[a-z]+\s*=|(href|src)\s*=\s*\"?\s*(javascript|data|vbscript):", re.IGNORECASE)
TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")


def test_the_corpora_are_all_there() -> None:
    assert len(ALL) > 2000


def test_every_corpus_payload_is_safe_and_stable() -> None:
    refused = 0
    for payload in ALL:
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
    # The nesting bombs of the ammonia tests at least.
    assert 3 <= refused < 20


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
    samples = [*ALL[::40], "<b>" * 60000, "<blockquote>" * 30 + "肿"]
    for payload in samples:
        r = client.post(f"/v1/diaries/{d['id']}/entries", json={"body": payload, "happened_on": "2026-10-02"},
                        headers=member.headers)
        assert r.status_code in (201, 422), (payload, r.text)
        if r.status_code == 201:
            assert not DANGER.search(r.json()["body"])
        else:
            assert r.json()["errors"][0]["field"] == "body"
