"""Removed photos stay removed: a photo taken down on a legal notice cannot be uploaded again, even
re-encoded and resized, while other photos (and the rights holder's own evidence) still can."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from PIL import Image, ImageEnhance
from starlette.testclient import TestClient

from kernel.settings import SettingsError, load
from media import fingerprints
from tests.conftest import AppFactory, Member, sign_up
from tests.media.helpers import call, fetch, post_image, rows
from tests.moderation.conftest import decide, file_notice, item_of


def scene(seed: int, width: int = 1600, height: int = 1200) -> Image.Image:
    """A smooth picture of its own (colours of a 12x9 grid, interpolated), like a photo's broad shapes."""
    rng = random.Random(seed)
    grid = Image.new("RGB", (12, 9))
    grid.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12 * 9)])
    return grid.resize((width, height), Image.Resampling.BICUBIC)


def encoded(im: Image.Image, fmt: str = "JPEG", **save: Any) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def removed_diary_photo(client: TestClient, author: Member, moderator: Member,
                        notice_type: str) -> tuple[str, str, str]:
    """A diary whose before photo (scene 1) is taken down on a notice: (media_id, case_id, case token)."""
    editor = sign_up(client, role="editor")
    assert client.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮"},
                       headers=editor.headers).status_code == 201
    r = post_image(client, author, encoded(scene(1), quality=90))
    assert r.status_code == 201, r.text
    media_id = r.json()["id"]
    r = client.post("/v1/diaries", json={"title": "埋线双眼皮三个月记录", "procedure": "shuang-yan-pi",
                                         "operated_on": "2026-08-01", "anonymous": True,
                                         "before_media_ids": [media_id]}, headers=author.headers)
    assert r.status_code == 201, r.text
    diary_id = r.json()["id"]
    case_id, token = file_notice(client, [{"type": "diary", "id": diary_id}], notice_type=notice_type)
    decide(client, moderator, item_of(client, moderator, "diary", diary_id)["id"], "remove",
           "权利人提供了原图及拍摄记录，初步证明侵权")
    assert client.get(f"/v1/diaries/{diary_id}").status_code in (410, 451)
    return media_id, case_id, token


def test_a_photo_removed_on_a_copyright_notice_cannot_come_back_re_encoded_and_resized(client: TestClient) -> None:
    author, other = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    media_id, case_id, _ = removed_diary_photo(client, author, moderator, "copyright")

    # Another member tries the same photo, smaller, recompressed and a little brighter, as a WebP.
    copy = ImageEnhance.Brightness(scene(1).resize((1200, 900))).enhance(1.1)
    r = post_image(client, other, encoded(copy, "WEBP", quality=55), filename="copy.webp",
                   content_type="image/webp")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["case_id"] == case_id and case_id in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["file"]
    # The refusal names the case only: never the removed upload or its (anonymous) author.
    assert media_id not in r.text and author.id not in r.text and author.handle not in r.text
    # Nothing was stored for the refused upload.
    assert [u.id for u in rows(client)] == [media_id]

    # The same member's own re-upload is refused too, and a different photo is accepted.
    assert post_image(client, author, encoded(scene(1), quality=70)).status_code == 422
    fresh = post_image(client, other, encoded(scene(2), quality=85))
    assert fresh.status_code == 201, fresh.text
    # The rights holder can still send the photo as evidence for another notice.
    assert post_image(client, None, encoded(scene(1), quality=80), purpose="evidence").status_code == 201


def test_a_withdrawn_notice_lets_its_photo_be_uploaded_again(client: TestClient) -> None:
    author, other = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    _, case_id, token = removed_diary_photo(client, author, moderator, "portrait")
    copy = encoded(scene(1).resize((1200, 900)), quality=70)
    assert post_image(client, other, copy).json()["case_id"] == case_id

    r = client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "已与作者协商解决，同意继续使用。"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text

    assert post_image(client, other, copy).status_code == 201


def test_a_reputation_notice_does_not_blacklist_its_photos(client: TestClient) -> None:
    author, other = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    removed_diary_photo(client, author, moderator, "reputation")

    # A text found defamatory says nothing about who owns its photos.
    r = post_image(client, other, encoded(scene(1).resize((1200, 900)), quality=70))
    assert r.status_code == 201, r.text


def test_the_band_index_finds_every_hash_within_seven_bits_and_no_farther(db_client: TestClient) -> None:
    # On either database: the lookup is one statement written by hand.
    client = db_client
    base = int(fingerprints.phash(scene(5)), 16)

    async def store_and_look() -> list[int | None]:
        # Flipped bits dealt over the 4 bands in turn: at 8, every band differs in 2 bits, and
        # no band is probed close enough (the index's limit, and the setting's).
        await fingerprints.remember(f"{base:016x}", media_id="kept", case_id="c1")
        found = []
        for flips in (0, 3, 6, 7, 8):
            probe = base
            for n in range(flips):
                probe ^= 1 << ((n % 4) * 16 + (n // 4) * 7 + 1)
            match = await fingerprints.closest(f"{probe:016x}", 7)
            found.append(match.distance if match else None)
        return found

    assert call(client, store_and_look) == [0, 3, 6, 7, None]


def test_a_diary_showing_a_listed_clinic_marketing_photo_is_queued_with_a_system_report(client: TestClient) -> None:
    clinic_staff, diarist, honest, reader = sign_up(client), sign_up(client), sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    editor = sign_up(client, role="editor")
    assert client.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮"},
                       headers=editor.headers).status_code == 201
    advert = post_image(client, clinic_staff, encoded(scene(3), quality=90))
    assert advert.status_code == 201, advert.text
    body = {"media_id": advert.json()["id"], "reason": "某机构广告里的术后对比图，被冒充成个人日记。"}

    assert client.post("/v1/moderation/blocked-photos", json=body, headers=reader.headers).status_code == 403
    missing = client.post("/v1/moderation/blocked-photos", json={**body, "media_id": "nosuchupload"},
                          headers=moderator.headers)
    assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["media_id"]
    listed = client.post("/v1/moderation/blocked-photos", json=body, headers=moderator.headers)
    assert listed.status_code == 201, listed.text
    assert listed.json()["media_id"] == body["media_id"] and listed.json()["log_id"]
    assert client.post("/v1/moderation/blocked-photos", json=body, headers=moderator.headers).status_code == 409

    def diary_with(member: Member, image: bytes) -> str:
        r = post_image(client, member, image)
        assert r.status_code == 201, r.text  # a listed photo is never refused: a moderator decides
        r = client.post("/v1/diaries", json={"title": "韩式双眼皮第一周", "procedure": "shuang-yan-pi",
                                             "operated_on": "2026-09-01", "anonymous": True,
                                             "before_media_ids": [r.json()["id"]]}, headers=member.headers)
        assert r.status_code == 201, r.text
        diary_id: str = r.json()["id"]
        return diary_id

    copied = diary_with(diarist, encoded(scene(3).resize((1000, 750)), quality=65))
    own = diary_with(honest, encoded(scene(4), quality=85))

    item = item_of(client, moderator, "diary", copied)
    detail = client.get(f"/v1/moderation/queue/{item['id']}", headers=moderator.headers).json()
    [system] = [r for r in detail["reports"] if r["system"]]
    assert system["reason"] == "advertising" and "marketing photo passed off as a diary" in system["detail"]
    queued = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers).json()["items"]
    assert own not in [i["target"]["id"] for i in queued if i["target"]["type"] == "diary"]
    # Until a moderator decides, readers still see the diary, and never who the anonymous author is.
    shown = client.get(f"/v1/diaries/{copied}", headers=reader.headers)
    assert shown.status_code == 200
    assert diarist.handle not in shown.text
    # The list is for moderators: members do not learn which photos are on it.
    assert client.get(f"/v1/moderation/queue/{item['id']}", headers=reader.headers).status_code in (403, 404)


def test_the_fingerprint_settings_refuse_what_the_index_cannot_honour() -> None:
    assert load({"MEIJI_FINGERPRINT_DISTANCE": "3"}).fingerprint_distance == 3
    assert load({}).fingerprint_action == "refuse"
    assert load({"MEIJI_FINGERPRINT_ACTION": "review"}).fingerprint_action == "review"
    for environ, named in (({"MEIJI_FINGERPRINT_DISTANCE": "8"}, "at most 7"),
                           ({"MEIJI_FINGERPRINT_DISTANCE": "六"}, "whole number"),
                           ({"MEIJI_FINGERPRINT_ACTION": "hold"}, "refuse or review")):
        with pytest.raises(SettingsError, match=named):
            load(environ)


def test_with_review_a_matching_upload_is_held_until_a_moderator_decides(make_client: AppFactory) -> None:
    with make_client(fingerprint_action="review") as client:
        author, copier, reader = sign_up(client), sign_up(client), sign_up(client)
        moderator = sign_up(client, role="moderator")
        media_id, case_id, _ = removed_diary_photo(client, author, moderator, "copyright")

        def copy_of_removed(member: Member, quality: int) -> str:
            # Accepted, but held: the uploader is told why, naming the case only.
            r = post_image(client, member, encoded(scene(1).resize((1200, 900)), quality=quality))
            assert r.status_code == 201, r.text
            assert r.json()["takedown"] == {"status": "hidden", "case_id": case_id, "reason": "matches_removed_photo"}
            assert media_id not in r.text and author.handle not in r.text
            held: str = r.json()["id"]
            return held

        def diary_of(member: Member, photos: list[str]) -> str:
            r = client.post("/v1/diaries", json={"title": "双眼皮术前术后对比", "procedure": "shuang-yan-pi",
                                                 "operated_on": "2026-09-01", "anonymous": False,
                                                 "before_media_ids": photos}, headers=member.headers)
            assert r.status_code == 201, r.text
            diary_id: str = r.json()["id"]
            return diary_id

        def before(diary_id: str, member: Member) -> list[dict[str, Any]]:
            r = client.get(f"/v1/diaries/{diary_id}", headers=member.headers)
            assert r.status_code == 200, r.text
            photos: list[dict[str, Any]] = r.json()["before"]
            return photos

        held = copy_of_removed(copier, 70)
        own = post_image(client, copier, encoded(scene(6), quality=85)).json()["id"]
        diary_id = diary_of(copier, [held, own])
        # Nobody else sees the held photo, not even as a placeholder; its uploader sees it held.
        assert [p["id"] for p in before(diary_id, reader)] == [own]
        assert client.get(f"/v1/media/{held}", headers=reader.headers).status_code == 404
        mine = {p["id"]: p for p in before(diary_id, copier)}
        assert mine[held]["takedown"]["status"] == "hidden"
        assert fetch(client, mine[held]["variants"]["thumb"]["url"], copier.headers)[0] == 200
        assert fetch(client, mine[held]["variants"]["thumb"]["url"], reader.headers)[0] == 404

        # Moderators find it queued with a system report naming the case it matched.
        item = item_of(client, moderator, "photo", held)
        assert item["kind"] == "report" and item["hidden"] is True and item["reasons"] == {"infringement": 1}
        assert item["target"]["media"][0]["takedown"]["case_id"] == case_id
        detail = client.get(f"/v1/moderation/queue/{item['id']}", headers=moderator.headers).json()
        [system] = detail["reports"]
        assert system["system"] is True and case_id in system["detail"]
        log = client.get(f"/v1/moderation/log?target_type=photo&target_id={held}", headers=moderator.headers)
        assert [e["case_id"] for e in log.json()["items"] if e["action"] == "report_filed"] == [case_id]

        # Cleared (the copier showed a licence): the diary shows it to everyone.
        decide(client, moderator, item["id"], "keep", "上传者提供了摄影师的授权书")
        shown = {p["id"]: p for p in before(diary_id, reader)}
        assert list(shown) == [held, own] and "takedown" not in shown[held]
        assert fetch(client, shown[held]["variants"]["large"]["url"])[0] == 200

        # Another copy, judged an infringement: removed, a placeholder with the policy reason (410).
        second = copy_of_removed(reader, 60)
        other = diary_of(reader, [second])
        assert before(other, copier) == []
        decide(client, moderator, item_of(client, moderator, "photo", second)["id"], "remove", "未经授权转发他人作品")
        [placeholder] = before(other, copier)
        assert placeholder["takedown"] == {"status": "removed", "case_id": None, "reason": "infringement"}
        assert client.get(f"/v1/media/{second}").status_code == 410


def test_with_refuse_a_matching_upload_is_refused_and_nothing_is_queued(client: TestClient) -> None:
    author, copier = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    _, case_id, _ = removed_diary_photo(client, author, moderator, "privacy")
    r = post_image(client, copier, encoded(scene(1).resize((1200, 900)), quality=70))
    assert r.status_code == 422 and r.json()["case_id"] == case_id
    queued = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers).json()["items"]
    assert [i for i in queued if i["target"]["type"] == "photo"] == []
