"""The HTTP conventions every route shares: problem+json errors, limits, idempotency, rate limits."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from starlette.testclient import TestClient

from tests.conftest import PASSWORD, AppFactory, Member, sign_up

PROBLEM = "application/problem+json"


def assert_problem(r: object, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def test_unknown_path_is_problem_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_trailing_slash_is_an_unknown_path_not_a_redirect(client: TestClient, method: str) -> None:
    for path in ("/v1/notices/", "/v1/diaries/", "/healthz/"):
        r = client.request(method, path, follow_redirects=False)
        assert_problem(r, 404)
        assert "location" not in r.headers
    # The path without the slash is still the documented route.
    assert client.get("/v1/diaries").status_code == 200


def test_wrong_method_is_problem_405(client: TestClient) -> None:
    assert_problem(client.delete("/v1/accounts"), 405)
    assert_problem(client.post("/healthz"), 405)


def test_wrong_content_type_is_415(client: TestClient) -> None:
    r = client.post("/v1/accounts", content="handle=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)


def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post("/v1/accounts", content=b'{"handle": ', headers={"content-type": "application/json"})
    assert_problem(r, 400)
    r = client.post("/v1/accounts", content=b"", headers={"content-type": "application/json"})
    assert_problem(r, 400)


@pytest.mark.parametrize("raw", [
    b'{"handle": "\\ud800abc", "password": "12345678", "birth_date": "1990-01-01"}',  # lone surrogate
    b'{"handle": "a\\u0000b", "password": "12345678", "birth_date": "1990-01-01"}',  # NUL
    b'{"handle": "abc", "password": "12345678", "birth_date": "1990-01-01", "x": 99999999999999999999999}',
    b'{"handle": "abc", "password": "12345678", "birth_date": NaN}',
    b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'[1, 2, 3]',
    b'"just a string"',
])
def test_hostile_json_gets_a_4xx_and_creates_nothing(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/accounts", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == PROBLEM
    assert client.post("/v1/sessions", json={"handle": "abc", "password": "12345678"}).status_code == 401


def test_validation_names_each_field(client: TestClient) -> None:
    r = client.post("/v1/accounts", json={"handle": "好", "password": "short", "birth_date": "不是日期"})
    body = assert_problem(r, 422)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[union-attr]
    assert fields == {"handle", "password", "birth_date"}


def test_unknown_fields_are_refused(client: TestClient) -> None:
    r = client.post("/v1/accounts", json={"handle": "多余字段", "password": PASSWORD, "birth_date": "1990-01-01",
                                          "role": "admin"})
    body = assert_problem(r, 422)
    assert body["errors"] == [{"field": "role", "message": "Extra inputs are not permitted"}]


def test_body_over_the_limit_is_413_before_reading(make_client: AppFactory) -> None:
    with make_client(max_body_bytes=2048) as client:
        big = json.dumps({"handle": "大", "password": "x" * 5000, "birth_date": "1990-01-01"})
        assert_problem(client.post("/v1/accounts", content=big, headers={"content-type": "application/json"}), 413)
        # Also on a path that does not exist, and without a Content-Length (streamed).
        assert_problem(client.post("/v1/nowhere", content=big, headers={"content-type": "application/json"}), 413)

        def chunks() -> object:
            yield big.encode()

        r = client.post("/v1/accounts", content=chunks(), headers={"content-type": "application/json"})
        assert_problem(r, 413)


def test_unexpected_errors_are_500_problem_without_detail(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(token: str) -> None:
        raise RuntimeError("secret internal detail /srv/meiji/db.sqlite3")

    app_state = client.app.state  # type: ignore[attr-defined]
    app_state.services = dataclasses.replace(app_state.services, authenticate=broken)
    with caplog.at_level(logging.ERROR, logger="meiji.errors"):
        r = client.get("/v1/me", headers={"Authorization": "Bearer whatever"})
    body = assert_problem(r, 500)
    assert "secret" not in r.text and "Traceback" not in r.text and "sqlite" not in r.text
    assert body["detail"]
    # The log names the route as the access log does, never the concrete path, which may carry a
    # case id or a token.
    with caplog.at_level(logging.ERROR, logger="meiji.errors"):
        r = client.put("/v1/me/consents/policy-xk3-7f9c2", headers={"Authorization": "Bearer whatever"})
    assert_problem(r, 500)
    assert "unhandled error on PUT /v1/me/consents/{policy_version}" in caplog.text
    assert "xk3-7f9c2" not in caplog.text


def test_idempotency_key_replays_the_first_answer(client: TestClient) -> None:
    payload = {"handle": "幂等用户", "password": PASSWORD, "birth_date": "1990-01-01"}
    first = client.post("/v1/accounts", json=payload, headers={"Idempotency-Key": "k-1"})
    again = client.post("/v1/accounts", json=payload, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = client.post("/v1/accounts", json={**payload, "handle": "另一个"}, headers={"Idempotency-Key": "k-1"})
    body = assert_problem(other, 422)
    assert body["errors"] == [{"field": "Idempotency-Key", "message": "already used with another body"}]
    # Without the key, the same body is a second attempt: the handle is taken.
    assert client.post("/v1/accounts", json=payload).status_code == 409


def test_idempotency_key_expires_after_24_hours(client: TestClient) -> None:
    from kernel.clock import clock

    payload = {"handle": "过期用户", "password": PASSWORD, "birth_date": "1990-01-01"}
    assert client.post("/v1/accounts", json=payload, headers={"Idempotency-Key": "k-2"}).status_code == 201
    clock.advance(hours=25)
    try:
        again = client.post("/v1/accounts", json=payload, headers={"Idempotency-Key": "k-2"})
    finally:
        clock.advance(hours=-25)
    assert again.status_code == 409


def test_rate_limits_answer_429_with_retry_after(make_client: AppFactory) -> None:
    from kernel.settings import parse_rate_limits

    limits = parse_rate_limits("MEIJI_RATE_LIMITS", "login=3/300,ip=1000/300")
    with make_client(rate_limits=limits) as client:
        member = sign_up(client)
        codes = [client.post("/v1/sessions", json={"handle": member.handle, "password": "wrong-password"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 429, 429]  # sign_up's own login used the first of three
        r = client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD})
        assert_problem(r, 429)
        assert int(r.headers["retry-after"]) > 0


def test_the_eleventh_sign_up_in_an_hour_waits_and_is_told_how_to_change_the_limit(make_client: AppFactory) -> None:
    from kernel.settings import DEFAULT_RATE_LIMITS

    with make_client(rate_limits=dict(DEFAULT_RATE_LIMITS)) as client:
        members = [sign_up(client, handle=f"第{n}位新用户") for n in range(10)]
        r = client.post("/v1/accounts", json={"handle": "第十一位新用户", "password": PASSWORD,
                                              "birth_date": "1995-08-08"})
        body = assert_problem(r, 429)
        assert 3000 < int(r.headers["retry-after"]) <= 3600
        detail = str(body["detail"])
        assert "MEIJI_RATE_LIMITS" in detail and "signup" in detail and "minutes" in detail
        # Nothing was created: the handle cannot sign in, while the ten before still can.
        refused = client.post("/v1/sessions", json={"handle": "第十一位新用户", "password": PASSWORD})
        assert refused.status_code == 401
        assert client.get("/v1/me", headers=members[-1].headers).status_code == 200


def test_rate_limit_per_token(make_client: AppFactory) -> None:
    from kernel.settings import parse_rate_limits

    with make_client(rate_limits=parse_rate_limits("X", "token=5/300")) as client:
        member = sign_up(client)
        codes = [client.get("/v1/me", headers=member.headers).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        other = sign_up(client)
        assert client.get("/v1/me", headers=other.headers).status_code == 200


def test_suspended_accounts_read_but_do_not_write(client: TestClient, member: Member) -> None:
    from meiji.accounts import services

    assert client.portal is not None
    client.portal.call(services.set_suspended, int(member.id), True)
    assert client.get("/v1/me", headers=member.headers).status_code == 200
    assert_problem(client.patch("/v1/me", json={"bio": "被封禁了还想改"}, headers=member.headers), 403)
    # Some writes about their own account stay open: reading their notifications, for one.
    r = client.post("/v1/me/notifications/read", json={"all": True}, headers=member.headers)
    assert r.status_code == 200, r.text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "storage": "ok", "search": "ok"}


def test_readiness_fails_when_a_backend_does_not_answer(client: TestClient) -> None:
    async def down() -> None:
        raise ConnectionError("storage unreachable")

    client.app.state.services.search.ping = down  # type: ignore[attr-defined]
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["search"] == "unavailable"


def test_metrics_count_requests_per_route(make_client: AppFactory) -> None:
    scraper = "prometheus-scraper-token-2026"
    with make_client(metrics_token=scraper) as client:
        member = sign_up(client)
        client.get("/v1/me", headers=member.headers)
        client.get(f"/v1/accounts/{member.id}")
        text = client.get("/metrics", headers={"Authorization": f"Bearer {scraper}"}).text
    assert 'meiji_requests_total{method="GET",route="/v1/me",status="200"}' in text
    assert 'meiji_requests_total{method="GET",route="/v1/accounts/{id}",status="200"}' in text
    assert 'meiji_request_seconds_bucket{method="GET",route="/v1/me",le="+Inf"}' in text


def test_access_log_never_carries_secrets(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="meiji"):
        client.post("/v1/accounts", json={"handle": "日志用户", "password": "极其机密的密码123",
                                          "birth_date": "1990-01-01"})
        r = client.post("/v1/sessions", json={"handle": "日志用户", "password": "极其机密的密码123"})
        token = r.json()["token"]
        client.patch("/v1/me", json={"bio": "电话 13800138000"}, headers={"Authorization": f"Bearer {token}"})
    text = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("meiji"))
    assert "POST /v1/sessions 201" in text
    for secret in ("极其机密的密码123", token, "13800138000"):
        assert secret not in text


def test_a_client_that_disconnects_mid_body_is_not_an_error(client: TestClient,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/accounts", "raw_path": b"/v1/accounts", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    assert client.portal is not None
    with caplog.at_level(logging.INFO, logger="meiji"):
        client.portal.call(client.app, scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_image_files_have_their_own_bucket(make_client: AppFactory) -> None:
    from kernel.settings import parse_rate_limits
    from tests.conftest import upload

    with make_client(rate_limits=parse_rate_limits("X", "ip=6/300,media=5/300")) as client:
        admin = sign_up(client, role="admin")  # with a token: the ip bucket is not used
        media_id = upload(client, admin)
        portal = client.portal
        assert portal is not None
        # Published (attached to a visible post): only then are its files public.
        portal.call(lambda: client.app.state.services.media.attach("diary:1", [media_id], owner_id=int(admin.id)))  # type: ignore[attr-defined]
        media = client.get(f"/v1/media/{media_id}", headers=admin.headers).json()
        thumb = media["variants"]["thumb"]["url"].removeprefix("http://127.0.0.1:8000")
        codes = [client.get(thumb).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        # Calls without a token still share the smaller allowance (sign-up and sign-in took two).
        assert [client.get("/v1/diaries").status_code for _ in range(5)] == [200] * 4 + [429]
