"""Precise takedowns: a notice or a moderator names one photo (of a diary, an entry, a review or an
avatar); that photo alone stops serving and its post shows a placeholder with the case and the
reason, while the rest stays up; counter-notices and restorations act on that photo alone."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import AppFactory, Member, sign_up
from tests.media.helpers import fetch, post_image
from tests.media.test_fingerprints import encoded, scene
from tests.moderation.conftest import decide, evidence, file_notice, item_of, notice_body, notifications, tick
from tests.moderation.test_notices import COUNTER, case


def photo(client: TestClient, member: Member, seed: int, purpose: str = "post") -> str:
    """An upload of ``member``'s: a picture of its own (``scene(seed)``), so fingerprints tell them apart."""
    r = post_image(client, member, encoded(scene(seed), quality=90), purpose=purpose)
    assert r.status_code == 201, r.text
    media_id: str = r.json()["id"]
    return media_id


def diary_with_two_photos(client: TestClient, author: Member) -> tuple[str, str, str]:
    """An anonymous diary whose one entry shows two photos: (diary_id, first photo, second photo)."""
    editor = sign_up(client, role="editor")
    assert client.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮"},
                       headers=editor.headers).status_code == 201
    first, second = photo(client, author, 11), photo(client, author, 12)
    r = client.post("/v1/diaries", json={"title": "全切双眼皮恢复记录", "procedure": "shuang-yan-pi",
                                         "operated_on": "2026-08-01", "anonymous": True}, headers=author.headers)
    assert r.status_code == 201, r.text
    diary_id: str = r.json()["id"]
    r = client.post(f"/v1/diaries/{diary_id}/entries",
                    json={"body": "<p>术后第十天，拆线后肿胀消了不少，左右眼基本对称了。</p>",
                          "happened_on": "2026-08-11", "media_ids": [first, second]}, headers=author.headers)
    assert r.status_code == 201, r.text
    return diary_id, first, second


def shown(client: TestClient, diary_id: str, member: Member | None = None) -> dict[str, dict[str, Any]]:
    """The diary's ``after`` photos by id, as ``member`` (or the public) reads them."""
    r = client.get(f"/v1/diaries/{diary_id}", headers=member.headers if member else {})
    assert r.status_code == 200, r.text
    return {p["id"]: p for p in r.json()["after"]}


def status_of(client: TestClient, url: str) -> int:
    return fetch(client, url)[0]


def test_a_notice_naming_one_photo_removes_that_photo_alone_until_the_counter_notice_restores_it(
        client: TestClient) -> None:
    author, reader, copier = sign_up(client), sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    diary_id, first, second = diary_with_two_photos(client, author)
    before = shown(client, diary_id, reader)
    first_url, second_url = before[first]["variants"]["large"]["url"], before[second]["variants"]["large"]["url"]
    assert status_of(client, first_url) == 200 and status_of(client, second_url) == 200

    # The photographer has no account: the notice names the photo by the URL they saw it at.
    case_id, token = file_notice(client, [{"url": first_url}])
    assert case(client, case_id, token)["targets"] == [{"type": "photo", "id": first, "measures": None}]
    item = item_of(client, moderator, "photo", first)
    assert item["kind"] == "notice" and item["case_id"] == case_id
    # The moderator sees the photo itself, and the real author of the anonymous diary holding it.
    assert [m["id"] for m in item["target"]["media"]] == [first]
    assert item["target"]["author"]["id"] == author.id and item["target"]["anonymous"] is True
    decide(client, moderator, item["id"], "remove", "摄影师提供了原图和拍摄记录")

    # Every URL of that photo stops serving, as a removed post does: 451 with the case.
    gone = client.get(f"/v1/media/{first}")
    assert gone.status_code == 451 and gone.json()["case_id"] == case_id and gone.json()["reason"] == "copyright"
    assert status_of(client, first_url) == 451
    for name in ("thumb", "medium", "large"):
        assert client.get(f"/v1/media/{first}/variants/{name}", headers=reader.headers).status_code == 451
    # The other photo and the diary stay up; the diary shows a placeholder in the removed photo's place.
    assert status_of(client, second_url) == 200
    placeholder = {"status": "removed", "case_id": case_id, "reason": "copyright"}
    for viewer in (None, reader, author, moderator):
        photos = shown(client, diary_id, viewer)
        assert list(photos) == [first, second]
        assert photos[first]["takedown"] == placeholder
        assert "takedown" not in photos[second]
    assert shown(client, diary_id)[first]["variants"] == {}
    # The author and moderators still open it (to answer the notice, to judge it), nobody else.
    private_url = shown(client, diary_id, author)[first]["variants"]["large"]["url"]
    assert fetch(client, private_url, author.headers)[0] == 200
    assert fetch(client, private_url, moderator.headers)[0] == 200
    entries = client.get(f"/v1/diaries/{diary_id}/entries").json()["items"]
    assert [p.get("takedown") for p in entries[0]["media"]] == [placeholder, None]
    public = client.get(f"/v1/diaries/{diary_id}", headers=reader.headers).text
    assert author.handle not in public

    # Its fingerprint is kept as for a removed post: a copy, even resized, is refused naming the case.
    refused = post_image(client, copier, encoded(scene(11).resize((1200, 900)), quality=70))
    assert refused.status_code == 422 and refused.json()["case_id"] == case_id

    # The author is told, and answers for that photo alone.
    [takedown] = [n for n in notifications(client, author) if n["kind"] == "takedown"]
    assert takedown["payload"]["target"]["type"] == "photo" and takedown["payload"]["target"]["id"] == first
    assert takedown["payload"]["target"]["path"] == f"/v1/diary-entries/{entries[0]['id']}"
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=reader.headers).status_code == 404
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=author.headers).status_code == 201
    counter_item = item_of(client, moderator, "photo", first)
    assert counter_item["kind"] == "counter_notice"
    decide(client, moderator, counter_item["id"], "forward_counter", "反通知要素齐全")
    clock.advance(days=14)
    assert tick(client)["cases_restored"] == 0
    assert status_of(client, first_url) == 451
    clock.advance(days=2)
    assert tick(client)["cases_restored"] == 1

    # Back under a new URL; the one handed out before the takedown stays dead.
    photos = shown(client, diary_id, reader)
    assert "takedown" not in photos[first]
    restored_url = photos[first]["variants"]["large"]["url"]
    assert restored_url != first_url and status_of(client, restored_url) == 200
    assert status_of(client, first_url) == 404
    assert status_of(client, second_url) == 200
    assert case(client, case_id, token)["status"] == "restored"
    assert "restored" in [n["kind"] for n in notifications(client, author)]
    # The case no longer holds the photo: its copy may be uploaded again.
    assert post_image(client, copier, encoded(scene(11).resize((1200, 900)), quality=70)).status_code == 201


def test_a_diary_taken_down_on_a_portrait_notice_keeps_its_entries_photos_from_coming_back(
        client: TestClient) -> None:
    author, copier, moderator = sign_up(client), sign_up(client), sign_up(client, role="moderator")
    diary_id, first, second = diary_with_two_photos(client, author)
    case_id, _ = file_notice(client, [{"type": "diary", "id": diary_id}], notice_type="portrait")
    item = item_of(client, moderator, "diary", diary_id)
    assert {m["id"] for m in item["target"]["media"]} >= {first, second}  # the moderator sees them too
    decide(client, moderator, item["id"], "remove", "照片为投诉人本人肖像，未经同意发布")
    assert client.get(f"/v1/diaries/{diary_id}").status_code == 451
    # Neither of the entry's photos comes back, resized and recompressed, by anyone, its author included.
    for seed, who in ((11, copier), (12, author)):
        refused = post_image(client, who, encoded(scene(seed).resize((1000, 750)), quality=60))
        assert refused.status_code == 422 and refused.json()["case_id"] == case_id, refused.text
    assert post_image(client, copier, encoded(scene(13), quality=90)).status_code == 201


def test_a_moderator_removes_an_avatar_photo_and_restores_it(db_client: TestClient) -> None:
    client = db_client
    member, reader = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    avatar = photo(client, member, 21, purpose="avatar")
    assert client.patch("/v1/me", json={"avatar_media_id": avatar, "bio": "记录自己的变美过程"},
                        headers=member.headers).status_code == 200
    r = client.post("/v1/questions", json={"title": "热玛吉一年做几次合适？", "body": "<p>第一次做，想问问间隔。</p>",
                                           "anonymous": False}, headers=member.headers)
    assert r.status_code == 201, r.text
    question = r.json()["id"]
    profile = client.get(f"/v1/accounts/{member.id}", headers=reader.headers).json()
    avatar_url = profile["avatar"]["variants"]["thumb"]["url"]
    assert status_of(client, avatar_url) == 200

    r = client.post("/v1/moderation/actions", json={"target_type": "photo", "target_id": avatar, "action": "remove",
                                                    "reason": "infringement", "note": "头像是某明星的写真照片"},
                    headers=moderator.headers)
    assert r.status_code == 200, r.text
    assert r.json()["target"] == {"type": "photo", "id": avatar, "status": "removed"}

    # A policy removal: 410 with the reason; the profile and the question stay, the avatar is a placeholder.
    gone = client.get(f"/v1/media/{avatar}")
    assert gone.status_code == 410 and gone.json()["reason"] == "infringement"
    assert status_of(client, avatar_url) == 410
    profile = client.get(f"/v1/accounts/{member.id}", headers=reader.headers).json()
    assert profile["bio"] == "记录自己的变美过程"
    assert profile["avatar"]["takedown"] == {"status": "removed", "case_id": None, "reason": "infringement"}
    assert profile["avatar"]["variants"] == {}
    asked = client.get(f"/v1/questions/{question}", headers=reader.headers)
    assert asked.status_code == 200 and asked.json()["author"]["avatar"]["takedown"]["status"] == "removed"
    [removed] = [n for n in notifications(client, member) if n["kind"] == "removed"]
    assert removed["payload"]["target"]["type"] == "photo" and removed["payload"]["target"]["id"] == avatar
    # The account itself is not touched: the member still posts.
    assert client.get("/v1/me", headers=member.headers).json()["status"] == "active"

    r = client.post("/v1/moderation/actions", json={"target_type": "photo", "target_id": avatar,
                                                    "action": "restore", "reason": "other", "note": "本人提供了授权"},
                    headers=moderator.headers)
    assert r.status_code == 200, r.text
    profile = client.get(f"/v1/accounts/{member.id}", headers=reader.headers).json()
    assert "takedown" not in profile["avatar"]
    assert status_of(client, profile["avatar"]["variants"]["thumb"]["url"]) == 200
    assert status_of(client, avatar_url) == 404  # the URL from before the takedown stays dead


def test_a_photo_target_must_name_a_shown_photo_on_our_hosts(make_client: AppFactory) -> None:
    with make_client(public_url="https://api.meiji.example.cn", cdn_url="https://cdn.meiji.example.cn/media") as client:
        author = sign_up(client)
        diary_id, first, second = diary_with_two_photos(client, author)
        pending = photo(client, author, 13)  # uploaded, never shown in a post
        proof = evidence(client)
        token = shown(client, diary_id)[first]["variants"]["large"]["url"].split("/")[-2]
        r = client.post("/v1/notices", json=notice_body([
            {"type": "photo", "id": first},
            {"type": "photo", "id": "nosuchphoto"},
            {"type": "photo", "id": proof},
            {"type": "photo", "id": pending},
            {"url": f"https://elsewhere.example.com/media/public/{second}/{token}/large.webp"},
            {"url": "https://api.meiji.example.cn/media/public/nosuchphoto/abc/large.webp"},
        ]))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["targets.1", "targets.2", "targets.3", "targets.4.url",
                                                             "targets.5.url"]
        # Our URLs of a photo, whichever form: its public copy, the API's, a variant's, the CDN's.
        for url in (f"https://api.meiji.example.cn/v1/media/{second}",
                    f"https://api.meiji.example.cn/v1/media/{second}/variants/thumb",
                    f"https://cdn.meiji.example.cn/media/shots/public/{second}/{token}/medium.webp"):
            case_id, token_ = file_notice(client, [{"url": url}])
            assert case(client, case_id, token_)["targets"] == [{"type": "photo", "id": second, "measures": None}]


def test_a_decision_on_a_notice_may_remove_a_review_s_photo_and_keep_its_text(client: TestClient) -> None:
    author, reader = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    editor = sign_up(client, role="editor")
    r = client.post("/v1/clinics", json={"name": "成都华美整形医院", "city": "成都"}, headers=editor.headers)
    assert r.status_code == 201, r.text
    clinic = r.json()["id"]
    shot = photo(client, author, 31)
    r = client.post("/v1/reviews", json={"target_type": "clinic", "target_id": clinic, "rating": 4,
                                         "body": "<p>环境干净，护士很耐心，就是排队有点久。</p>", "anonymous": False,
                                         "media_ids": [shot]}, headers=author.headers)
    assert r.status_code == 201, r.text
    review = r.json()["id"]
    case_id, _ = file_notice(client, [{"type": "review", "id": review}, {"type": "photo", "id": shot}],
                             notice_type="portrait")
    item = item_of(client, moderator, "review", review)
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions",
                    json={"action": "remove", "reason": "照片里是投诉人本人的脸，评价文字没有问题",
                          "targets": [{"type": "photo", "id": shot}]}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    shown_review = client.get(f"/v1/reviews/{review}", headers=reader.headers)
    assert shown_review.status_code == 200
    [placeholder] = shown_review.json()["media"]
    assert placeholder["takedown"] == {"status": "removed", "case_id": case_id, "reason": "portrait"}
    assert client.get(f"/v1/media/{shot}").status_code == 451


def test_members_report_one_photo_and_enough_reports_hide_it_alone(client: TestClient) -> None:
    author = sign_up(client)
    reporters = [sign_up(client) for _ in range(3)]
    moderator = sign_up(client, role="moderator")
    diary_id, first, second = diary_with_two_photos(client, author)
    for reporter in reporters:
        r = client.post("/v1/reports", json={"target_type": "photo", "target_id": first, "reason": "privacy",
                                             "detail": "照片里露出了我的脸，我没有同意发布。"},
                        headers=reporter.headers)
        assert r.status_code == 201, r.text
    # Hidden pending review: gone for others (not even a placeholder), the diary and its other photo stay.
    assert list(shown(client, diary_id, reporters[0])) == [second]
    assert shown(client, diary_id, author)[first]["takedown"]["status"] == "hidden"
    item = item_of(client, moderator, "photo", first)
    assert item["hidden"] is True and item["reasons"] == {"privacy": 3}
    assert any(n["kind"] == "hidden" and n["payload"]["target"]["type"] == "photo"
               for n in notifications(client, author))
    decide(client, moderator, item["id"], "keep", "照片中没有可识别的他人面部")
    assert list(shown(client, diary_id, reporters[0])) == [first, second]
