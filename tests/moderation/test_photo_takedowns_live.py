"""Precise takedowns against a real ``meiji serve`` on the embedded default (SQLite, photos on disk),
over real HTTP: a photographer's notice removes one photo of a diary, a counter-notice brings it
back, and a moderator takes down an avatar photo."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.media.test_fingerprints import encoded, scene
from tests.moderation.conftest import CLAIMANT
from tests.moderation.test_notices import COUNTER
from tests.servers import MEIJI, serving

PASSWORD = "美记-live-photo-password"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """The API of a running server, and the environment of its CLI commands."""
    with serving(tmp_path / "data", {"MEIJI_RATE_LIMITS": "off", "MEIJI_SCHEDULER_SECONDS": "3600"}) as served:
        with httpx.Client(base_url=served.url, timeout=60) as api:
            yield api, served.env


def staff(env: dict[str, str], api: httpx.Client, handle: str, role: str) -> dict[str, str]:
    made = subprocess.run([MEIJI, "accounts", "create", handle, "--role", role, "--password", PASSWORD],
                          capture_output=True, text=True, timeout=180, env=env)
    assert made.returncode == 0, made.stderr
    return sign_in(api, handle)


def sign_in(api: httpx.Client, handle: str) -> dict[str, str]:
    r = api.post("/v1/sessions", json={"handle": handle, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def member(api: httpx.Client, handle: str) -> dict[str, str]:
    r = api.post("/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": "1995-07-12"})
    assert r.status_code == 201, r.text
    return sign_in(api, handle)


def upload(api: httpx.Client, headers: dict[str, str], seed: int, purpose: str = "post") -> str:
    r = api.post("/v1/media", files={"file": ("photo.jpg", encoded(scene(seed), quality=90), "image/jpeg")},
                 data={"purpose": purpose}, headers=headers)
    assert r.status_code == 201, r.text
    media_id: str = r.json()["id"]
    return media_id


def decide(api: httpx.Client, moderator: dict[str, str], target_id: str, action: str, reason: str) -> dict[str, Any]:
    r = api.get("/v1/moderation/queue?limit=100", headers=moderator)
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["target"]["type"] == "photo" and i["target"]["id"] == target_id]
    assert api.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator).status_code == 200
    r = api.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": action, "reason": reason},
                 headers=moderator)
    assert r.status_code == 200, r.text
    decided: dict[str, Any] = r.json()
    return decided


def after(api: httpx.Client, diary_id: str, headers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    r = api.get(f"/v1/diaries/{diary_id}", headers=headers or {})
    assert r.status_code == 200, r.text
    return {p["id"]: p for p in r.json()["after"]}


def test_one_photo_is_taken_down_and_restored_on_a_live_server(live: tuple[httpx.Client, dict[str, str]]) -> None:
    api, env = live
    moderator = staff(env, api, "值班审核员", "moderator")
    editor = staff(env, api, "百科编辑", "editor")
    assert api.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮"},
                    headers=editor).status_code == 201
    author, reader = member(api, "成都小林"), member(api, "路过的读者")

    first, second = upload(api, author, 41), upload(api, author, 42)
    r = api.post("/v1/diaries", json={"title": "开眼角加双眼皮一个月", "procedure": "shuang-yan-pi",
                                      "operated_on": "2026-08-01", "anonymous": True}, headers=author)
    assert r.status_code == 201, r.text
    diary_id = r.json()["id"]
    r = api.post(f"/v1/diaries/{diary_id}/entries",
                 json={"body": "<p>术后一个月，疤痕淡了很多，化淡妆已经看不出来。</p>", "happened_on": "2026-09-01",
                       "media_ids": [first, second]}, headers=author)
    assert r.status_code == 201, r.text
    photos = after(api, diary_id, reader)
    first_url, second_url = photos[first]["variants"]["large"]["url"], photos[second]["variants"]["medium"]["url"]
    assert api.get(first_url).status_code == 200 and api.get(second_url).status_code == 200

    # The photographer names the photo by the URL they found it at.
    notice = {"notice_type": "copyright", "claimant": CLAIMANT,
              "work": {"description": "工作室为客户拍摄的术后对比照，原图首发于工作室官网。", "proof_media_ids": []},
              "targets": [{"url": first_url}], "description": "日记中的第一张照片是本工作室的作品，请删除这张照片。",
              "good_faith": True, "accurate": True, "signature": "林晓雯"}
    r = api.post("/v1/notices", json=notice)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    decide(api, moderator, first, "remove", "摄影师提供了原图")

    gone = api.get(first_url)
    assert gone.status_code == 451 and gone.json()["case_id"] == case_id
    assert api.get(second_url).status_code == 200
    photos = after(api, diary_id, reader)
    assert list(photos) == [first, second]
    assert photos[first]["variants"] == {}
    assert photos[first]["takedown"] == {"status": "removed", "case_id": case_id, "reason": "copyright"}
    assert "成都小林" not in api.get(f"/v1/diaries/{diary_id}", headers=reader).text
    copy = api.post("/v1/media", files={"file": ("copy.jpg", encoded(scene(41).resize((1000, 750)), quality=60),
                                                 "image/jpeg")}, headers=reader)
    assert copy.status_code == 422 and copy.json()["case_id"] == case_id

    # The author answers for that photo; a moderator upholds the counter-notice and it is back.
    r = api.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=author)
    assert r.status_code == 201, r.text
    decide(api, moderator, first, "restore", "作者提供了原始拍摄文件，照片为本人自拍")
    photos = after(api, diary_id, reader)
    assert "takedown" not in photos[first]
    assert api.get(photos[first]["variants"]["large"]["url"]).status_code == 200
    assert api.get(first_url).status_code == 404  # the URL from before the takedown stays dead

    # A moderator takes down an avatar photo alone: the profile stays, with a placeholder.
    avatar = upload(api, reader, 43, purpose="avatar")
    assert api.patch("/v1/me", json={"avatar_media_id": avatar}, headers=reader).status_code == 200
    me = api.get("/v1/me", headers=reader).json()
    avatar_url = me["avatar"]["variants"]["thumb"]["url"]
    assert api.get(avatar_url).status_code == 200
    r = api.post("/v1/moderation/actions", json={"target_type": "photo", "target_id": avatar, "action": "remove",
                                                 "reason": "harassment", "note": "头像是偷拍他人的照片"},
                 headers=moderator)
    assert r.status_code == 200, r.text
    assert api.get(avatar_url).status_code == 410
    profile = api.get(f"/v1/accounts/{me['id']}").json()
    assert profile["handle"] == "路过的读者"
    assert profile["avatar"]["takedown"] == {"status": "removed", "case_id": None, "reason": "harassment"}
