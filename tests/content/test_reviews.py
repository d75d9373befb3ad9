"""Reviews (评价) over HTTP, and the rating summaries of clinics and doctors that follow them."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from content.services import set_status
from tests.conftest import sign_up, upload
from tests.content.factories import NEGATIVE, POSITIVE, diary, reference, review


def rating(client: TestClient, ref: dict[str, Any], kind: str = "clinic") -> dict[str, Any]:
    target = ref["clinic"] if kind == "clinic" else ref["doctor"]
    return client.get(f"/v1/{kind}s/{target['id']}").json()["rating"]  # type: ignore[no-any-return]


def test_reviews_move_the_rating_summary(db_client: TestClient) -> None:
    ref = reference(db_client)
    a, b = sign_up(db_client), sign_up(db_client)
    review(db_client, a, ref, rating=5, scores={"effect": 5, "service": 4})
    second = review(db_client, b, ref, rating=2, scores={"effect": 1}, body=f"<p>{NEGATIVE[0]}</p>")
    summary = rating(db_client, ref)
    assert summary["count"] == 2 and summary["average"] == 3.5
    assert summary["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert summary["scores"]["effect"] == 3.0 and summary["scores"]["service"] == 4.0

    r = db_client.patch(f"/v1/reviews/{second['id']}", json={"rating": 4}, headers=b.headers)
    assert r.status_code == 200
    summary = rating(db_client, ref)
    assert summary["average"] == 4.5 and summary["distribution"]["4"] == 1 and summary["distribution"]["2"] == 0

    assert db_client.delete(f"/v1/reviews/{second['id']}", headers=b.headers).status_code == 204
    assert rating(db_client, ref)["count"] == 1
    assert db_client.get(f"/v1/reviews/{second['id']}").status_code == 404


def test_hidden_and_removed_reviews_leave_the_rating(client: TestClient) -> None:
    ref = reference(client)
    a = sign_up(client)
    rv = review(client, a, ref, target_type="doctor", target_id=ref["doctor"]["id"], rating=1)
    state = client.app.state.services  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    assert rating(client, ref, "doctor")["count"] == 1
    portal.call(lambda: set_status(state, "review", rv["id"], "hidden"))
    assert rating(client, ref, "doctor")["count"] == 0
    portal.call(lambda: set_status(state, "review", rv["id"], "removed", case_id="C-7", reason="广告"))
    assert rating(client, ref, "doctor")["count"] == 0
    assert client.get(f"/v1/reviews/{rv['id']}").status_code == 451
    portal.call(lambda: set_status(state, "review", rv["id"], "published"))
    assert rating(client, ref, "doctor") == {"average": 1.0, "count": 1,
                                             "distribution": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
                                             "scores": {"effect": 5.0, "service": 4.0, "environment": None,
                                                        "professionalism": None}}


def test_second_live_review_is_409_until_deleted(db_client: TestClient) -> None:
    ref = reference(db_client)
    a = sign_up(db_client)
    first = review(db_client, a, ref)
    again = db_client.post("/v1/reviews", json={"target_type": "clinic", "target_id": ref["clinic"]["id"],
                                                "rating": 3, "body": POSITIVE[3]}, headers=a.headers)
    assert again.status_code == 409
    assert db_client.delete(f"/v1/reviews/{first['id']}", headers=a.headers).status_code == 204
    review(db_client, a, ref, rating=3)


def test_validation_and_permissions(client: TestClient) -> None:
    ref = reference(client)
    a, b = sign_up(client), sign_up(client)
    base = {"target_type": "clinic", "target_id": ref["clinic"]["id"], "rating": 4, "body": POSITIVE[4]}
    assert client.post("/v1/reviews", json=base).status_code == 401
    for bad, field in (({"rating": 6}, "rating"), ({"target_type": "hospital"}, "target_type"),
                       ({"target_id": "777"}, "target_id"), ({"scores": {"effect": 0}}, "scores.effect"),
                       ({"diary_id": "999"}, "diary_id"), ({"media_ids": [upload(client, b)]}, "media_ids.0"),
                       ({"body": "<script>只有脚本</script>"}, "body")):
        r = client.post("/v1/reviews", json={**base, **bad}, headers=a.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (bad, r.text)
    rv = review(client, a, ref, diary_id=diary(client, a, ref)["id"], media_ids=[upload(client, a)])
    assert len(rv["media"]) == 1 and rv["diary_id"]
    assert client.patch(f"/v1/reviews/{rv['id']}", json={"rating": 1}, headers=b.headers).status_code == 403
    assert client.delete(f"/v1/reviews/{rv['id']}", headers=b.headers).status_code == 403
    tag = client.get(f"/v1/reviews/{rv['id']}").headers["etag"]
    assert client.patch(f"/v1/reviews/{rv['id']}", json={"rating": 3},
                        headers={**a.headers, "If-Match": tag}).status_code == 200
    assert client.patch(f"/v1/reviews/{rv['id']}", json={"rating": 2},
                        headers={**a.headers, "If-Match": tag}).status_code == 412
    assert client.get("/v1/reviews/abc").status_code == 404


def test_list_filters_and_helpful_sort(db_client: TestClient) -> None:
    ref = reference(db_client)
    members = [sign_up(db_client) for _ in range(3)]
    made = [review(db_client, m, ref, rating=r) for m, r in zip(members, (5, 2, 4), strict=True)]
    listed = db_client.get(f"/v1/reviews?target_type=clinic&target_id={ref['clinic']['id']}&min_rating=4").json()
    assert [r["id"] for r in listed["items"]] == [made[2]["id"], made[0]["id"]]
    portal = db_client.portal
    assert portal is not None
    from content.visibility import bump

    portal.call(lambda: bump("review", int(made[1]["id"]), like_count=3))
    helpful = db_client.get("/v1/reviews?sort=helpful&limit=2").json()
    assert helpful["items"][0]["id"] == made[1]["id"] and helpful["items"][0]["like_count"] == 3
    rest = db_client.get(f"/v1/reviews?sort=helpful&limit=2&cursor={helpful['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_a_review_of_a_doctor_is_found_under_the_doctor_s_clinic(client: TestClient) -> None:
    from tests.content.factories import drain

    ref = reference(client)
    author = sign_up(client)
    review(client, author, ref, target_type="doctor", target_id=ref["doctor"]["id"],
           body="<p>李医生做的双眼皮很自然，术后第七天就消肿了</p>")
    drain(client)

    def found(clinic_id: str) -> list[str]:
        r = client.get("/v1/search", params={"q": "消肿", "clinic_id": clinic_id})
        assert r.status_code == 200, r.text
        return [hit["type"] for hit in r.json()["items"]]

    first = ref["clinic"]["id"]
    assert found(first) == ["review"]
    other = client.post("/v1/clinics", json={"name": "北京八大处整形医院", "city": "北京"},
                        headers=ref["editor"].headers).json()["id"]
    assert found(other) == []
    # The doctor moves: their reviews follow them to the new clinic.
    moved = client.patch(f"/v1/doctors/{ref['doctor']['id']}", json={"clinic_id": other},
                         headers={**ref["editor"].headers, "If-Match": client.get(
                             f"/v1/doctors/{ref['doctor']['id']}").headers["ETag"]})
    assert moved.status_code == 200, moved.text
    drain(client)
    assert found(other) == ["review"]
    assert found(first) == []
