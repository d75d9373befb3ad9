"""What a suspended member can still do (everything but publishing and interacting), and what
suspended staff can no longer do (anything a staff role allows)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Member, photo_bytes, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of
from tests.moderation.test_accounts import can_post, sign_in, take_down
from tests.moderation.test_notices import COUNTER


def suspend(client: TestClient, member: Member, moderator: Member) -> tuple[str, str]:
    """Three upheld cases: the member is suspended. Returns the last case (id, token)."""
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    last = take_down(client, member, moderator)
    assert can_post(client, member) == 403
    return last


def send_photo(client: TestClient, member: Member, purpose: str) -> int:
    r = client.post("/v1/media", files={"file": ("proof.jpg", photo_bytes(color=(90, 140, 60)), "image/jpeg")},
                    data={"purpose": purpose}, headers=member.headers)
    return r.status_code


def test_a_suspended_member_keeps_every_right_but_publishing(
        client: TestClient, member: Member, moderator: Member) -> None:
    kept = ask(client, member, body="<p>请问做完热玛吉多久可以化妆？</p>")
    other = ask(client, sign_up(client), body="<p>玻尿酸填充苹果肌能维持多久？</p>")
    case_id, _ = suspend(client, member, moderator)
    reader = sign_up(client)

    # Publishing and interacting stop.
    assert client.post(f"/v1/questions/{other}/answers", json={"body": "<p>一般半年到一年。</p>", "anonymous": False},
                       headers=member.headers).status_code == 403
    assert client.put(f"/v1/likes/question/{other}", headers=member.headers).status_code == 403
    assert client.post("/v1/comments", json={"target_type": "question", "target_id": other, "body": "同问"},
                       headers=member.headers).status_code == 403
    assert send_photo(client, member, "post") == 403

    # Reading and exporting stay open.
    assert client.get(f"/v1/questions/{other}", headers=member.headers).status_code == 200
    exported = client.get("/v1/me/export", headers=member.headers)
    assert exported.status_code == 200 and kept in exported.text

    # Deleting one's own post: gone for everyone.
    assert client.delete(f"/v1/questions/{kept}", headers=member.headers).status_code == 204
    assert client.get(f"/v1/questions/{kept}", headers=reader.headers).status_code == 404

    # A counter-notice with evidence uploaded for it.
    r = client.post("/v1/media", files={"file": ("proof.jpg", photo_bytes(color=(90, 140, 60)), "image/jpeg")},
                    data={"purpose": "evidence"}, headers=member.headers)
    assert r.status_code == 201, r.text
    proof = r.json()["id"]
    r = client.post(f"/v1/notices/{case_id}/counter-notices", json={**COUNTER, "proof_media_ids": [proof]},
                    headers=member.headers)
    assert r.status_code == 201, r.text
    assert client.get(f"/v1/media/{proof}", headers=reader.headers).status_code == 404  # evidence stays private

    # Signing out ends the token; signing in again works; the account can be deleted.
    assert client.delete("/v1/sessions/current", headers=member.headers).status_code == 204
    assert client.get("/v1/me", headers=member.headers).status_code == 401
    member = sign_in(client, member)
    assert client.post("/v1/me/notifications/read", json={"all": True}, headers=member.headers).status_code == 200
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"}, headers=member.headers)
    assert r.status_code == 204, r.text
    assert client.get(f"/v1/accounts/{member.id}", headers=reader.headers).status_code == 404
    assert client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD}).status_code == 401


def test_a_suspended_moderator_loses_staff_rights_at_once(client: TestClient, moderator: Member) -> None:
    colleague = sign_up(client, role="moderator")
    author = sign_up(client)
    secret = ask(client, author, anonymous=True, body="<p>匿名问一下，私密部位整形的恢复期有多长？</p>")
    case_id, _ = file_notice(client, [{"type": "question", "id": secret}])
    assert client.get("/v1/moderation/queue", headers=colleague.headers).status_code == 200
    assert client.get(f"/v1/notices/{case_id}", headers=colleague.headers).status_code == 200

    suspend(client, colleague, moderator)
    queue = client.get("/v1/moderation/queue", headers=colleague.headers)
    assert queue.status_code == 403 and author.handle not in queue.text
    assert client.get("/v1/moderation/log", headers=colleague.headers).status_code == 403
    assert client.get(f"/v1/notices/{case_id}", headers=colleague.headers).status_code == 404
    item = item_of(client, moderator, "question", secret)
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=colleague.headers).status_code == 403
    assert client.post(f"/v1/moderation/accounts/{colleague.id}/reinstatement", json={"reason": "自己恢复"},
                       headers=colleague.headers).status_code == 403
    # Removed content is closed to them like to any member.
    decide(client, moderator, item["id"], "remove", "侵权成立")
    assert client.get(f"/v1/questions/{secret}", headers=colleague.headers).status_code == 451

    assert client.post(f"/v1/moderation/accounts/{colleague.id}/reinstatement", json={"reason": "申诉成立"},
                       headers=moderator.headers).status_code == 204
    assert client.get("/v1/moderation/queue", headers=colleague.headers).status_code == 200
