"""Hostile ids, cursors, slugs and query parameters get a 404 or 422, never a 500, on every route.

The property-based walk reads ``/openapi.json`` and feeds every path parameter, id field (bodies
and query strings) and cursor of every operation with values that once reached a 500: ids beyond
64 bits, Unicode digits that ``str.isdigit`` accepts (``²``), forged cursors holding ``2**63`` or
``null``, 300-character slugs. The journeys after it replay the attacks one by one and check what
other users see afterwards.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from meiji.app import create_app
from tests.conftest import Member, base_settings, sign_up
from tests.content.factories import diary, reference

PROBLEM = "application/problem+json"


def cursor_of(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- what a hostile client sends -------------------------------------------------------------

BIG = ["99999999999999999999", "9223372036854775808", "18446744073709551616", "2147483648", "4294967296"]
UNICODE_DIGITS = ["²", "١٢", "٣", "¹²³", "𝟗", "৪২"]
hostile_ids = st.one_of(
    st.sampled_from([*BIG, *UNICODE_DIGITS, "0", "-1", "1.5", "1e3", " 1", "a" * 300, "%00", "0x10"]),
    st.integers(min_value=2**31, max_value=2**70).map(str),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=24),
    st.text(min_size=81, max_size=300),
)
hostile_numbers = st.one_of(st.integers(min_value=2**31, max_value=2**63 - 1), st.integers(max_value=0),
                            hostile_ids)
cursor_values = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                          st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
                          st.sampled_from([2**31, 2**63, -(2**63) - 1, "2026-13-45T99:00:00", "9" * 30]))
hostile_cursors = st.one_of(
    # One or two values: the shapes the lists' cursors have, so the values themselves are tried.
    st.lists(cursor_values, min_size=1, max_size=2).map(cursor_of),
    st.sampled_from([cursor_of([2**63]), cursor_of([None]), cursor_of([2**63, 2**63]), cursor_of([None, None]),
                     cursor_of(["2026-01-01T00:00:00", 2**63]), cursor_of([1.5e308, 2**31]), "!!!", "e30",
                     cursor_of({"id": 1})]),
)

# --- the operations, read from the OpenAPI document -------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body: dict[str, Any] | None

    def is_id(self, name: str) -> bool:
        return name in ("id", "ids", "revision", "n", "answer_id", "reply_to") or name.endswith(("_id", "_ids"))


def operations(doc: dict[str, Any]) -> list[Operation]:
    found = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            found.append(Operation(method.upper(), path, tuple(p["name"] for p in params if p["in"] == "path"),
                                   tuple(p["name"] for p in params if p["in"] == "query"),
                                   resolve(doc, body) if body else None))
    return found


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return resolve(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def example(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the schema accepts as far as a JSON Schema can tell (patterns aside)."""
    schema = resolve(doc, schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema or "oneOf" in schema:
        options = [o for o in schema.get("anyOf", schema.get("oneOf", [])) if o.get("type") != "null"]
        return example(doc, options[0]) if options else None
    kind = schema.get("type")
    if kind == "object":
        return {name: example(doc, prop) for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return [example(doc, schema.get("items", {}))] * schema.get("minItems", 0)
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-10-01"
    return "术后第三天消肿了"[: schema.get("maxLength", 20)]


# --- the world the walk runs in ---------------------------------------------------------------


class World:
    """The app, its callers and the ids that exist (not a dataclass: Hypothesis prints it on failure)."""

    def __init__(self, client: TestClient, doc: dict[str, Any], callers: dict[str, dict[str, str]],
                 valid: dict[str, str]) -> None:
        self.client, self.doc, self.callers, self.valid = client, doc, callers, valid

    def __repr__(self) -> str:
        return f"World(diary={self.valid['id']})"


@pytest.fixture
def world(db_client: TestClient) -> Iterator[World]:
    client = db_client
    ref = reference(client)
    member = sign_up(client)
    moderator = sign_up(client, role="moderator")
    admin = sign_up(client, role="admin")
    d = diary(client, member, ref, title="热玛吉术后第一周")
    page = client.put("/v1/wiki/re-ma-ji", json={"title": "热玛吉", "body": "<p>射频紧致</p>"},
                      headers=ref["editor"].headers)
    assert page.status_code == 201, page.text
    question = client.post("/v1/questions", json={"title": "热玛吉能维持多久？", "body": "<p>打完一个月了</p>"},
                           headers=member.headers)
    assert question.status_code == 201, question.text
    doc = client.get("/openapi.json").json()
    # The values a path parameter gets when it is not the one under attack, so the walk goes deep.
    valid = {"id": d["id"], "slug": "re-ma-ji", "n": "1", "target_type": "diary", "target_id": d["id"],
             "case_id": "N000000000000", "name": "w640", "file": "w640.webp", "question": question.json()["id"]}
    callers = {"public": {}, "member": member.headers, "moderator": moderator.headers, "admin": admin.headers}
    yield World(client, doc, callers, valid)


def send(w: World, op: Operation, who: str, path: dict[str, str], query: dict[str, Any],
         body: dict[str, Any] | None) -> None:
    url = op.path
    for name in op.path_params:
        # Percent-encoded, as a client puts any string in a path; the server decodes it again.
        url = url.replace("{" + name + "}", quote(path.get(name, w.valid.get(name, "1")), safe=""))
    r = w.client.request(op.method, url, params=query, headers=w.callers[who],
                         json=body if op.body is not None else None)
    assert r.status_code < 500, (op.method, url, query, body, who, r.status_code, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == PROBLEM, (op.method, url, r.headers)


def id_fields(op: Operation) -> list[str]:
    if op.body is None:
        return []
    return [name for name in op.body.get("properties", {}) if op.is_id(name)]


def targets_of(op: Operation) -> list[tuple[str, str]]:
    """Where a hostile value can go in ``op``: its path parameters, id fields, id filters and cursor."""
    return [*(("path", p) for p in op.path_params), *(("body", f) for f in id_fields(op)),
            *(("query", q) for q in op.query_params if q == "cursor" or op.is_id(q))]


def served_document() -> dict[str, Any]:
    """The document ``GET /openapi.json`` serves, read before any test runs so strategies can use it."""
    app = create_app(base_settings(Path(tempfile.mkdtemp(prefix="meiji-openapi-"))))
    document: dict[str, Any] = orjson.loads(orjson.dumps(app.state.services.openapi))
    return document


DOCUMENT = served_document()
OPERATIONS = operations(DOCUMENT)
# Every (operation, place, name) a hostile value can go to, by kind of place, so the few lists
# with a cursor get as many tries as the many paths.
TARGETS = {where: [(index, name) for index, op in enumerate(OPERATIONS)
                   for kind, name in targets_of(op) if kind == where] for where in ("path", "body", "query")}


@st.composite
def attacks(draw: st.DrawFn) -> tuple[int, str, str, Any]:
    where = draw(st.sampled_from(sorted(TARGETS)))
    index, name = draw(st.sampled_from(TARGETS[where]))
    if where == "path":
        value: Any = draw(hostile_ids)
    elif where == "query":
        value = draw(hostile_cursors if name == "cursor" else hostile_ids)
    else:
        value = draw(hostile_numbers)
    return index, where, name, value


def test_the_walk_reads_the_document_the_app_serves(world: World) -> None:
    def shape(ops: list[Operation]) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
        return {(op.method, op.path, tuple(targets_of(op))) for op in ops}

    assert shape(operations(world.doc)) == shape(OPERATIONS)
    assert len(TARGETS["query"]) >= 15 and len(TARGETS["body"]) >= 10 and len(TARGETS["path"]) >= 60


# Derandomized, so every run sends the same requests; no shrinking, as the app's state moves on
# between examples (the assertion names the failing request in full instead).
@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(attack=attacks(), who=st.sampled_from(["admin", "member", "moderator", "public"]))
def test_no_hostile_value_reaches_a_500(world: World, attack: tuple[int, str, str, Any], who: str) -> None:
    index, where, name, value = attack
    op = OPERATIONS[index]
    path: dict[str, str] = {}
    query: dict[str, Any] = {}
    body = example(DOCUMENT, op.body) if op.body is not None else None
    if where == "path":
        path[name] = value
    elif where == "query":
        query[name] = value
    else:
        assert isinstance(body, dict)
        body[name] = [value] if name.endswith("ids") else value
    if op.path == "/v1/search":
        query.setdefault("q", "双眼皮")
    if op.path == "/v1/comments" and op.method == "GET":
        query.setdefault("target_type", "diary")
        query.setdefault("target_id", world.valid["id"])
    send(world, op, who, path, query, body)


# Every kind a ``target_type`` in a path names somewhere (follows, favourites, likes, reports...):
# the walk above keeps it at "diary", so a key of another kind (a procedure's slug) was never tried.
TARGET_TYPES = ("diary", "diary_entry", "review", "question", "answer", "comment", "wiki", "procedure", "clinic",
                "doctor", "account", "photo", "avatar", "review_reply")
LONG_KEYS = ("k" * 81, "割双眼皮" * 30, "2026-12" * 10)


def test_a_key_longer_than_any_stored_one_is_never_a_500_whatever_its_kind(world: World) -> None:
    """Every path parameter of every operation, with every kind a ``target_type`` names, gets keys
    longer than its column (Tortoise refuses to filter with those: a 500 until the services asked
    ``kernel.db.holds`` first), as a member and as an admin."""
    sent = 0
    for op in OPERATIONS:
        kinds = TARGET_TYPES if "target_type" in op.path_params else ("diary",)
        keys = [p for p in op.path_params if p != "target_type"]
        for key in keys:
            for kind in kinds:
                for value in LONG_KEYS:
                    for who in ("member", "admin"):
                        body = example(DOCUMENT, op.body) if op.body is not None else None
                        send(world, op, who, {"target_type": kind, key: value}, {}, body)
                        sent += 1
    assert sent > 500


# --- the journeys, one attack at a time -------------------------------------------------------


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    return body


def test_ids_beyond_64_bits_and_unicode_digits_are_unknown_accounts(client: TestClient) -> None:
    admin = sign_up(client, role="admin")
    member = sign_up(client, handle="小鹿爱美")
    for raw in ("99999999999999999999", "9223372036854775808", "2147483648", "²", "١٢"):
        problem(client.get(f"/v1/accounts/{raw}"), 404)
        problem(client.put(f"/v1/accounts/{raw}/role", json={"role": "moderator"}, headers=admin.headers), 404)
    # A stranger still gets 401 before the path is looked at; the real member is untouched.
    problem(client.put("/v1/accounts/99999999999999999999/role", json={"role": "admin"}), 401)
    shown = client.get(f"/v1/accounts/{member.id}", headers=admin.headers).json()
    assert shown["handle"] == "小鹿爱美" and shown["role"] == "member"


def test_hostile_wiki_revision_numbers_leave_the_page_as_it_was(client: TestClient) -> None:
    ref = reference(client)
    editor: Member = ref["editor"]
    assert client.put("/v1/wiki/shuang-yan-pi", json={"title": "双眼皮", "body": "<p>重睑术，俗称割双眼皮。</p>"},
                      headers=editor.headers).status_code == 201
    for raw in ("99999999999999999999", "²", "2147483648"):
        problem(client.get(f"/v1/wiki/shuang-yan-pi/revisions/{raw}"), 404)
    for revision in ("99999999999999999999", "9223372036854775808", 2**31, "²", 0):
        body = problem(client.post("/v1/wiki/shuang-yan-pi/revert", json={"revision": revision},
                                   headers=editor.headers), 422)
        assert body["errors"][0]["field"] == "revision"
    reader = client.get("/v1/wiki/shuang-yan-pi").json()
    assert reader["revision"] == 1 and reader["text"] == "重睑术，俗称割双眼皮。"


def test_hostile_notification_ids_mark_nothing_read(client: TestClient) -> None:
    member = sign_up(client)
    before = client.get("/v1/me/notifications", headers=member.headers).json()["unread_count"]
    r = client.post("/v1/me/notifications/read", json={"ids": ["99999999999999999999", "²", "2147483648"]},
                    headers=member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 0
    assert client.get("/v1/me/notifications", headers=member.headers).json()["unread_count"] == before


def test_reports_on_hostile_targets_reach_no_queue(client: TestClient) -> None:
    member = sign_up(client)
    moderator = sign_up(client, role="moderator")
    for target_type in ("account", "diary", "comment"):
        for raw in ("99999999999999999999", "²", "2147483648"):
            r = client.post("/v1/reports", json={"target_type": target_type, "target_id": raw, "reason": "spam",
                                                 "detail": "这是广告，加微信的那种"}, headers=member.headers)
            assert r.status_code in (404, 422), r.text
    assert client.get("/v1/moderation/queue", headers=moderator.headers).json()["items"] == []


def test_hostile_actor_filter_is_a_422_naming_it(client: TestClient) -> None:
    moderator = sign_up(client, role="moderator")
    for raw in ("99999999999999999999", "9223372036854775808", "2147483648", "²"):
        body = problem(client.get("/v1/moderation/log", params={"actor_id": raw}, headers=moderator.headers), 422)
        assert body["errors"][0]["field"] == "actor_id"


FORGED = [[2**63], [None], [2**63, 2**63], [None, None], [2**31], [True], ["2026-01-01T00:00:00", None],
          [2**31, 2**63], [-(2**63) - 1], [1.5, None]]


def test_forged_cursors_are_a_422_on_every_list(world: World) -> None:
    d, q = world.valid["id"], world.valid["question"]
    lists: list[tuple[str, dict[str, str]]] = [
        ("/v1/diaries", {}), ("/v1/diaries", {"sort": "popular"}), (f"/v1/diaries/{d}/entries", {}),
        ("/v1/reviews", {}), ("/v1/reviews", {"sort": "helpful"}), ("/v1/questions", {}),
        (f"/v1/questions/{q}/answers", {}), ("/v1/comments", {"target_type": "diary", "target_id": d}),
        ("/v1/procedures", {}), ("/v1/clinics", {}), ("/v1/doctors", {}), ("/v1/wiki", {}),
        ("/v1/wiki/re-ma-ji/revisions", {}), ("/v1/search", {"q": "热玛吉"}), ("/v1/me/notifications", {}),
        ("/v1/moderation/queue", {}), ("/v1/moderation/queue", {"sort": "recent"}), ("/v1/moderation/log", {})]
    for forged in FORGED:
        for url, params in lists:
            r = world.client.get(url, params={**params, "cursor": cursor_of(forged)},
                                 headers=world.callers["moderator"])
            assert problem(r, 422)["errors"][0]["field"] == "cursor", (url, params, forged)


def test_a_real_cursor_still_pages(client: TestClient) -> None:
    ref = reference(client)
    member = sign_up(client)
    for title in ("假体隆鼻第一天", "假体隆鼻第七天", "假体隆鼻一个月"):
        diary(client, member, ref, title=title)
    first = client.get("/v1/diaries", params={"limit": 2}).json()
    rest = client.get("/v1/diaries", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    titles = [d["title"] for d in first["items"] + rest["items"]]
    assert titles == ["假体隆鼻一个月", "假体隆鼻第七天", "假体隆鼻第一天"]


def test_a_slug_of_300_characters_is_not_found(client: TestClient) -> None:
    for url in ("/v1/procedures/", "/v1/wiki/", "/v1/wiki/"):
        problem(client.get(url + "a" * 300), 404)
    problem(client.get("/v1/wiki/" + "眼" * 81 + "/revisions"), 404)


def test_unknown_query_parameters_are_a_422_naming_them(client: TestClient) -> None:
    ref = reference(client)
    member = sign_up(client)
    d = diary(client, member, ref, title="水光针打完一周")
    for url in ("/v1/diaries", f"/v1/diaries/{d['id']}", "/v1/search?q=水光针", "/v1/clinics", "/v1/me",
                "/v1/moderation/queue"):
        r = client.get(url, params={"sortt": "popular"}, headers=member.headers)
        assert r.status_code in (403, 422), url
        if r.status_code == 422:
            assert problem(r, 422)["errors"][0]["field"] == "sortt", url
    # A route that takes no query at all names the first parameter it was given.
    assert problem(client.get("/healthz", params={"verbose": "1"}), 422)["errors"][0]["field"] == "verbose"
    # What a route does know keeps working, limit and cursor included.
    listed = client.get("/v1/diaries", params={"limit": 1, "sort": "popular"})
    assert listed.status_code == 200 and listed.json()["items"][0]["title"] == "水光针打完一周"
    assert client.get("/v1/diaries", params={"limit": 1, "cursor": cursor_of([int(d["id"])])}).status_code == 200


# --- plain text: no control characters, no bidi overrides ---------------------------------------


def test_a_handle_with_a_bidi_override_is_stored_and_shown_without_it(client: TestClient) -> None:
    # U+202E between 小美 and gpj.exe would show it to others as 小美exe.jpg.
    spoof = client.post("/v1/accounts", json={"handle": "小美\u202egpj.exe", "password": "换成你自己的长密码",
                                              "birth_date": "1996-05-20"})
    assert spoof.status_code == 201, spoof.text
    assert spoof.json()["handle"] == "小美gpj.exe"
    other = sign_up(client)
    shown = client.get(f"/v1/accounts/{spoof.json()['id']}", headers=other.headers).json()
    assert shown["handle"] == "小美gpj.exe" and "\u202e" not in json.dumps(shown, ensure_ascii=False)
    # The one who typed the override still signs in with what they typed.
    r = client.post("/v1/sessions", json={"handle": "小美\u202egpj.exe", "password": "换成你自己的长密码"})
    assert r.status_code == 201, r.text
    # A handle that only differs by invisible characters is the same handle, so it is taken.
    sign_up(client, handle="小鹿爱美")
    for lookalike in ("小鹿\u200d爱美", "\u2066小鹿爱美\u2069", "小鹿爱美\u200b"):
        taken = client.post("/v1/accounts", json={"handle": lookalike, "password": "换成你自己的长密码",
                                                   "birth_date": "1996-05-20"})
        assert taken.status_code == 409, (lookalike, taken.text)


def test_a_title_and_a_bio_with_control_characters_are_stored_clean(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    reader = sign_up(client)
    d = diary(client, author, ref, title="双眼皮\x07恢复\x85日记\u2067第一天\u2069\x1b[31m")
    # Controls become one space (an escape sequence loses its ESC); bidi isolates disappear.
    assert d["title"] == "双眼皮 恢复 日记第一天 [31m"
    listed = client.get("/v1/diaries", headers=reader.headers).json()["items"]
    assert [x["title"] for x in listed if x["id"] == d["id"]] == ["双眼皮 恢复 日记第一天 [31m"]
    # A title of nothing but controls is empty once cleaned: refused, naming the field.
    r = client.post("/v1/diaries", json={"title": "\u202e\x00\x07", "procedure": ref["procedure"],
                                         "operated_on": "2026-10-01"}, headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title", r.text
    # A bio keeps its line breaks, and loses the rest.
    me = client.patch("/v1/me", json={"bio": "杭州，90后\r\n做过双眼皮\u202e和热玛吉\x08"}, headers=author.headers)
    assert me.status_code == 200, me.text
    shown = client.get(f"/v1/accounts/{author.id}", headers=reader.headers).json()
    assert shown["bio"] == "杭州，90后\n做过双眼皮和热玛吉"


def test_plain_text_that_an_html_parser_would_read_as_markup_is_refused(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    for title in ("<img src=x onerror=alert(1)>术后第三天", "双眼皮</title><script>alert(1)</script>", "<!--x-->日记"):
        r = client.post("/v1/diaries", json={"title": title, "procedure": ref["procedure"],
                                             "operated_on": "2026-10-01"}, headers=author.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title", r.text
    bio = client.patch("/v1/me", json={"bio": "杭州\n<a href=javascript:alert(1)>我的主页</a>"}, headers=author.headers)
    assert bio.status_code == 422 and bio.json()["errors"][0]["field"] == "bio", bio.text
    # Angle brackets that open no element stay as written.
    d = diary(client, author, ref, title="价格<1万，效果 > 预期 <原文链接>")
    assert d["title"] == "价格<1万，效果 > 预期 <原文链接>"
    assert [x["title"] for x in client.get("/v1/diaries").json()["items"]] == [d["title"]]
