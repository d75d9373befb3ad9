"""Fixtures and factories of the moderation tests: content to act on, notices, moderators, time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import Member, photo_bytes, sign_up


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    """Tests move time forward (``clock.advance(days=16)``); put it back afterwards."""
    offset = clock.offset
    yield
    clock.offset = offset


@pytest.fixture
def moderator(client: TestClient) -> Member:
    return sign_up(client, role="moderator")


def ask(client: TestClient, member: Member, *, anonymous: bool = False,
        body: str = "<p>做完双眼皮第七天，肿得厉害，请问冷敷到第几天比较合适？</p>") -> str:
    """A question of ``member``'s, through the API."""
    r = client.post("/v1/questions", json={"title": "双眼皮术后冷敷要敷几天？", "body": body,
                                           "anonymous": anonymous}, headers=member.headers)
    assert r.status_code == 201, r.text
    question_id: str = r.json()["id"]
    return question_id


def answer(client: TestClient, member: Member, question_id: str,
           body: str = "<p>一般前三天冷敷，之后改热敷，消肿会快一些。</p>") -> str:
    r = client.post(f"/v1/questions/{question_id}/answers", json={"body": body, "anonymous": False},
                    headers=member.headers)
    assert r.status_code == 201, r.text
    answer_id: str = r.json()["id"]
    return answer_id


def evidence(client: TestClient) -> str:
    """An evidence photo uploaded without an account, as a rights holder does."""
    r = client.post("/v1/media", files={"file": ("proof.jpg", photo_bytes(color=(40, 90, 160)), "image/jpeg")},
                    data={"purpose": "evidence"})
    assert r.status_code == 201, r.text
    media_id: str = r.json()["id"]
    return media_id


CLAIMANT = {"name": "林晓雯", "email": "lin.xiaowen@example.cn", "phone": "+86 139-1234-5678",
            "address": "上海市徐汇区漕溪北路88号12楼", "organization": "晓雯摄影工作室"}
CONTACT_DETAILS = ("lin.xiaowen@example.cn", "139-1234-5678", "13912345678", "漕溪北路88号")


def notice_body(targets: list[dict[str, str]], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "notice_type": "copyright",
        "claimant": dict(CLAIMANT),
        "work": {"description": "本人2024年为客户拍摄的术后恢复对比照，原图首发于工作室官网。",
                 "original_url": "https://studio.example.cn/works/2024/0815", "proof_media_ids": []},
        "targets": targets,
        "description": "该帖未经许可使用了本人拍摄的照片，请删除。",
        "good_faith": True,
        "accurate": True,
        "signature": "林晓雯",
    }
    body.update(changes)
    return body


def file_notice(client: TestClient, targets: list[dict[str, str]], **changes: Any) -> tuple[str, str]:
    """A notice through the API: (case_id, access_token)."""
    r = client.post("/v1/notices", json=notice_body(targets, **changes))
    assert r.status_code == 201, r.text
    data = r.json()
    return data["case_id"], data["access_token"]


def item_of(client: TestClient, moderator: Member, target_type: str, target_id: str,
            status: str | None = None) -> dict[str, Any]:
    """The queue item of a target (the live one unless ``status`` says otherwise)."""
    query = f"?limit=100&status={status}" if status else "?limit=100"
    r = client.get(f"/v1/moderation/queue{query}", headers=moderator.headers)
    assert r.status_code == 200, r.text
    found = [i for i in r.json()["items"] if i["target"]["type"] == target_type and i["target"]["id"] == target_id]
    assert found, f"no queue item for {target_type} {target_id}"
    item: dict[str, Any] = found[-1]
    return item


def decide(client: TestClient, moderator: Member, item_id: str, action: str,
           reason: str = "核实后处理") -> dict[str, Any]:
    """Claim the item and decide it; both must succeed."""
    r = client.post(f"/v1/moderation/queue/{item_id}/claim", headers=moderator.headers)
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/moderation/queue/{item_id}/decisions", json={"action": action, "reason": reason},
                    headers=moderator.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def tick(client: TestClient) -> dict[str, int]:
    """Run the scheduler's moderation timers once, as ``meiji moderation tick`` does."""
    import moderation.services

    portal = client.portal
    assert portal is not None
    result: dict[str, int] = portal.call(moderation.services.tick, client.app.state.services)  # type: ignore[attr-defined]
    return result


def notifications(client: TestClient, member: Member) -> list[dict[str, Any]]:
    r = client.get("/v1/me/notifications?limit=100", headers=member.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
