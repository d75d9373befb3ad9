"""A real S3 client's view of the bucket after a community's life: uploads, deletes, photos dropped from
posts, takedowns (hidden, removed, restored) and account deletion. Listed with plain boto3 on a
real SeaweedFS after the sweeper: every object has its upload row, every row its objects, and only
what is served has public copies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from kernel.clock import clock
from media.models import Upload
from tests.conftest import PASSWORD, AppFactory, sign_up
from tests.media.conftest import SEAWEED_KEY
from tests.media.helpers import call, fetch, service
from tests.media.test_takedown import (
    GONE,
    decide,
    diary,
    entry,
    photo,
    photos_of,
    procedure,
    queue_item,
    report,
    seaweed_url,
    urls_of,
)
from tests.servers import S3Server

pytestmark = [pytest.mark.s3, pytest.mark.slow]


def bucket_listing(server: S3Server, storage_url: str) -> set[str]:
    """Every key under the service's prefix, as a plain boto3 client lists it; relative to the prefix."""
    parts = urlsplit(storage_url)
    prefix = parts.path.strip("/") + "/"
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                      aws_access_key_id=SEAWEED_KEY[0], aws_secret_access_key=SEAWEED_KEY[1],
                      config=Config(s3={"addressing_style": "path"}))
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=parts.netloc, Prefix=prefix)
        return {item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", [])}
    finally:
        s3.close()


def expected_keys(row: Upload) -> tuple[set[str], set[str]]:
    """The kept variants of an upload row, and its public copies while it is published."""
    private = {str(v["key"]) for v in row.variants.values()}
    public = {f"public/{row.id}/{row.public_token}/{name}.webp" for name in row.variants} if row.public_token else set()
    return private, public


def owner_of(key: str) -> str:
    parts = key.split("/")
    return parts[1] if parts[0] == "public" else parts[0]


def test_every_object_in_the_bucket_has_its_row_and_every_row_its_objects(
        request: pytest.FixtureRequest, make_client: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "offset", clock.offset)
    storage_url = seaweed_url(request, monkeypatch)
    server: S3Server = request.getfixturevalue("seaweed")
    with make_client(storage_url=storage_url, autohide_reports=1) as client:
        slug = procedure(client)
        moderator = sign_up(client, role="moderator")
        kept, hidden_author, removed_author, leaving, reader = (sign_up(client) for _ in range(5))

        # A diary kept as it is, one of whose photos is later dropped; an upload deleted by its
        # uploader; one never attached (expires).
        shown, dropped = photo(client, kept), photo(client, kept, 10)
        kept_diary = diary(client, kept, slug, [shown, dropped])
        in_entry = photo(client, kept, 20)
        entry(client, kept, kept_diary, [in_entry])
        deleted = photo(client, kept, 30)
        assert client.delete(f"/v1/media/{deleted}", headers=kept.headers).status_code == 204
        expired = photo(client, kept, 40)
        r = client.patch(f"/v1/diaries/{kept_diary}", json={"before_media_ids": [shown]}, headers=kept.headers)
        assert r.status_code == 200, r.text

        # A diary hidden by a report; another hidden, then kept by a moderator (published again
        # under new URLs); a third removed by a moderator.
        hidden = photo(client, hidden_author, 50)
        hidden_diary = diary(client, hidden_author, slug, [hidden], anonymous=True)
        old_hidden_urls = urls_of(photos_of(client.get(f"/v1/diaries/{hidden_diary}").json()))
        report(client, reader, "diary", hidden_diary)
        restored = photo(client, removed_author, 60)
        restored_diary = diary(client, removed_author, slug, [restored])
        report(client, reader, "diary", restored_diary)
        decide(client, moderator, queue_item(client, moderator, "diary", restored_diary)["id"], "keep")
        removed = photo(client, removed_author, 70)
        removed_diary = diary(client, removed_author, slug, [removed])
        report(client, reader, "diary", removed_diary)
        decide(client, moderator, queue_item(client, moderator, "diary", removed_diary)["id"], "remove")

        # A member who leaves, deleting their content: their photos go with them.
        gone = photo(client, leaving, 80)
        gone_diary = diary(client, leaving, slug, [gone])
        r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"},
                           headers=leaving.headers)
        assert r.status_code == 204, r.text

        # The sweeper, a day and more later, as cron runs it.
        clock.advance(days=2)
        call(client, service(client).sweep)
        keys = bucket_listing(server, storage_url)
        rows = {row.id: row for row in call(client, Upload.all)}

        # Every object has a row; every row has every object it names; public copies only for what is served.
        assert {owner_of(key) for key in keys} <= set(rows), keys
        for row in rows.values():
            private, public = expected_keys(row)
            assert {key for key in keys if owner_of(key) == row.id} == private | public, row.id
        # What each step left, upload by upload.
        served = {shown, in_entry, restored}
        assert set(rows) == served | {hidden, removed}
        assert {media_id for media_id, row in rows.items() if row.public_token} == served
        assert not {deleted, expired, dropped, gone} & {owner_of(key) for key in keys}

        # What others see matches: the served photos open at their URLs from the bucket, the
        # hidden diary's old URLs and the departed member's diary are gone for everyone.
        shown_urls = urls_of(photos_of(client.get(f"/v1/diaries/{kept_diary}", headers=reader.headers).json()))
        assert shown_urls and all(fetch(client, url)[0] == 200 for url in shown_urls)
        assert all(fetch(client, url)[0] in GONE for url in old_hidden_urls)
        assert client.get(f"/v1/diaries/{hidden_diary}", headers=reader.headers).status_code in (404, 410, 451)
        assert client.get(f"/v1/diaries/{gone_diary}", headers=reader.headers).status_code in (404, 410)
        restored_view: dict[str, Any] = client.get(f"/v1/diaries/{restored_diary}", headers=reader.headers).json()
        assert [p["id"] for p in restored_view["before"]] == [restored]


def test_the_listing_helper_sees_what_the_service_wrote(request: pytest.FixtureRequest, make_client: AppFactory,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is only as good as its listing: a fresh upload's three variants are in it."""
    storage_url = seaweed_url(request, monkeypatch)
    server: S3Server = request.getfixturevalue("seaweed")
    with make_client(storage_url=storage_url) as client:
        member = sign_up(client)
        media_id = photo(client, member)
        keys = bucket_listing(server, storage_url)
        assert {key.rsplit("/", 1)[1] for key in keys if owner_of(key) == media_id} == {
            "thumb.webp", "medium.webp", "large.webp"}
        assert client.get(f"/v1/media/{media_id}").status_code == 404  # pending: the uploader's alone
