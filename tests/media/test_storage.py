"""The Storage contract, on memory, a local directory and a real SeaweedFS that checks signatures."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from starlette.testclient import TestClient

from media.interfaces import Storage, StorageError
from media.s3 import S3Storage
from media.storage import LocalStorage, MemoryStorage
from tests.conftest import AppFactory, sign_up
from tests.media.conftest import SEAWEED_KEY, fresh_prefix, jpeg, use_credentials
from tests.media.helpers import call, fetch, post_image, rows, service, stored_keys
from tests.servers import S3Server

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


@pytest.fixture(params=["memory", "local", pytest.param("seaweedfs", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    server: S3Server = request.getfixturevalue("seaweed")
    bucket: str = request.getfixturevalue("seaweed_bucket")
    use_credentials(monkeypatch, SEAWEED_KEY)
    return S3Storage(bucket=bucket, prefix=fresh_prefix(), endpoint=server.endpoint, region="us-east-1")


def test_put_get_stream_exists_delete(storage: Storage) -> None:
    async def scenario() -> None:
        await storage.put("abc/large.webp", b"RIFF" + b"x" * 200_000, "image/webp")
        assert await storage.exists("abc/large.webp")
        assert await storage.get("abc/large.webp") == b"RIFF" + b"x" * 200_000
        assert b"".join([c async for c in storage.stream("abc/large.webp")]) == b"RIFF" + b"x" * 200_000
        await storage.put("abc/large.webp", b"RIFF2", "image/webp")
        assert await storage.get("abc/large.webp") == b"RIFF2"
        await storage.delete("abc/large.webp")
        await storage.delete("abc/large.webp")
        assert not await storage.exists("abc/large.webp")
        with pytest.raises(FileNotFoundError):
            await storage.get("abc/large.webp")
        await storage.ping()

    run(scenario)


def test_keys_lists_objects_with_recent_modification_times(storage: Storage) -> None:
    async def scenario() -> list[tuple[str, float]]:
        for key in ("aa/thumb.webp", "aa/large.webp", "bb/thumb.webp"):
            await storage.put(key, b"RIFF", "image/webp")
        return sorted([item async for item in storage.keys()])

    listed = run(scenario)

    assert [k for k, _ in listed] == ["aa/large.webp", "aa/thumb.webp", "bb/thumb.webp"]
    assert all(abs(mtime - time.time()) < 300 for _, mtime in listed)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/key", "a/../../b", "UPPER/x.webp", "a b/c", ""])
def test_keys_that_could_escape_are_refused(tmp_path: Path, key: str) -> None:
    local = LocalStorage(tmp_path / "objects")

    with pytest.raises(ValueError):
        run(lambda: local.put(key, b"x", "image/webp"))


@pytest.mark.s3
def test_presigned_urls_work_only_as_signed(seaweed: S3Server, seaweed_bucket: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, SEAWEED_KEY)
    s3 = S3Storage(bucket=seaweed_bucket, prefix=fresh_prefix(), endpoint=seaweed.endpoint, region="us-east-1",
                   presign_seconds=600)
    run(lambda: s3.put("k1/thumb.webp", b"RIFF-signed", "image/webp"))

    url = run(lambda: s3.url("k1/thumb.webp"))
    assert url is not None and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"RIFF-signed"
        assert answer.headers["Content-Type"] == "image/webp"
    tampered = url.replace("k1/thumb.webp", "k1/large.webp")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    refused.value.close()
    assert refused.value.code == 403
    # The same URL is reused while it has most of its life ahead: pages stay cacheable.
    assert run(lambda: s3.url("k1/thumb.webp")) == url


@pytest.mark.s3
def test_wrong_credentials_are_a_storage_error(seaweed: S3Server, seaweed_bucket: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, (SEAWEED_KEY[0], "not-the-secret"))
    s3 = S3Storage(bucket=seaweed_bucket, prefix=fresh_prefix(), endpoint=seaweed.endpoint, region="us-east-1")

    with pytest.raises(StorageError):
        run(lambda: s3.put("k2/thumb.webp", b"RIFF", "image/webp"))
    with pytest.raises(StorageError):
        run(s3.ping)


def test_a_cdn_base_url_replaces_presigning() -> None:
    s3 = S3Storage(bucket="meiji-media", prefix="media", endpoint="http://127.0.0.1:9", region="us-east-1",
                   cdn_url="https://img.example.cn/")

    assert run(lambda: s3.url("k3/medium.webp")) == "https://img.example.cn/media/k3/medium.webp"


@pytest.mark.s3
def test_the_upload_lifecycle_on_seaweedfs(make_client: AppFactory, seaweed: S3Server, seaweed_bucket: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, SEAWEED_KEY)
    url = f"s3://{seaweed_bucket}/{fresh_prefix()}?endpoint={seaweed.endpoint}&region=us-east-1"
    with make_client(storage_url=url) as c:
        member = sign_up(c)
        r = post_image(c, member, jpeg(2000, 1500))
        assert r.status_code == 201, r.text
        media_id = r.json()["id"]
        for variant in r.json()["variants"].values():
            status, headers, _ = fetch(c, variant["url"], member.headers)
            assert status == 200 and headers["content-type"] == "image/webp"
        assert c.get("/readyz").json()["checks"]["storage"] == "ok"
        call(c, service(c).attach, "diary:1", [media_id], owner_id=int(member.id))
        call(c, service(c).release, "diary:1")

        assert call(c, service(c).sweep) == 1
        assert stored_keys(c) == set() and rows(c) == []


def test_readyz_reports_local_storage(client: TestClient) -> None:
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"
