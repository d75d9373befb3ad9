"""S3 stops mid-upload and while serving: uploads answer 503 naming the storage, no upload row is left
without its objects, the rest of the API answers, and uploads work again as soon as S3 is back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from starlette.testclient import TestClient

from kernel.clock import clock
from media.models import Upload
from tests.conftest import AppFactory, Member, photo_bytes, sign_up
from tests.faults.switch import Switch, switch
from tests.media.conftest import MOTO_KEY, make_bucket, use_credentials
from tests.media.helpers import call, service
from tests.servers import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.s3]


@pytest.fixture
def relay(s3_server: S3Server) -> Iterator[Switch]:
    with switch(int(s3_server.endpoint.rsplit(":", 1)[1])) as cut:
        yield cut


def bucket_keys(s3_server: S3Server, bucket: str) -> set[str]:
    """The bucket as a plain boto3 client lists it, straight from the server (not through the relay)."""
    s3 = boto3.client("s3", endpoint_url=s3_server.endpoint, region_name="us-east-1", aws_access_key_id=MOTO_KEY[0],
                      aws_secret_access_key=MOTO_KEY[1], config=Config(s3={"addressing_style": "path"}))
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}
    finally:
        s3.close()


def upload(client: TestClient, member: Member, shade: int = 0) -> Any:
    return client.post("/v1/media", files={"file": ("术后第三天.jpg", photo_bytes(900, 700, (210, 170, 150 + shade)),
                                                    "image/jpeg")}, headers=member.headers)


def assert_storage_unavailable(r: Any) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "storage" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0


def rows_without_objects(client: TestClient, keys: set[str]) -> list[str]:
    rows = call(client, Upload.all)
    return [row.id for row in rows if not {str(v["key"]) for v in row.variants.values()} <= keys]


def test_uploads_fail_cleanly_while_s3_is_down_the_rest_answers_and_they_work_again_when_it_returns(
        make_client: AppFactory, relay: Switch, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, MOTO_KEY)
    monkeypatch.setattr(clock, "offset", clock.offset)
    bucket = make_bucket(s3_server.endpoint, MOTO_KEY)
    with make_client(storage_url=f"s3://{bucket}?endpoint={relay.endpoint}&region=us-east-1") as client:
        editor = sign_up(client, role="editor")
        r = client.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮"}, headers=editor.headers)
        assert r.status_code == 201, r.text
        author, reader = sign_up(client), sign_up(client)
        r = upload(client, author)
        assert r.status_code == 201, r.text
        before = r.json()["id"]
        r = client.post("/v1/diaries", json={"title": "开眼角加双眼皮恢复日记", "procedure": "shuang-yan-pi",
                                             "operated_on": "2026-10-01", "anonymous": False,
                                             "before_media_ids": [before]}, headers=author.headers)
        assert r.status_code == 201, r.text
        diary = r.json()["id"]

        # S3 dies in the middle of an upload: the first variant's write reaches the bucket, the
        # others (and the clean-up of the first) do not.
        relay.allow(1)
        assert_storage_unavailable(upload(client, author, 1))
        relay.down()
        assert_storage_unavailable(upload(client, author, 2))
        # While it is down: the diary, its photo's URL, search, writing without photos all answer.
        r = client.get(f"/v1/diaries/{diary}", headers=reader.headers)
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["before"]] == [before]
        r = client.get("/v1/search", params={"q": "双眼皮"})
        assert r.status_code == 200, r.text
        r = client.post(f"/v1/diaries/{diary}/entries", json={"body": "<p>今天拆线了，医生说恢复得不错。</p>",
                                                              "happened_on": "2026-10-08"}, headers=author.headers)
        assert r.status_code == 201, r.text
        # Reading a photo through the app needs the bucket: 503 naming it, not 500.
        assert_storage_unavailable(client.get(f"/v1/media/{before}/variants/thumb", headers=author.headers))
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["storage"] == "unavailable"
        # Nothing half-made is recorded: the only upload row is the first one.
        assert [row.id for row in call(client, Upload.all)] == [before]

        # S3 is back: no restart, the next upload works and is served to everyone once attached.
        relay.up()
        r = upload(client, author, 3)
        assert r.status_code == 201, r.text
        after = r.json()["id"]
        r = client.post(f"/v1/diaries/{diary}/entries", json={"body": "<p>一个月了，基本看不出痕迹。</p>",
                                                              "happened_on": "2026-11-01", "media_ids": [after]},
                        headers=author.headers)
        assert r.status_code == 201, r.text
        r = client.get(f"/v1/diaries/{diary}", headers=reader.headers)
        assert [p["id"] for p in r.json()["after"]] == [after]
        assert client.get(f"/v1/media/{after}/variants/thumb", headers=author.headers).status_code == 200
        assert client.get("/readyz").status_code == 200

        # Every row has its objects; the variant the failed upload left has no row, and the sweeper
        # deletes it once it is older than the TTL.
        keys = bucket_keys(s3_server, bucket)
        assert rows_without_objects(client, keys) == []
        known = {row.id for row in call(client, Upload.all)}
        orphans = {key for key in keys if key.split("/")[0] not in known | {"public"}}
        assert orphans, "the cut should have left the first variant of the failed upload in the bucket"
        clock.advance(days=2)
        call(client, service(client).sweep)
        keys = bucket_keys(s3_server, bucket)
        assert {key.split("/")[1] if key.startswith("public/") else key.split("/")[0] for key in keys} == known
        assert rows_without_objects(client, keys) == []
