"""Procedures, clinics and doctors: editors write, anyone reads."""

from __future__ import annotations

from starlette.testclient import TestClient

import search.services
from search.models import OutboxEntry
from tests.conftest import sign_up
from tests.content.factories import reference


def test_editor_creates_and_anyone_reads(db_client: TestClient) -> None:
    ref = reference(db_client)
    r = db_client.get("/v1/procedures/double-eyelid")
    assert r.status_code == 200
    assert r.json()["name"] == "双眼皮" and r.json()["aliases"] == ["重睑术", "割双眼皮"]
    clinic = db_client.get(f"/v1/clinics/{ref['clinic']['id']}").json()
    assert clinic["city"] == "成都"
    assert clinic["rating"] == {"average": None, "count": 0, "distribution": {str(i): 0 for i in range(1, 6)},
                                "scores": {"effect": None, "service": None, "environment": None,
                                           "professionalism": None}}
    doctors = db_client.get(f"/v1/doctors?clinic_id={ref['clinic']['id']}").json()
    assert [d["name"] for d in doctors["items"]] == ["李明"]
    assert db_client.get("/v1/procedures?q=重睑").json()["items"][0]["slug"] == "double-eyelid"


def test_members_cannot_write_and_missing_is_404(client: TestClient) -> None:
    member = sign_up(client)
    r = client.post("/v1/procedures", json={"slug": "thermage", "name": "热玛吉"}, headers=member.headers)
    assert r.status_code == 403
    assert client.post("/v1/clinics", json={"name": "某诊所", "city": "北京"}).status_code == 401
    assert client.get("/v1/procedures/nope").status_code == 404
    assert client.get("/v1/clinics/999").status_code == 404
    assert client.get("/v1/doctors/abc").status_code == 404


def test_taken_slug_is_409_and_bad_refs_422(client: TestClient) -> None:
    ref = reference(client)
    editor = ref["editor"]
    r = client.post("/v1/procedures", json={"slug": "double-eyelid", "name": "双眼皮"}, headers=editor.headers)
    assert r.status_code == 409
    r = client.post("/v1/doctors", json={"name": "王芳", "clinic_id": "424242"}, headers=editor.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "clinic_id"
    r = client.post("/v1/procedures", json={"slug": "has space", "name": "x"}, headers=editor.headers)
    assert r.status_code == 422


def test_patch_honours_if_match_and_reloads_vocabulary(client: TestClient) -> None:
    ref = reference(client)
    editor = ref["editor"]
    portal = client.portal
    assert portal is not None
    state = client.app.state.services  # type: ignore[attr-defined]
    portal.call(lambda: search.services.drain(state.search, state.documents))
    tag = client.get("/v1/procedures/double-eyelid").headers["etag"]
    r = client.patch("/v1/procedures/double-eyelid", json={"aliases": ["重睑术", "割双眼皮", "埋线双眼皮"]},
                     headers={**editor.headers, "If-Match": tag})
    assert r.status_code == 200 and "埋线双眼皮" in r.json()["aliases"]
    assert portal.call(OutboxEntry.filter(doc_type="vocabulary").count) >= 1
    stale = client.patch("/v1/procedures/double-eyelid", json={"name": "双眼皮手术"},
                         headers={**editor.headers, "If-Match": tag})
    assert stale.status_code == 412
    clinic_tag = client.get(f"/v1/clinics/{ref['clinic']['id']}").headers["etag"]
    r = client.patch(f"/v1/clinics/{ref['clinic']['id']}", json={"city": "上海"},
                     headers={**editor.headers, "If-Match": clinic_tag})
    assert r.status_code == 200 and r.json()["city"] == "上海"


def test_clinics_and_doctors_are_found_by_part_of_their_name(db_client: TestClient) -> None:
    client = db_client
    ref = reference(client)
    editor = ref["editor"]
    other = client.post("/v1/clinics", json={"name": "北京美莱医疗美容医院", "city": "北京"}, headers=editor.headers)
    assert other.status_code == 201, other.text
    assert client.post("/v1/doctors", json={"name": "王芳", "clinic_id": other.json()["id"]},
                       headers=editor.headers).status_code == 201

    clinics = client.get("/v1/clinics", params={"q": "华美"}).json()["items"]
    assert [c["name"] for c in clinics] == ["成都华美整形医院"]
    assert [c["name"] for c in client.get("/v1/clinics", params={"q": "医院"}).json()["items"]] == [
        "北京美莱医疗美容医院", "成都华美整形医院"]
    assert client.get("/v1/clinics", params={"q": "%"}).json()["items"] == []  # no SQL wildcard
    doctors = client.get("/v1/doctors", params={"q": "王"}).json()["items"]
    assert [d["name"] for d in doctors] == ["王芳"]
    assert client.get("/v1/doctors", params={"q": "李明", "clinic_id": other.json()["id"]}).json()["items"] == []
    r = client.get("/v1/clinics", params={"q": "医" * 81})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "q"
