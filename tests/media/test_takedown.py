"""Taken-down photos: no URL handed out before a takedown serves again, from the app or the bucket; the
CDN is told; a restore publishes under new URLs; authors and moderators still see every photo of
their post, through URLs only they open; strangers see none of it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from starlette.testclient import TestClient

from kernel.clock import clock
from media.interfaces import StorageError
from media.models import DeadCopy, Upload
from tests.conftest import AppFactory, Member, sign_up
from tests.media.conftest import SEAWEED_KEY, fresh_prefix, jpeg, use_credentials
from tests.media.helpers import call, fetch, post_image, service, stored_keys
from tests.servers import S3Server

DAY = 24 * 3600
GONE = (403, 404)  # a bucket answers 403 or 404 for a key that is not there, depending on the caller's rights


@pytest.fixture(autouse=True)
def restore_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "offset", clock.offset)


class PurgeHook:
    """The operator's purge endpoint, as a tiny HTTP server that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[list[str]] = []
        self.failing = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if hook.failing:
                    self.send_response(502)
                else:
                    hook.received.append(list(body["urls"]))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/purge"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def urls(self) -> set[str]:
        return {url for batch in self.received for url in batch}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[PurgeHook]:
    server = PurgeHook()
    yield server
    server.close()


def seaweed_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    server: S3Server = request.getfixturevalue("seaweed")
    bucket: str = request.getfixturevalue("seaweed_bucket")
    use_credentials(monkeypatch, SEAWEED_KEY)
    return f"s3://{bucket}/{fresh_prefix()}?endpoint={server.endpoint}&region=us-east-1"


@pytest.fixture(params=["local", pytest.param("seaweedfs", marks=pytest.mark.s3)])
def site(request: pytest.FixtureRequest, make_client: AppFactory, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The service on the local directory backend (served by the app) and on a real SeaweedFS
    (presigned URLs); one report hides a post, as three do by default."""
    url = (tmp_path / "media").as_uri() if request.param == "local" else seaweed_url(request, monkeypatch)
    with make_client(storage_url=url, autohide_reports=1) as c:
        yield c


# --- the journey's steps, through the API ---------------------------------------------------------

def procedure(client: TestClient) -> str:
    editor = sign_up(client, role="editor")
    r = client.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮", "aliases": ["重睑术"]},
                    headers=editor.headers)
    assert r.status_code == 201, r.text
    return "shuang-yan-pi"


def photo(client: TestClient, member: Member, shade: int = 0) -> str:
    r = post_image(client, member, jpeg(1600, 1200, color=(200 - shade, 150, 120 + shade)))
    assert r.status_code == 201, r.text
    media_id: str = r.json()["id"]
    return media_id


def diary(client: TestClient, member: Member, slug: str, before: list[str], *, anonymous: bool = False) -> str:
    r = client.post("/v1/diaries", json={"title": "全切双眼皮恢复日记", "procedure": slug, "operated_on": "2026-10-01",
                                         "anonymous": anonymous, "before_media_ids": before}, headers=member.headers)
    assert r.status_code == 201, r.text
    diary_id: str = r.json()["id"]
    return diary_id


def entry(client: TestClient, member: Member, diary_id: str, media: list[str]) -> str:
    r = client.post(f"/v1/diaries/{diary_id}/entries",
                    json={"body": "<p>术后第七天拆线，肿胀消了一大半，眼睛终于睁得开了。</p>",
                          "happened_on": "2026-10-08", "media_ids": media}, headers=member.headers)
    assert r.status_code == 201, r.text
    entry_id: str = r.json()["id"]
    return entry_id


def report(client: TestClient, reporter: Member, target_type: str, target_id: str) -> None:
    r = client.post("/v1/reports", json={"target_type": target_type, "target_id": target_id, "reason": "privacy",
                                         "detail": "这是我本人的照片，没有经过我的同意就被发出来了。"},
                    headers=reporter.headers)
    assert r.status_code in (200, 201), r.text


def queue_item(client: TestClient, moderator: Member, target_type: str, target_id: str) -> dict[str, Any]:
    r = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers)
    assert r.status_code == 200, r.text
    found = [i for i in r.json()["items"] if (i["target"]["type"], i["target"]["id"]) == (target_type, target_id)]
    assert found, r.text
    item: dict[str, Any] = found[-1]
    return item


def decide(client: TestClient, moderator: Member, item_id: str, action: str) -> None:
    assert client.post(f"/v1/moderation/queue/{item_id}/claim", headers=moderator.headers).status_code == 200
    r = client.post(f"/v1/moderation/queue/{item_id}/decisions",
                    json={"action": action, "reason": "核实后处理"}, headers=moderator.headers)
    assert r.status_code == 200, r.text


def photos_of(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """The photos a diary answer shows: ``before`` and ``after``."""
    return [*shown["before"], *shown["after"]]


def urls_of(photos: list[dict[str, Any]]) -> list[str]:
    return [variant["url"] for p in photos for variant in p["variants"].values()]


# --- the journeys -------------------------------------------------------------------------------

def test_a_hidden_diarys_photos_die_at_every_old_url_and_come_back_under_new_ones(site: TestClient) -> None:
    author, reader, reporter = sign_up(site), sign_up(site), sign_up(site)
    moderator = sign_up(site, role="moderator")
    slug = procedure(site)
    before, during = photo(site, author), photo(site, author, 40)
    diary_id = diary(site, author, slug, [before])
    entry(site, author, diary_id, [during])
    shown = site.get(f"/v1/diaries/{diary_id}", headers=reader.headers).json()
    old = urls_of(photos_of(shown))
    assert [p["id"] for p in photos_of(shown)] == [before, during] and len(old) == 6
    for url in old:
        status, headers, _ = fetch(site, url)
        assert status == 200
        # Cached for minutes, never "immutable": a takedown must be able to end it.
        assert headers["cache-control"] == "public, max-age=300"

    report(site, reporter, "diary", diary_id)

    # The report's answer is back: every URL handed out before is dead, at the app and at the bucket.
    for url in old:
        assert fetch(site, url)[0] in GONE, url
    assert site.get(f"/v1/diaries/{diary_id}", headers=reader.headers).status_code == 404
    assert site.get(f"/v1/media/{before}", headers=reader.headers).status_code == 404
    assert not any(key.startswith("public/") for key in stored_keys(site))
    # Its author and moderators still see every photo, through URLs that open only to them.
    for viewer in (author, moderator):
        seen = site.get(f"/v1/diaries/{diary_id}", headers=viewer.headers).json()
        assert seen["status"] == "hidden" and [p["id"] for p in photos_of(seen)] == [before, during]
        entries = site.get(f"/v1/diaries/{diary_id}/entries", headers=viewer.headers).json()["items"]
        assert [p["id"] for p in entries[0]["media"]] == [during]
        private = urls_of(photos_of(seen)) + urls_of(entries[0]["media"])
        for url in private:
            assert "/v1/media/" in url
            status, headers, _ = fetch(site, url, viewer.headers)
            assert status == 200 and headers["cache-control"] == "private, no-store"
            assert fetch(site, url, reader.headers)[0] == 404
            assert fetch(site, url)[0] == 404
    # The queue item shows the moderator what is judged: the diary's photos and its entries'.
    item = queue_item(site, moderator, "diary", diary_id)
    assert [p["id"] for p in item["target"]["media"]] == [before, during]
    assert all(fetch(site, url, moderator.headers)[0] == 200 for url in urls_of(item["target"]["media"]))

    decide(site, moderator, item["id"], "keep")

    again = site.get(f"/v1/diaries/{diary_id}", headers=reader.headers).json()
    new = urls_of(photos_of(again))
    assert [p["id"] for p in photos_of(again)] == [before, during]
    assert not set(new) & set(old)
    assert all(fetch(site, url)[0] == 200 for url in new)
    assert all(fetch(site, url)[0] in GONE for url in old)

    assert site.delete(f"/v1/diaries/{diary_id}", headers=author.headers).status_code == 204

    assert all(fetch(site, url)[0] in GONE for url in new)


def test_strangers_see_no_photo_of_a_hidden_review_its_author_and_moderators_see_them_all(
        client: TestClient) -> None:
    author, reader, moderator = sign_up(client), sign_up(client), sign_up(client, role="moderator")
    editor = sign_up(client, role="editor")
    slug = procedure(client)
    clinic = client.post("/v1/clinics", json={"name": "成都华美整形医院", "city": "成都",
                                              "license_no": "PDY00001X510100"}, headers=editor.headers).json()
    picture = photo(client, author)
    r = client.post("/v1/reviews", json={"target_type": "clinic", "target_id": clinic["id"], "procedure": slug,
                                         "rating": 2, "body": "<p>术后两个月还是一大一小，医院说再等等。</p>",
                                         "media_ids": [picture], "anonymous": True}, headers=author.headers)
    assert r.status_code == 201, r.text
    review_id = r.json()["id"]
    public_urls = urls_of(r.json()["media"])
    assert all(fetch(client, url)[0] == 200 for url in public_urls)
    for _ in range(3):
        report(client, sign_up(client), "review", review_id)

    assert client.get(f"/v1/reviews/{review_id}", headers=reader.headers).status_code == 404
    assert review_id not in [x["id"] for x in client.get("/v1/reviews", headers=reader.headers).json()["items"]]
    assert all(fetch(client, url)[0] == 404 for url in public_urls)
    for viewer in (author, moderator):
        seen = client.get(f"/v1/reviews/{review_id}", headers=viewer.headers).json()
        assert [p["id"] for p in seen["media"]] == [picture]
        assert all(fetch(client, url, viewer.headers)[0] == 200 for url in urls_of(seen["media"]))
        assert all(fetch(client, url, reader.headers)[0] == 404 for url in urls_of(seen["media"]))
    # The queue shows the anonymous review's photo to moderators only.
    item = queue_item(client, moderator, "review", review_id)
    assert [p["id"] for p in item["target"]["media"]] == [picture]
    assert client.get("/v1/moderation/queue", headers=reader.headers).status_code == 403

    decide(client, moderator, item["id"], "remove")

    assert client.get(f"/v1/reviews/{review_id}", headers=reader.headers).status_code in (410, 451)
    assert client.get(f"/v1/media/{picture}", headers=reader.headers).status_code == 404
    for viewer in (author, moderator):
        seen = client.get(f"/v1/reviews/{review_id}", headers=viewer.headers).json()
        assert seen["status"] == "removed" and [p["id"] for p in seen["media"]] == [picture]
        assert all(fetch(client, url, viewer.headers)[0] == 200 for url in urls_of(seen["media"]))


def test_an_unattached_upload_is_its_uploaders_alone_and_only_they_see_its_digest(client: TestClient) -> None:
    author, stranger, moderator = sign_up(client), sign_up(client), sign_up(client, role="moderator")
    slug = procedure(client)
    original = jpeg(1600, 1200, color=(180, 120, 110))
    first = post_image(client, author, original).json()
    second = post_image(client, author, original).json()
    large = fetch(client, first["variants"]["large"]["url"], author.headers)[2]

    # What the uploader is told is derived from the stored, stripped variant, never the original file.
    assert (first["bytes"], first["sha256"]) == (len(large), hashlib.sha256(large).hexdigest())
    assert first["sha256"] != hashlib.sha256(original).hexdigest()
    for reader in ({}, stranger.headers):
        assert client.get(f"/v1/media/{first['id']}", headers=reader).status_code == 404
        assert all(fetch(client, v["url"], reader)[0] == 404 for v in first["variants"].values())
    seen = client.get(f"/v1/media/{first['id']}", headers=moderator.headers).json()
    assert "sha256" not in seen and "bytes" not in seen

    # The same photo in an anonymous diary and a named one: nothing in what others see links them.
    diary(client, author, slug, [first["id"]], anonymous=True)
    diary(client, author, slug, [second["id"]])

    views = [client.get(f"/v1/media/{m['id']}", headers=stranger.headers) for m in (first, second)]
    assert [v.status_code for v in views] == [200, 200]
    for view in views:
        assert "sha256" not in view.json() and "bytes" not in view.json() and "status" not in view.json()
        assert all(fetch(client, v["url"])[0] == 200 for v in view.json()["variants"].values())
    mine = client.get(f"/v1/media/{first['id']}", headers=author.headers).json()
    assert mine["sha256"] == first["sha256"]


def test_an_upload_made_before_variant_digests_were_kept_gets_its_digest_from_storage(client: TestClient) -> None:
    author = sign_up(client)
    body = post_image(client, author, jpeg(1200, 900)).json()
    large = fetch(client, body["variants"]["large"]["url"], author.headers)[2]

    async def forget() -> None:
        row = await Upload.get(id=body["id"])
        row.variants["large"].pop("sha256")
        await Upload.filter(id=row.id).update(variants=row.variants, sha256="0" * 64, bytes=9_999_999)

    call(client, forget)

    again = client.get(f"/v1/media/{body['id']}", headers=author.headers).json()
    assert (again["bytes"], again["sha256"]) == (len(large), hashlib.sha256(large).hexdigest())


@pytest.mark.s3
def test_the_cdn_is_told_which_urls_died_and_the_bucket_no_longer_has_them(
        request: pytest.FixtureRequest, make_client: AppFactory, monkeypatch: pytest.MonkeyPatch,
        hook: PurgeHook) -> None:
    storage_url = seaweed_url(request, monkeypatch)
    server: S3Server = request.getfixturevalue("seaweed")
    bucket, prefix = urlsplit(storage_url).netloc, urlsplit(storage_url).path.strip("/")
    with make_client(storage_url=storage_url, cdn_url="https://img.meiji.example", cdn_purge_url=hook.url,
                     autohide_reports=1) as c:
        author, reader, reporter = sign_up(c), sign_up(c), sign_up(c)
        diary_id = diary(c, author, procedure(c), [photo(c, author)])
        old = urls_of(photos_of(c.get(f"/v1/diaries/{diary_id}", headers=reader.headers).json()))
        assert all(url.startswith("https://img.meiji.example/") and "/public/" in url for url in old)
        # The CDN's origin is the bucket: the same path there, fetched with a real S3 client.
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=SEAWEED_KEY[0], aws_secret_access_key=SEAWEED_KEY[1],
                          config=Config(s3={"addressing_style": "path"}))
        origin = [url.removeprefix("https://img.meiji.example/") for url in old]
        for key in origin:
            head = s3.head_object(Bucket=bucket, Key=key)
            assert head["CacheControl"] == "public, max-age=300"
        kept = [key for key in stored_keys(c) if not key.startswith("public/")]
        assert len(kept) == 3
        for key in kept:
            assert s3.head_object(Bucket=bucket, Key=f"{prefix}/{key}")["CacheControl"] == "private, no-store"

        report(c, reporter, "diary", diary_id)

        for key in origin:
            with pytest.raises(ClientError) as missing:
                s3.get_object(Bucket=bucket, Key=key)
            assert missing.value.response["Error"]["Code"] in ("NoSuchKey", "404")
        call(c, service(c).clear_dead)
        assert hook.urls() == set(old)
        assert call(c, DeadCopy.all().count) == 0
        s3.close()


def test_a_failing_purge_hook_never_holds_up_a_takedown_and_is_retried(
        make_client: AppFactory, tmp_path: Path, hook: PurgeHook) -> None:
    hook.failing = True
    with make_client(storage_url=(tmp_path / "media").as_uri(), cdn_purge_url=hook.url, autohide_reports=1) as c:
        author, reader, reporter = sign_up(c), sign_up(c), sign_up(c)
        diary_id = diary(c, author, procedure(c), [photo(c, author)])
        old = urls_of(photos_of(c.get(f"/v1/diaries/{diary_id}", headers=reader.headers).json()))

        report(c, reporter, "diary", diary_id)

        assert all(fetch(c, url)[0] == 404 for url in old)
        assert call(c, service(c).clear_dead) == 0
        assert call(c, DeadCopy.all().count) == 1 and hook.received == []

        hook.failing = False
        call(c, service(c).sweep)

        # A CDN in front of the app caches the app's own file URLs: those are purged.
        assert hook.urls() == set(old)
        assert call(c, DeadCopy.all().count) == 0


def test_public_copies_the_storage_failed_to_delete_are_deleted_by_the_sweeper(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    author, reader = sign_up(client), sign_up(client)
    svc = service(client)
    media_id = photo(client, author)
    call(client, svc.attach, "diary:7", [media_id], owner_id=int(author.id))
    url = call(client, svc.views, [media_id])[media_id].variants["thumb"].url
    real_delete = svc.storage.delete

    async def refuse(key: str) -> None:
        raise StorageError("the storage is down")

    monkeypatch.setattr(svc.storage, "delete", refuse)
    call(client, svc.set_visible, "diary:7", False)

    # Serving stopped with the call all the same; the copies wait for the sweeper.
    assert fetch(client, url)[0] == 404
    assert client.get(f"/v1/media/{media_id}", headers=reader.headers).status_code == 404
    assert sum(key.startswith("public/") for key in stored_keys(client)) == 3
    monkeypatch.setattr(svc.storage, "delete", real_delete)

    call(client, svc.sweep)

    assert not any(key.startswith("public/") for key in stored_keys(client))
    assert call(client, DeadCopy.all().count) == 0


def test_the_sweeper_publishes_what_a_failed_copy_left_unpublished_and_drops_stale_copies(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    author = sign_up(client)
    svc = service(client)
    media_id = photo(client, author)
    real_copy = svc.storage.copy

    async def refuse(source: str, target: str, cache_control: str) -> None:
        raise StorageError("the storage is down")

    monkeypatch.setattr(svc.storage, "copy", refuse)
    call(client, svc.attach, "diary:8", [media_id], owner_id=int(author.id))
    assert call(client, svc.views, [media_id]) == {}
    assert client.get(f"/v1/media/{media_id}").status_code == 404
    monkeypatch.setattr(svc.storage, "copy", real_copy)
    stale = f"public/{media_id}/abandonedtoken/thumb.webp"
    call(client, svc.storage.put, stale, b"RIFF-left-over", "image/webp")

    call(client, svc.sweep)

    assert media_id in call(client, svc.views, [media_id])
    assert client.get(f"/v1/media/{media_id}").status_code == 200
    assert stale in stored_keys(client)  # younger than the TTL: it could be a publication in flight
    clock.advance(seconds=DAY + 60)
    svc.reconciled_at = None

    call(client, svc.sweep)

    assert stale not in stored_keys(client)
    assert sum(key.startswith("public/") for key in stored_keys(client)) == 3
    assert client.get(f"/v1/media/{media_id}").status_code == 200


def test_purges_are_sent_in_batches_a_cdn_accepts(make_client: AppFactory, tmp_path: Path, hook: PurgeHook,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import media.services

    monkeypatch.setattr(media.services, "PURGE_BATCH", 2)
    with make_client(storage_url=(tmp_path / "media").as_uri(), cdn_purge_url=hook.url, autohide_reports=1) as c:
        author, reader, reporter = sign_up(c), sign_up(c), sign_up(c)
        diary_id = diary(c, author, procedure(c), [photo(c, author), photo(c, author, 30)])
        old = urls_of(photos_of(c.get(f"/v1/diaries/{diary_id}", headers=reader.headers).json()))

        report(c, reporter, "diary", diary_id)
        call(c, service(c).clear_dead)

        assert hook.urls() == set(old) and len(old) == 6
        assert all(len(batch) <= 2 for batch in hook.received)
