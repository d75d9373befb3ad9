"""Content's public service functions: lookup, status changes, counts, export and erasure."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from content import services
from tests.conftest import sign_up, upload
from tests.content.factories import diary, drain, entry, reference, review


def call(client: TestClient, fn: Any, *args: Any, **kwargs: Any) -> Any:
    portal = client.portal
    assert portal is not None
    return portal.call(lambda: fn(*args, **kwargs))


def test_find_target_and_resolve_url(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    photo = upload(client, author)
    d = diary(client, author, ref, anonymous=True, before_media_ids=[photo])
    info = call(client, services.find_target, "diary", d["id"])
    assert info.author_id == int(author.id) and info.anonymous and info.media_ids == [photo]
    assert info.path == f"/v1/diaries/{d['id']}" and info.status == "published"
    assert call(client, services.find_target, "diary", "999") is None
    assert call(client, services.find_target, "nonsense", "1") is None
    assert call(client, services.resolve_url, f"https://meiji.example/v1/diaries/{d['id']}") == ("diary", d["id"])
    assert call(client, services.resolve_url, "/v1/reviews/12?x=1") == ("review", "12")
    assert call(client, services.resolve_url, "https://elsewhere.example/about") is None


def test_removal_leaves_search_and_media_at_once(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    photo = upload(client, author)
    d = diary(client, author, ref, title="热玛吉做完一个月", before_media_ids=[photo])
    entry_photo = upload(client, author)
    entry(client, author, d["id"], body="<p>热玛吉后皮肤紧致了</p>", media_ids=[entry_photo])
    drain(client)
    assert client.get("/v1/search?q=热玛吉").json()["total"] == 1
    state = client.app.state.services  # type: ignore[attr-defined]
    info = call(client, services.set_status, state, "diary", d["id"], "removed", case_id="C-1", reason="侵权")
    assert info.status == "removed" and info.case_id == "C-1"
    assert client.get("/v1/search?q=热玛吉").json()["total"] == 0
    assert call(client, state.media.views, [photo, entry_photo]) == {}
    call(client, services.set_status, state, "diary", d["id"], "published")
    drain(client)
    assert client.get("/v1/search?q=热玛吉").json()["total"] == 1
    assert set(call(client, state.media.views, [photo, entry_photo])) == {photo, entry_photo}


def test_counts_leave_out_anonymous_and_hidden(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    diary(client, author, ref)
    diary(client, author, ref, anonymous=True)
    hidden = diary(client, author, ref)
    review(client, author, ref, anonymous=True)
    call(client, services.set_status, client.app.state.services, "diary", hidden["id"], "hidden")  # type: ignore[attr-defined]
    counts = call(client, services.public_counts, int(author.id))
    assert counts["diaries"] == 1 and counts["reviews"] == 0
    assert client.get(f"/v1/accounts/{author.id}").json()["counts"]["diaries"] == 1


def test_export_includes_anonymous_posts(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref, anonymous=True)
    e = entry(client, author, d["id"])
    rv = review(client, author, ref, anonymous=True)
    data = call(client, services.export_author, client.app.state.services, int(author.id))  # type: ignore[attr-defined]
    assert [x["id"] for x in data["diary"]] == [d["id"]] and data["diary"][0]["anonymous"] is True
    assert [x["id"] for x in data["diary_entry"]] == [e["id"]]
    assert data["review"][0]["rating"] == rv["rating"]


def test_erase_with_delete_removes_everything(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    photo = upload(client, author)
    d = diary(client, author, ref, title="水光针三次的变化", before_media_ids=[photo])
    rv = review(client, author, ref)
    drain(client)
    state = client.app.state.services  # type: ignore[attr-defined]
    call(client, services.erase_author, state, int(author.id), "delete")
    assert client.get(f"/v1/diaries/{d['id']}").status_code == 404
    assert client.get(f"/v1/reviews/{rv['id']}").status_code == 404
    assert client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]["count"] == 0
    assert client.get("/v1/search?q=水光针").json()["total"] == 0
    assert call(client, state.media.views, [photo]) == {}


def test_erase_with_anonymize_keeps_posts_without_author(client: TestClient) -> None:
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    rv = review(client, author, ref)
    state = client.app.state.services  # type: ignore[attr-defined]
    call(client, services.erase_author, state, int(author.id), "anonymize")
    from content.models.reviews import Review

    kept = call(client, Review.get, id=int(rv["id"]))
    assert kept.author_id is None and kept.live_key is None and kept.status == "published"
    shown = client.get(f"/v1/diaries/{d['id']}", headers=author.headers).json()
    assert shown["author"] is None and shown["is_mine"] is False
    assert call(client, services.find_target, "diary", d["id"]).author_id is None
    assert author.handle not in client.get("/v1/diaries").text


def test_two_status_changes_at_once_move_each_count_once(db_client: TestClient) -> None:
    """The author deletes an entry while a moderator removes it; a moderator hides a review its author
    just re-rated: each transition starts from the other's outcome, as the rows hold them."""
    from content.models.diaries import DiaryEntry
    from content.models.reviews import Review
    from content.visibility import kind

    client = db_client
    state = client.app.state.services  # type: ignore[attr-defined]
    ref = reference(client)
    author = sign_up(client)
    d = diary(client, author, ref)
    e = entry(client, author, d["id"])
    stale = call(client, DiaryEntry.get, id=int(e["id"]))  # what the moderator's request read
    assert client.delete(f"/v1/diary-entries/{e['id']}", headers=author.headers).status_code == 204
    call(client, services.lifecycle.change_status, state, kind("diary_entry"), stale, "removed")
    assert client.get(f"/v1/diaries/{d['id']}").json()["entry_count"] == 0
    assert call(client, DiaryEntry.get, id=int(e["id"])).status == "deleted"  # the deletion stands

    rv = review(client, author, ref, rating=1, scores={"effect": 1})
    stale_review = call(client, Review.get, id=int(rv["id"]))
    r = client.patch(f"/v1/reviews/{rv['id']}", json={"rating": 5, "scores": {"effect": 5}}, headers=author.headers)
    assert r.status_code == 200, r.text
    call(client, services.lifecycle.change_status, state, kind("review"), stale_review, "hidden")
    summary = client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]
    assert summary["count"] == 0 and set(summary["distribution"].values()) == {0}
    call(client, services.lifecycle.change_status, state, kind("review"),
         call(client, Review.get, id=int(rv["id"])), "published")
    summary = client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]
    assert summary["count"] == 1 and summary["average"] == 5.0 and summary["distribution"]["1"] == 0
