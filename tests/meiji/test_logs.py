"""No password, token, case token, phone number, email address or GPS coordinate reaches the logs.

One journey drives every kind of secret through the API (sign-up, sign-in, a wrong password, a
stale token, contact details in a post and in a legal notice, a case token, a photo with GPS EXIF,
bodies the API refuses, sign-out, account deletion), once at the production level (info) and once
at debug. At debug the SQL loggers print statements with their values by design (the README says
``debug`` is never for production): they are left out of the debug check, every other logger is in.
The whole suite's logs are checked as well, at the end of the session (``tests/conftest.py``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.conftest import AppFactory

PASSWORD = "我的长密码-绝不进日志-2026"
PHONE, PHONE_DIGITS = "+86 139-8765-4321", "13987654321"
EMAIL = "wang.fang.legal@example.cn"
AUTHOR_PHONE = "13600001111"
# Where the photo was taken: 上海人民广场, in degrees, minutes and seconds with distinctive decimals.
LATITUDE, LONGITUDE = (31.0, 13.0, 51.234), (121.0, 28.0, 29.876)
GPS_TRACES = ("51.234", "29.876", "31.2309", "121.4749", "(31.0, 13.0", "(121.0, 28.0")

# Statements with their values, by design at debug only.
SQL_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")
# The test's own HTTP client logs the URLs it requests: that is the caller's log, not the service's.
CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore")


class Captured(logging.Handler):
    """Every record, formatted as a log file would hold it (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append((record.name, self.format(record)))


@contextmanager
def captured(level: int) -> Iterator[Captured]:
    root = logging.getLogger()
    handler, before = Captured(), root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield handler
    finally:
        root.setLevel(before)
        root.removeHandler(handler)


def gps_photo() -> bytes:
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", LATITUDE, "E", LONGITUDE
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 170, 150)).save(buffer, "JPEG", exif=exif.tobytes(), quality=85)
    return buffer.getvalue()


def journey(client: TestClient) -> list[str]:
    """Every kind of secret through the API; answers the secrets the service handed out."""
    handle = "王芳想做鼻综合"
    assert client.post("/v1/accounts", json={"handle": handle, "password": PASSWORD,
                                             "birth_date": "1995-03-08"}).status_code == 201
    assert client.post("/v1/sessions", json={"handle": handle, "password": PASSWORD + "错"}).status_code == 401
    signed_in = client.post("/v1/sessions", json={"handle": handle, "password": PASSWORD})
    assert signed_in.status_code == 201
    token = signed_in.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    # Bodies the API refuses still carry the password: the refusal must not echo it anywhere.
    assert client.post("/v1/sessions", content=f'{{"handle": "{handle}", "password": "{PASSWORD}"',
                       headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/v1/sessions", json={"handle": handle, "password": PASSWORD, "phone": PHONE}
                       ).status_code == 422

    question = client.post("/v1/questions", headers=auth, json={
        "title": "鼻综合修复找谁做比较好？",
        "body": f"<p>有做过的姐妹可以联系我 {AUTHOR_PHONE}，或者发邮件到 {EMAIL}。</p>", "anonymous": True})
    assert question.status_code == 201, question.text
    question_id = question.json()["id"]
    assert client.get("/v1/search", params={"q": PHONE_DIGITS}).status_code == 200

    photo = client.post("/v1/media", headers=auth, data={"purpose": "post"},
                        files={"file": ("IMG_2046.jpg", gps_photo(), "image/jpeg")})
    assert photo.status_code == 201, photo.text

    notice = client.post("/v1/notices", json={
        "notice_type": "privacy",
        "claimant": {"name": "王芳", "email": EMAIL, "phone": PHONE, "address": "上海市黄浦区人民大道 200 号"},
        "work": {"description": "帖子里公开了我的手机号和邮箱。"},
        "targets": [{"type": "question", "id": question_id}],
        "description": "请删除帖子中我的个人联系方式。",
        "good_faith": True, "accurate": True, "signature": "王芳"})
    assert notice.status_code == 201, notice.text
    case_id, case_token = notice.json()["case_id"], notice.json()["access_token"]
    assert client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": case_token}).status_code == 200
    assert client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": case_token[::-1]}).status_code == 404

    assert client.request("DELETE", "/v1/me", headers=auth,
                          json={"password": PASSWORD + "错", "content": "anonymize"}).status_code in (401, 403, 422)
    assert client.delete("/v1/sessions/current", headers=auth).status_code == 204
    assert client.get("/v1/me", headers=auth).status_code == 401
    return [token, case_token]


def leaks(lines: list[tuple[str, str]], secrets: list[str]) -> list[str]:
    needles = [PASSWORD, PHONE, PHONE_DIGITS, "139-8765-4321", AUTHOR_PHONE, EMAIL, *GPS_TRACES, *secrets]
    return [f"{needle!r} in: {line}" for _, line in lines for needle in needles if needle in line]


def test_the_info_logs_hold_no_secret(client: TestClient) -> None:
    with captured(logging.INFO) as logs:
        secrets = journey(client)
    assert not leaks(logs.lines, secrets)
    # The access log did see the journey: an empty capture would prove nothing.
    access = [line for name, line in logs.lines if name == "meiji.access"]
    assert any("POST /v1/sessions 401" in line for line in access)
    assert any("GET /v1/notices/{case_id} 404" in line for line in access)


@pytest.mark.parametrize("storage", ["memory", pytest.param("s3", marks=pytest.mark.s3)])
def test_the_debug_logs_hold_no_secret_outside_sql(make_client: AppFactory, storage: str,
                                                   request: pytest.FixtureRequest,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    storage_url, secrets = "memory://", []
    if storage == "s3":  # botocore's debug log sees every request to the bucket
        from tests.media.conftest import MOTO_KEY, make_bucket, use_credentials
        from tests.servers import S3Server

        server: S3Server = request.getfixturevalue("s3_server")
        use_credentials(monkeypatch, MOTO_KEY)
        storage_url = f"s3://{make_bucket(server.endpoint, MOTO_KEY)}?endpoint={server.endpoint}&region=us-east-1"
        secrets.append(MOTO_KEY[1])
    with make_client(storage_url=storage_url, log_level="debug") as client, captured(logging.DEBUG) as logs:
        secrets += journey(client)
    sql = [line for name, line in logs.lines if name.startswith(SQL_LOGGERS)]
    outside_sql = [(name, line) for name, line in logs.lines if not name.startswith(SQL_LOGGERS)]
    assert not leaks(outside_sql, secrets)
    # Debug was on (statements were logged) and the journey went through the service.
    assert sql and any(name == "meiji.access" for name, _ in outside_sql)


def test_the_session_scan_finds_every_kind_of_secret() -> None:
    from tests import logscan

    leaked = [
        "INFO meiji.access POST /v1/sessions 201 3.2ms token=15O-yDtoHa81FD1hXpgJUUBal66DB2wQhxnhuFfSD2k",
        "WARNING meiji.auth header was Bearer abcdefgh12345678",
        "ERROR meiji.errors input_value={'handle': '小美', 'password': '换成你自己的长密码'}",
        "INFO meiji.moderation notice from 13912345678",
        "INFO meiji.moderation notice from +86 139-1234-5678",
        "INFO meiji.moderation claimant lin.xiaowen@example.cn",
        "DEBUG PIL.TiffImagePlugin Tag 2, Type: 5, Value: (31.0, 13.0, 51.234)",
        "INFO meiji.media taken at 31.230416, 121.473701",
        "INFO meiji.accounts signed in with 美记-test-password",
    ]
    passwords = logscan.suite_passwords(Path(__file__).resolve().parents[2])
    assert "美记-test-password" in passwords and PASSWORD in passwords
    assert len(logscan.findings("\n".join(leaked), passwords)) == len(leaked)
    clean = ["INFO meiji.access GET /v1/notices/{case_id} 404 1.5ms", "INFO meiji.access POST /v1/media 201 120.2ms",
             "WARNING meiji readiness check storage failed: NoCredentialsError",
             "INFO meiji.media deleted 3 objects of 1234567, which has no upload row"]
    assert logscan.findings("\n".join(clean), passwords) == []
