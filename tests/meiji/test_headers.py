"""Security headers on every answer, private answers never cached, CORS origins and trusted hosts."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kernel.settings import SettingsError, load
from kernel.web.headers import STRICT_CSP, SecuredStarlette
from kernel.web.problems import EXCEPTION_HANDLERS
from tests.conftest import AppFactory, sign_up

PROBLEM = "application/problem+json"


def assert_hardened(r: object) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_a_member_s_own_answers_are_never_stored_while_public_reads_stay_cacheable(client: TestClient) -> None:
    author = sign_up(client)
    r = client.post("/v1/questions", headers=author.headers,
                    json={"title": "热玛吉做完多久能看到效果？", "body": "<p>做完一周了，感觉变化不大。</p>",
                          "anonymous": True})
    assert r.status_code == 201
    question_id = r.json()["id"]

    mine = client.get("/v1/me", headers=author.headers)
    assert mine.status_code == 200
    assert_hardened(mine)
    assert mine.headers["content-security-policy"] == STRICT_CSP
    assert mine.headers["cache-control"] == "no-store"
    # The author's view of an anonymous question says is_mine: a shared cache must not hand it to others.
    own_view = client.get(f"/v1/questions/{question_id}", headers=author.headers)
    assert own_view.json()["is_mine"] is True and own_view.headers["cache-control"] == "no-store"

    # Another reader, without a token, gets the public answer: hardened, cacheable, author hidden.
    public = client.get(f"/v1/questions/{question_id}")
    assert public.status_code == 200
    assert_hardened(public)
    assert "cache-control" not in public.headers
    assert public.json()["is_mine"] is False and public.json()["author"] is None


def test_problems_and_case_token_answers_are_never_stored(client: TestClient) -> None:
    missing = client.get("/v1/diaries/999999")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert_hardened(missing)
    assert missing.headers["cache-control"] == "no-store"

    # A rights holder follows a case with its token: the timeline is theirs alone.
    author = sign_up(client)
    r = client.post("/v1/questions", headers=author.headers,
                    json={"title": "这家机构的案例图是原创的吗？", "body": "<p>图片来自网络。</p>", "anonymous": False})
    question_id = r.json()["id"]
    notice = client.post("/v1/notices", json={
        "notice_type": "copyright",
        "claimant": {"name": "周敏", "email": "zhou.min@example.cn", "phone": "+86 137-0000-1234",
                     "address": "广州市天河区体育西路 100 号"},
        "work": {"description": "本人拍摄的术后对比照片。"},
        "targets": [{"type": "question", "id": question_id}],
        "description": "该问题未经许可使用了本人的照片。",
        "good_faith": True, "accurate": True, "signature": "周敏"})
    assert notice.status_code == 201, notice.text
    assert notice.headers["cache-control"] == "no-store"  # it carries the case token
    case_id, token = notice.json()["case_id"], notice.json()["access_token"]
    case = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token})
    assert case.status_code == 200
    assert_hardened(case)
    assert case.headers["cache-control"] == "no-store"
    # Without the token the case does not exist, and that answer is not stored either.
    hidden = client.get(f"/v1/notices/{case_id}")
    assert hidden.status_code == 404 and hidden.headers["cache-control"] == "no-store"


def test_an_unexpected_failure_is_hardened_too() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("数据库连接断开")

    app = SecuredStarlette(routes=[Route("/broken", broken)], exception_handlers=dict(EXCEPTION_HANDLERS))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/broken")
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert "数据库" not in r.text
    assert_hardened(r)
    assert r.headers["cache-control"] == "no-store"


def test_cross_origin_reads_are_refused_by_default(client: TestClient) -> None:
    r = client.get("/v1/diaries", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    # No CORS middleware: a preflight is a method this path does not have.
    preflight = client.options("/v1/diaries", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405 and preflight.headers["content-type"] == PROBLEM
    assert "access-control-allow-origin" not in preflight.headers


def test_an_allowed_origin_may_call_the_api_and_others_may_not(make_client: AppFactory) -> None:
    with make_client(cors_origins=("https://m.meiji.example",)) as client:
        member = sign_up(client)
        preflight = client.options("/v1/questions", headers={
            "Origin": "https://m.meiji.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://m.meiji.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in preflight.headers

        r = client.post("/v1/questions", headers={**member.headers, "Origin": "https://m.meiji.example"},
                        json={"title": "鼻综合能维持多少年？", "body": "<p>想了解一下材料。</p>", "anonymous": False})
        assert r.status_code == 201
        assert r.headers["access-control-allow-origin"] == "https://m.meiji.example"
        assert "etag" in r.headers["access-control-expose-headers"].lower()

        # Another site's page is refused, in problem+json, and reads nothing through the browser.
        refused = client.options("/v1/questions", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert refused.status_code == 400 and refused.headers["content-type"] == PROBLEM
        assert "MEIJI_CORS_ORIGINS" in refused.json()["detail"]
        assert_hardened(refused)
        other = client.get("/v1/questions", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_only_trusted_hosts_are_answered(make_client: AppFactory) -> None:
    with make_client(trusted_hosts=("api.meiji.example", "*.meiji.cn")) as client:
        assert client.get("http://api.meiji.example/healthz").status_code == 200
        assert client.get("http://m.meiji.cn/healthz").status_code == 200
        for host in ("evil.example", "meiji.example", "www.api.meiji.example"):
            r = client.get(f"http://{host}/v1/diaries", follow_redirects=False)
            assert r.status_code == 400 and r.headers["content-type"] == PROBLEM, host
            assert "Host" in r.json()["detail"]
            assert "location" not in r.headers
            assert_hardened(r)


def test_any_host_is_answered_by_default(client: TestClient) -> None:
    assert client.get("http://anything.example/healthz").status_code == 200


def test_cors_and_host_settings_are_read_and_checked() -> None:
    settings = load({"MEIJI_CORS_ORIGINS": "https://m.meiji.example, http://localhost:5173",
                     "MEIJI_TRUSTED_HOSTS": "api.meiji.example,*.meiji.cn"})
    assert settings.cors_origins == ("https://m.meiji.example", "http://localhost:5173")
    assert settings.trusted_hosts == ("api.meiji.example", "*.meiji.cn")
    defaults = load({})
    assert defaults.cors_origins == () and defaults.trusted_hosts == ("*",)
    for name, value in (("MEIJI_CORS_ORIGINS", "m.meiji.example"), ("MEIJI_CORS_ORIGINS", "https://a.example/app"),
                        ("MEIJI_TRUSTED_HOSTS", "api.*.example"), ("MEIJI_TRUSTED_HOSTS", "https://api.example")):
        with pytest.raises(SettingsError, match=name):
            load({name: value})
