"""Factories for content tests: reference data, diaries, entries and reviews through the API."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member, sign_up
from tests.corpus import own_reviews

# Reviews written for these tests (tests/corpus/zh), the same on every machine.
POSITIVE = list(own_reviews("pos"))
NEGATIVE = list(own_reviews("neg"))


def reference(client: TestClient) -> dict[str, Any]:
    """A procedure with aliases, a clinic and a doctor, created by an editor."""
    editor = sign_up(client, role="editor")
    r = client.post("/v1/procedures", json={"slug": "double-eyelid", "name": "双眼皮",
                                            "aliases": ["重睑术", "割双眼皮"]}, headers=editor.headers)
    assert r.status_code == 201, r.text
    clinic = client.post("/v1/clinics", json={"name": "成都华美整形医院", "city": "成都",
                                              "license_no": "PDY00001X510100"}, headers=editor.headers)
    assert clinic.status_code == 201, clinic.text
    doctor = client.post("/v1/doctors", json={"name": "李明", "clinic_id": clinic.json()["id"], "title": "主任医师"},
                         headers=editor.headers)
    assert doctor.status_code == 201, doctor.text
    return {"editor": editor, "procedure": "double-eyelid", "clinic": clinic.json(), "doctor": doctor.json()}


def diary(client: TestClient, member: Member, ref: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"title": "全切双眼皮恢复日记", "procedure": ref["procedure"], "operated_on": "2026-10-01",
            "clinic_id": ref["clinic"]["id"], "doctor_id": ref["doctor"]["id"], "price_cny": 12800,
            "anonymous": False, **fields}
    r = client.post("/v1/diaries", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def entry(client: TestClient, member: Member, diary_id: str, **fields: Any) -> dict[str, Any]:
    body = {"body": f"<p>{POSITIVE[0]}</p>", "happened_on": "2026-10-08", **fields}
    r = client.post(f"/v1/diaries/{diary_id}/entries", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def review(client: TestClient, member: Member, ref: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"target_type": "clinic", "target_id": ref["clinic"]["id"], "procedure": ref["procedure"], "rating": 5,
            "scores": {"effect": 5, "service": 4}, "body": f"<p>{POSITIVE[1]}</p>", "anonymous": False, **fields}
    r = client.post("/v1/reviews", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def drain(client: TestClient) -> None:
    """Index what the outbox names (the in-memory search has no background indexer in tests)."""
    import search.services

    state = client.app.state.services  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    while portal.call(search.services.drain, state.search, state.documents):
        pass
