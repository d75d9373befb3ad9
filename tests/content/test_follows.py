"""Follows over HTTP: idempotent, counted on the object, a member's own list, never a list of followers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from content.services import set_status
from tests.conftest import Member
from tests.content._people import person
from tests.content.factories import diary, reference
from tests.content.test_anonymity import assert_hidden


def hide(client: TestClient, target_type: str, target_id: str, status: str = "hidden") -> None:
    portal = client.portal
    assert portal is not None
    state = client.app.state.services  # type: ignore[attr-defined]
    portal.call(lambda: set_status(state, target_type, target_id, status))


def follows_of(client: TestClient, member: Member, **params: str) -> list[dict[str, object]]:
    r = client.get("/v1/me/follows", params=params, headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_following_a_diary_twice_counts_once_and_unfollowing_is_idempotent(db_client: TestClient) -> None:
    ref = reference(db_client)
    author, follower, stranger = person(db_client), person(db_client), person(db_client)
    d = diary(db_client, author, ref, title="热玛吉术后三个月的变化")
    url = f"/v1/follows/diary/{d['id']}"

    assert db_client.put(url, headers=follower.headers).status_code == 204
    assert db_client.put(url, headers=follower.headers).status_code == 204
    seen_by_follower = db_client.get(f"/v1/diaries/{d['id']}", headers=follower.headers).json()
    assert seen_by_follower["follower_count"] == 1 and seen_by_follower["followed"] is True
    seen_by_stranger = db_client.get(f"/v1/diaries/{d['id']}", headers=stranger.headers).json()
    assert seen_by_stranger["follower_count"] == 1 and seen_by_stranger["followed"] is False
    assert db_client.get(f"/v1/diaries/{d['id']}").json()["followed"] is False
    [item] = follows_of(db_client, follower)
    assert item["target_type"] == "diary" and item["target_id"] == d["id"]
    assert item["available"] is True and item["title"] == "热玛吉术后三个月的变化"
    assert follows_of(db_client, stranger) == []

    assert db_client.delete(url, headers=follower.headers).status_code == 204
    assert db_client.delete(url, headers=follower.headers).status_code == 204
    assert db_client.get(f"/v1/diaries/{d['id']}").json()["follower_count"] == 0
    assert follows_of(db_client, follower) == []


def test_every_followable_type_and_the_filter(db_client: TestClient) -> None:
    ref = reference(db_client)
    writer, follower = person(db_client), person(db_client)
    q = db_client.post("/v1/questions", json={"title": "双眼皮术后多久可以化妆？", "body": "<p>下个月要参加婚礼</p>"},
                       headers=writer.headers).json()
    targets = [("account", writer.id), ("procedure", ref["procedure"]), ("question", q["id"]),
               ("clinic", ref["clinic"]["id"]), ("doctor", ref["doctor"]["id"])]
    for target_type, target_id in targets:
        r = db_client.put(f"/v1/follows/{target_type}/{target_id}", headers=follower.headers)
        assert r.status_code == 204, (target_type, r.text)

    listed = follows_of(db_client, follower)
    assert [(i["target_type"], i["target_id"]) for i in listed] == list(reversed(targets))  # newest first
    assert {i["title"] for i in listed} == {writer.handle, "双眼皮", "双眼皮术后多久可以化妆？", "成都华美整形医院",
                                            "李明"}
    assert [i["target_id"] for i in follows_of(db_client, follower, target_type="clinic")] == [ref["clinic"]["id"]]
    page = db_client.get("/v1/me/follows", params={"limit": 2}, headers=follower.headers).json()
    rest = db_client.get("/v1/me/follows", params={"cursor": page["next_cursor"]}, headers=follower.headers).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 3 and rest["next_cursor"] is None

    # Counts show on every followable object, to everyone.
    assert db_client.get(f"/v1/questions/{q['id']}").json()["follower_count"] == 1
    assert db_client.get(f"/v1/procedures/{ref['procedure']}").json()["follower_count"] == 1
    assert db_client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["follower_count"] == 1
    doctor = db_client.get(f"/v1/doctors/{ref['doctor']['id']}", headers=follower.headers).json()
    assert doctor["follower_count"] == 1 and doctor["followed"] is True
    assert db_client.get(f"/v1/accounts/{writer.id}").json()["follower_count"] == 1


def test_what_cannot_be_followed(client: TestClient) -> None:
    ref = reference(client)
    author, follower = person(client), person(client)
    d = diary(client, author, ref)
    assert client.put(f"/v1/follows/diary/{d['id']}").status_code == 401
    assert client.get("/v1/me/follows").status_code == 401
    for path in ("/v1/follows/review/1", "/v1/follows/diary/99999", "/v1/follows/diary/abc",
                 "/v1/follows/procedure/no-such-thing", "/v1/follows/clinic/99999", "/v1/follows/account/99999"):
        r = client.put(path, headers=follower.headers)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", (path, r.text)
    # A key longer than any stored one names nothing: 404 to follow it, nothing to unfollow.
    long_slug = "割双眼皮" * 30
    for target_type in ("procedure", "diary", "clinic", "account"):
        r = client.put(f"/v1/follows/{target_type}/{long_slug}", headers=follower.headers)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", r.text
        assert client.delete(f"/v1/follows/{target_type}/{long_slug}", headers=follower.headers).status_code == 204
    r = client.put(f"/v1/follows/account/{follower.id}", headers=follower.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target_id"
    assert client.get("/v1/me/follows", params={"target_type": "wiki"}, headers=follower.headers).status_code == 422
    hide(client, "diary", d["id"])
    assert client.put(f"/v1/follows/diary/{d['id']}", headers=follower.headers).status_code == 404


def test_a_followed_diary_that_leaves_the_public_shows_unavailable(client: TestClient) -> None:
    ref = reference(client)
    author, follower = person(client), person(client)
    d = diary(client, author, ref, title="鼻综合修复日记")
    assert client.put(f"/v1/follows/diary/{d['id']}", headers=follower.headers).status_code == 204
    hide(client, "diary", d["id"])
    [item] = follows_of(client, follower)
    assert item == {"target_type": "diary", "target_id": d["id"], "created_at": item["created_at"],
                    "available": False}
    assert "鼻综合" not in client.get("/v1/me/follows", headers=follower.headers).text
    # The follower may still tidy the list.
    assert client.delete(f"/v1/follows/diary/{d['id']}", headers=follower.headers).status_code == 204
    assert follows_of(client, follower) == []


def test_following_an_anonymous_diary_reveals_nobody(db_client: TestClient) -> None:
    ref = reference(db_client)
    author, follower = person(db_client), person(db_client)
    d = diary(db_client, author, ref, anonymous=True, title="匿名的吸脂日记")
    assert db_client.put(f"/v1/follows/diary/{d['id']}", headers=follower.headers).status_code == 204
    for r in (db_client.get("/v1/me/follows", headers=follower.headers),
              db_client.get(f"/v1/diaries/{d['id']}", headers=follower.headers)):
        assert_hidden(r, author, r.url.path)
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=follower.headers).json()["author"] is None
    # The author sees the count like everyone, never who follows.
    mine = db_client.get(f"/v1/diaries/{d['id']}", headers=author.headers).json()
    assert mine["follower_count"] == 1 and follower.handle not in str(mine)


def test_an_accounts_followers_are_a_count_nobody_can_list(client: TestClient) -> None:
    star = person(client)
    fans = [person(client) for _ in range(6)]

    def follow(member: Member) -> int:
        return client.put(f"/v1/follows/account/{star.id}", headers=member.headers).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(follow, fans + fans))
    assert codes == [204] * 12
    profile = client.get(f"/v1/accounts/{star.id}")
    assert profile.json()["follower_count"] == 6
    assert all(fan.handle not in profile.text for fan in fans)
    # Only one's own follows are listed: the star's list is empty, and no route lists followers.
    assert follows_of(client, star) == []
    assert client.get(f"/v1/accounts/{star.id}/followers", headers=fans[0].headers).status_code in (404, 405)
