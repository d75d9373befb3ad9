"""A post's photos are copied to their public keys after its transaction commits: while they are being
copied, other members write, and the public already sees the post (without the photo until it is served)."""

from __future__ import annotations

import threading
from typing import Any

import anyio.to_thread
import httpx2
import pytest
from starlette.testclient import TestClient

from tests.conftest import sign_up, upload
from tests.content.factories import POSITIVE, diary, reference


def test_other_members_write_while_a_new_entry_s_photo_is_copied(client: TestClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ref = reference(client)
    author, reader = sign_up(client), sign_up(client)
    d = diary(client, author, ref)
    photo = upload(client, author)

    storage = client.app.state.services.media.storage  # type: ignore[attr-defined]
    original = storage.copy
    copying, release = threading.Event(), threading.Event()

    async def slow_copy(source: str, target: str, cache_control: str) -> None:
        copying.set()
        await anyio.to_thread.run_sync(release.wait, 30)  # a slow storage, without blocking the loop
        await original(source, target, cache_control)

    monkeypatch.setattr(storage, "copy", slow_copy)
    answers: dict[str, httpx2.Response] = {}

    def post(name: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        answers[name] = client.post(path, json=body, headers=headers)

    adding = threading.Thread(target=post, args=("entry", f"/v1/diaries/{d['id']}/entries", {
        "body": "<p>术后第七天拆线了，眼睛自然了很多。</p>", "happened_on": "2026-10-08", "media_ids": [photo]},
        author.headers))
    adding.start()
    try:
        assert copying.wait(10), "the photo was never copied"
        # The entry is committed: another member comments meanwhile, without waiting for the copies.
        commenting = threading.Thread(target=post, args=("comment", "/v1/comments", {
            "target_type": "diary", "target_id": d["id"], "body": POSITIVE[0]}, reader.headers))
        commenting.start()
        commenting.join(10)
        assert not commenting.is_alive(), "a comment waited for another post's photo copies"
        assert answers["comment"].status_code == 201
        # The public reads the new day already, without a photo that is not served yet.
        days = client.get(f"/v1/diaries/{d['id']}/entries").json()["items"]
        assert [e["media"] for e in days] == [[]]
    finally:
        release.set()
        adding.join(30)
    assert answers["entry"].status_code == 201, answers["entry"].text
    shown = client.get(f"/v1/diaries/{d['id']}/entries").json()["items"]
    [served] = shown[0]["media"]
    assert served["id"] == photo
    assert client.get(served["variants"]["thumb"]["url"]).status_code == 200
