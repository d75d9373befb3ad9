"""Attachments and visibility, the sweeper, and who may read evidence."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from media.interfaces import MediaError
from tests.conftest import AppFactory, Member, sign_up
from tests.media.conftest import Backend, jpeg
from tests.media.helpers import call, fetch, post_image, rows, service, stored_keys

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def restore_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "offset", clock.offset)


@pytest.fixture
def on_backend(make_client: AppFactory, backend: Backend) -> Iterator[TestClient]:
    with make_client(storage_url=backend.storage_url) as c:
        yield c


def uploaded(client: TestClient, member: Member | None, purpose: str = "post") -> dict[str, object]:
    r = post_image(client, member, jpeg(), purpose=purpose)
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def url_of(body: dict[str, object], name: str = "thumb") -> str:
    variants = body["variants"]
    assert isinstance(variants, dict)
    url: str = variants[name]["url"]
    return url


def test_a_released_posts_media_stop_being_served_at_once_and_the_sweeper_deletes_them(
        on_backend: TestClient) -> None:
    member = sign_up(on_backend)
    body = uploaded(on_backend, member)
    media_id = str(body["id"])
    views = call(on_backend, service(on_backend).attach, "diary:1", [media_id], owner_id=int(member.id))
    assert views[0].id == media_id and fetch(on_backend, views[0].variants["thumb"].url)[0] == 200

    call(on_backend, service(on_backend).release, "diary:1")

    assert on_backend.get(f"/v1/media/{media_id}").status_code == 404
    assert call(on_backend, service(on_backend).views, [media_id]) == {}
    if "/media/" in url_of(body) and "X-Amz" not in url_of(body):
        assert fetch(on_backend, url_of(body))[0] == 404
    assert len(stored_keys(on_backend)) == 3

    assert call(on_backend, service(on_backend).sweep) == 1

    assert stored_keys(on_backend) == set() and rows(on_backend) == []


def test_hidden_media_are_not_served_until_restored(client: TestClient) -> None:
    owner, stranger, moderator = sign_up(client), sign_up(client), sign_up(client, role="moderator")
    body = uploaded(client, owner)
    media_id = str(body["id"])
    call(client, service(client).attach, "review:5", [media_id], owner_id=int(owner.id))

    call(client, service(client).set_visible, "review:5", False)

    assert fetch(client, url_of(body))[0] == 404
    assert client.get(f"/v1/media/{media_id}", headers=stranger.headers).status_code == 404
    assert call(client, service(client).views, [media_id]) == {}
    for reader in (owner, moderator):
        seen = client.get(f"/v1/media/{media_id}", headers=reader.headers)
        assert seen.status_code == 200
        private = url_of(seen.json())
        assert "/v1/media/" in private and fetch(client, private, reader.headers)[0] == 200
        assert fetch(client, private, stranger.headers)[0] == 404

    call(client, service(client).set_visible, "review:5", True)

    assert fetch(client, url_of(body))[0] == 200
    assert media_id in call(client, service(client).views, [media_id])


def test_attaching_refuses_others_uploads_wrong_purposes_and_double_use(client: TestClient) -> None:
    owner, other = sign_up(client), sign_up(client)
    mine, theirs = str(uploaded(client, owner)["id"]), str(uploaded(client, other)["id"])
    evidence = str(uploaded(client, owner, "evidence")["id"])
    attach = service(client).attach

    with pytest.raises(MediaError) as not_mine:
        call(client, attach, "diary:1", [mine, theirs], owner_id=int(owner.id))
    with pytest.raises(MediaError) as wrong_purpose:
        call(client, attach, "diary:1", [evidence], owner_id=int(owner.id))
    call(client, attach, "diary:1", [mine], owner_id=int(owner.id))
    with pytest.raises(MediaError) as taken:
        call(client, attach, "diary:2", [mine], owner_id=int(owner.id))

    assert not_mine.value.media_id == theirs
    assert wrong_purpose.value.media_id == evidence
    assert taken.value.media_id == mine
    assert {r.id: r.holder for r in rows(client)}[mine] == "diary:1"
    # Attaching again to the same holder is harmless.
    assert [v.id for v in call(client, attach, "diary:1", [mine], owner_id=int(owner.id))] == [mine]


def test_replace_releases_what_is_no_longer_listed(client: TestClient) -> None:
    owner = sign_up(client)
    first, second, third = (str(uploaded(client, owner)["id"]) for _ in range(3))
    svc = service(client)
    call(client, svc.attach, "diary-entry:3", [first, second], owner_id=int(owner.id))

    call(client, svc.replace, "diary-entry:3", [second, third], owner_id=int(owner.id))

    status = {r.id: (r.status, r.holder) for r in rows(client)}
    assert status[first][0] == "released"
    assert status[second] == status[third] == ("attached", "diary-entry:3")


def test_a_pending_upload_expires_after_the_ttl_with_its_objects(on_backend: TestClient) -> None:
    member = sign_up(on_backend)
    stale = str(uploaded(on_backend, member)["id"])
    assert call(on_backend, service(on_backend).sweep) == 0

    clock.advance(seconds=DAY + 60)
    fresh = str(uploaded(on_backend, member)["id"])

    with pytest.raises(MediaError):
        call(on_backend, service(on_backend).attach, "diary:1", [stale], owner_id=int(member.id))
    assert call(on_backend, service(on_backend).sweep) == 1
    assert [r.id for r in rows(on_backend)] == [fresh]
    assert {k.split("/")[0] for k in stored_keys(on_backend)} == {fresh}


def test_objects_without_a_row_are_deleted_once_older_than_the_ttl(on_backend: TestClient) -> None:
    storage = service(on_backend).storage
    call(on_backend, storage.put, "orphanid/large.webp", b"RIFF-left-over", "image/webp")

    assert call(on_backend, service(on_backend).sweep) == 0
    assert stored_keys(on_backend) == {"orphanid/large.webp"}

    clock.advance(seconds=DAY + 60)

    assert call(on_backend, service(on_backend).sweep) == 1
    assert stored_keys(on_backend) == set()


def test_the_owner_deletes_an_unattached_upload_but_not_an_attached_one(client: TestClient) -> None:
    owner, other = sign_up(client), sign_up(client)
    loose, used = str(uploaded(client, owner)["id"]), str(uploaded(client, owner)["id"])
    call(client, service(client).attach, "question:9", [used], owner_id=int(owner.id))

    by_other = client.delete(f"/v1/media/{loose}", headers=other.headers)
    anonymous = client.delete(f"/v1/media/{loose}")
    attached = client.delete(f"/v1/media/{used}", headers=owner.headers)
    deleted = client.delete(f"/v1/media/{loose}", headers=owner.headers)

    assert (by_other.status_code, anonymous.status_code, attached.status_code, deleted.status_code) == (
        404, 401, 409, 204)
    assert [r.id for r in rows(client)] == [used]
    assert {k.split("/")[0] for k in stored_keys(client)} == {used, "public"}
    assert client.get(f"/v1/media/{loose}", headers=owner.headers).status_code == 404


def test_erasing_an_account_stops_serving_its_uploads_and_the_sweeper_deletes_them(client: TestClient) -> None:
    owner, other = sign_up(client), sign_up(client)
    kept = str(uploaded(client, other)["id"])
    for _ in range(2):
        uploaded(client, owner)
    assert len(call(client, service(client).owned, int(owner.id))) == 2

    assert call(client, service(client).erase_owner, int(owner.id)) == 2

    assert call(client, service(client).owned, int(owner.id)) == []
    call(client, service(client).sweep)
    assert [r.id for r in rows(client)] == [kept]


class CaseTokens:
    """Moderation's CaseAccess, as a test double: one notice with one token."""

    async def may_read(self, holder: str, case_token: str) -> bool:
        return holder == "notice:7" and case_token == "case-token-7"


def test_evidence_is_read_only_by_moderators_the_uploader_and_the_case_token(client: TestClient) -> None:
    app_state = client.app.state  # type: ignore[attr-defined]
    app_state.services = dataclasses.replace(app_state.services, case_access=CaseTokens())
    member, moderator = sign_up(client), sign_up(client, role="moderator")
    anonymous = uploaded(client, None, "evidence")
    by_member = uploaded(client, member, "evidence")
    evidence_id = str(anonymous["id"])
    case = {"X-Case-Token": "case-token-7"}

    assert "/v1/media/" in url_of(anonymous) and "/media/" not in url_of(anonymous).replace("/v1/media/", "")
    assert client.get(f"/v1/media/{evidence_id}").status_code == 404
    assert client.get(f"/v1/media/{evidence_id}", headers=case).status_code == 404
    assert client.get(f"/v1/media/{evidence_id}", headers=member.headers).status_code == 404
    assert client.get(f"/v1/media/{evidence_id}", headers=moderator.headers).status_code == 200
    assert client.get(f"/v1/media/{by_member['id']}", headers=member.headers).status_code == 200

    call(client, service(client).attach, "notice:7", [evidence_id], owner_id=None, purposes=("evidence",))

    seen = client.get(f"/v1/media/{evidence_id}", headers=case)
    assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"
    status, headers, _ = fetch(client, url_of(seen.json()), case)
    assert status == 200 and headers["cache-control"] == "private, no-store"
    assert fetch(client, url_of(seen.json()), {"X-Case-Token": "wrong"})[0] == 404
    assert fetch(client, url_of(seen.json()))[0] == 404
    # Its object key is not served by the public file route either.
    key = next(r for r in rows(client) if r.id == evidence_id).variants["thumb"]["key"]
    assert client.get(f"/media/{key}").status_code == 404
    assert evidence_id in call(client, service(client).views, [evidence_id])


def test_public_file_urls_refuse_paths_that_are_not_keys(client: TestClient) -> None:
    for path in ("/media/../meiji.sqlite3", "/media/%2e%2e/meiji.sqlite3", "/media/abc", "/media/ABC/thumb.webp"):
        r = client.get(path)
        assert r.status_code == 404, path


def test_the_lifecycle_on_each_database(db_client: TestClient) -> None:
    owner = sign_up(db_client)
    first, second = str(uploaded(db_client, owner)["id"]), str(uploaded(db_client, owner)["id"])
    svc = service(db_client)
    call(db_client, svc.attach, "diary:1", [first, second], owner_id=int(owner.id))
    call(db_client, svc.set_visible, "diary:1", False)
    assert call(db_client, svc.views, [first, second]) == {}
    call(db_client, svc.set_visible, "diary:1", True)

    call(db_client, svc.replace, "diary:1", [second], owner_id=int(owner.id))

    assert set(call(db_client, svc.views, [first, second])) == {second}
    assert call(db_client, svc.sweep) == 1
    assert [r.id for r in rows(db_client)] == [second]
    # Its three variants kept privately, and their public copies while it is published.
    assert len(stored_keys(db_client)) == 6
