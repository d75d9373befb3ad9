"""Professional accounts over HTTP: the admin verifies clinic staff and doctors, the clinic replies to
reviews (one official reply that follows the review and can be reported), doctors' answers rank after
the accepted one, and staff cannot review their own clinic or game reviews with likes and reports."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import PASSWORD, AppFactory, Member, sign_up
from tests.content.factories import NEGATIVE, POSITIVE, reference, review

THANKS = "<p>感谢您的评价，我们已安排护士长回访，术后有任何不适请随时到院复查。</p>"


def professionals(client: TestClient) -> dict[str, Any]:
    """Reference data, an admin, the clinic's staff, its doctor's account and a rival clinic's staff."""
    ref = reference(client)
    admin = sign_up(client, role="admin")
    rival = client.post("/v1/clinics", json={"name": "成都美莱医疗美容医院", "city": "成都"},
                        headers=ref["editor"].headers)
    assert rival.status_code == 201, rival.text
    people = {"ref": ref, "admin": admin, "staff": sign_up(client), "doctor": sign_up(client),
              "rival": rival.json(), "rival_staff": sign_up(client)}
    link(client, admin, f"/v1/clinics/{ref['clinic']['id']}/staff/{people['staff'].id}")
    link(client, admin, f"/v1/doctors/{ref['doctor']['id']}/account/{people['doctor'].id}")
    link(client, admin, f"/v1/clinics/{rival.json()['id']}/staff/{people['rival_staff'].id}")
    return people


def link(client: TestClient, admin: Member, path: str) -> dict[str, Any]:
    r = client.put(path, headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def reply(client: TestClient, who: Member, review_id: str, body: str = THANKS, **headers: str) -> Any:
    return client.put(f"/v1/reviews/{review_id}/reply", json={"body": body}, headers={**who.headers, **headers})


def notifications(client: TestClient, member: Member, kind: str) -> list[dict[str, Any]]:
    r = client.get("/v1/me/notifications", headers=member.headers)
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == kind]


def test_admin_verifies_staff_and_doctors_and_profiles_show_it(client: TestClient) -> None:
    ref = reference(client)
    admin, staff, doctor, stranger = (sign_up(client, role="admin"), sign_up(client), sign_up(client),
                                      sign_up(client))
    clinic, doc = ref["clinic"], ref["doctor"]
    path = f"/v1/clinics/{clinic['id']}/staff/{staff.id}"
    assert client.put(path).status_code == 401
    assert client.put(path, headers=staff.headers).status_code == 403
    assert client.put(path, headers=ref["editor"].headers).status_code == 403

    linked = link(client, admin, path)
    assert linked == {"account_id": staff.id, "verified": {"type": "clinic", "id": clinic["id"],
                                                           "name": "成都华美整形医院"}}
    assert link(client, admin, path) == linked  # again: nothing changes
    assert link(client, admin, f"/v1/doctors/{doc['id']}/account/{doctor.id}")["verified"] == {
        "type": "doctor", "id": doc["id"], "name": "李明"}

    # One identity per account, one account per doctor.
    assert client.put(f"/v1/doctors/{doc['id']}/account/{staff.id}", headers=admin.headers).status_code == 409
    assert client.put(f"/v1/doctors/{doc['id']}/account/{stranger.id}", headers=admin.headers).status_code == 409
    assert client.put(f"/v1/clinics/{clinic['id']}/staff/999999", headers=admin.headers).status_code == 404
    assert client.put(f"/v1/clinics/999999/staff/{stranger.id}", headers=admin.headers).status_code == 404

    for headers in ({}, stranger.headers):
        assert client.get(f"/v1/accounts/{staff.id}", headers=headers).json()["verified"] == linked["verified"]
        assert client.get(f"/v1/accounts/{doctor.id}", headers=headers).json()["verified"]["type"] == "doctor"
        assert client.get(f"/v1/accounts/{stranger.id}", headers=headers).json()["verified"] is None

    assert client.delete(path, headers=staff.headers).status_code == 403
    assert client.delete(path, headers=admin.headers).status_code == 204
    assert client.delete(path, headers=admin.headers).status_code == 404
    assert client.get(f"/v1/accounts/{staff.id}").json()["verified"] is None
    # Unlinked, the account may speak for the doctor now that nobody else does.
    assert client.delete(f"/v1/doctors/{doc['id']}/account/{doctor.id}", headers=admin.headers).status_code == 204
    assert link(client, admin, f"/v1/doctors/{doc['id']}/account/{staff.id}")["verified"]["name"] == "李明"


def test_the_clinic_replies_once_and_the_anonymous_reviewer_is_told(db_client: TestClient) -> None:
    client = db_client
    p = professionals(client)
    ref, staff, doctor, rival_staff = p["ref"], p["staff"], p["doctor"], p["rival_staff"]
    reviewer, stranger = sign_up(client), sign_up(client)
    rv = review(client, reviewer, ref, anonymous=True, rating=2, body=f"<p>{NEGATIVE[0]}</p>")

    # Neither a stranger, the rival clinic, nor a doctor replying to a review of the clinic itself.
    for who in (stranger, rival_staff, doctor):
        assert reply(client, who, rv["id"]).status_code == 403
    assert reply(client, reviewer, rv["id"]).status_code == 403
    empty = reply(client, staff, rv["id"], body="<p> </p>")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body", empty.text

    r = reply(client, staff, rv["id"], body=THANKS + "<script>alert(1)</script>")
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["author"] is None and shown["is_mine"] is False  # the clinic learns nothing of the reviewer
    assert shown["reply"]["by"] == {"type": "clinic", "id": ref["clinic"]["id"], "name": "成都华美整形医院"}
    assert "<script" not in shown["reply"]["body"] and "护士长回访" in shown["reply"]["text"]
    assert staff.handle not in r.text  # the reply speaks for the clinic, not the employee

    for headers in ({}, stranger.headers, reviewer.headers):
        one = client.get(f"/v1/reviews/{rv['id']}", headers=headers).json()
        assert one["reply"]["by"]["type"] == "clinic" and one["reply"]["created_at"], one
        listed = client.get(f"/v1/reviews?target_type=clinic&target_id={ref['clinic']['id']}", headers=headers)
        assert [i["reply"]["text"] for i in listed.json()["items"]] == [shown["reply"]["text"]]

    told = notifications(client, reviewer, "review_reply")
    assert len(told) == 1 and told[0]["payload"]["review_id"] == rv["id"], told
    assert told[0]["payload"]["replier"]["name"] == "成都华美整形医院"

    # One reply: a second PUT replaces it (If-Match honoured) and tells nobody again.
    stale = reply(client, staff, rv["id"], body="<p>我们会改进。</p>", **{"If-Match": '"stale"'})
    assert stale.status_code == 412
    again = reply(client, staff, rv["id"], body="<p>已与您电话沟通，后续修复费用由我院承担。</p>",
                  **{"If-Match": r.headers["etag"]})
    assert again.status_code == 200 and again.json()["reply"]["id"] == shown["reply"]["id"]
    assert "修复费用" in client.get(f"/v1/reviews/{rv['id']}").json()["reply"]["text"]
    assert len(notifications(client, reviewer, "review_reply")) == 1

    # Taken back: gone for everyone; a new reply is news again.
    assert client.delete(f"/v1/reviews/{rv['id']}/reply", headers=stranger.headers).status_code == 403
    assert client.delete(f"/v1/reviews/{rv['id']}/reply", headers=staff.headers).status_code == 204
    assert client.get(f"/v1/reviews/{rv['id']}").json()["reply"] is None
    assert client.get(f"/v1/review-replies/{shown['reply']['id']}").status_code == 404
    assert client.delete(f"/v1/reviews/{rv['id']}/reply", headers=staff.headers).status_code == 404
    assert reply(client, staff, rv["id"]).status_code == 200
    assert len(notifications(client, reviewer, "review_reply")) == 2


def test_a_doctor_and_the_doctors_clinic_reply_to_reviews_of_the_doctor(client: TestClient) -> None:
    p = professionals(client)
    ref, staff, doctor, rival_staff = p["ref"], p["staff"], p["doctor"], p["rival_staff"]
    reviewer = sign_up(client)
    rv = review(client, reviewer, ref, target_type="doctor", target_id=ref["doctor"]["id"],
                body=f"<p>{POSITIVE[2]}</p>")
    assert reply(client, rival_staff, rv["id"]).status_code == 403
    by_doctor = reply(client, doctor, rv["id"], body="<p>谢谢您的信任，记得按时复诊。</p>")
    assert by_doctor.status_code == 200, by_doctor.text
    assert by_doctor.json()["reply"]["by"] == {"type": "doctor", "id": ref["doctor"]["id"], "name": "李明"}
    # The clinic's staff may answer for the clinic instead: still one reply, now in the clinic's name.
    by_clinic = reply(client, staff, rv["id"])
    assert by_clinic.json()["reply"]["by"]["type"] == "clinic"
    assert by_clinic.json()["reply"]["id"] == by_doctor.json()["reply"]["id"]
    assert doctor.handle not in by_clinic.text and staff.handle not in by_clinic.text


def item_of(client: TestClient, moderator: Member, target_type: str, target_id: str) -> dict[str, Any]:
    r = client.get("/v1/moderation/queue?status=open", headers=moderator.headers)
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["target"]["type"] == target_type and i["target"]["id"] == target_id]
    return item  # type: ignore[no-any-return]


def report(client: TestClient, who: Member, target_type: str, target_id: str) -> None:
    r = client.post("/v1/reports", json={"target_type": target_type, "target_id": target_id,
                                         "reason": "advertising", "detail": "回复里在推销套餐"}, headers=who.headers)
    assert r.status_code == 201, r.text


def test_the_reply_follows_its_review_and_is_moderated_like_a_post(client: TestClient) -> None:
    p = professionals(client)
    ref, staff = p["ref"], p["staff"]
    reviewer, stranger = sign_up(client), sign_up(client)
    moderator = sign_up(client, role="moderator")
    rv = review(client, reviewer, ref, body=f"<p>{NEGATIVE[1]}</p>")
    reply_id = reply(client, staff, rv["id"]).json()["reply"]["id"]
    assert client.get(f"/v1/review-replies/{reply_id}").json()["by"]["type"] == "clinic"

    # The review is removed: its reply goes with it, and the clinic cannot write a new one.
    report(client, stranger, "review", rv["id"])
    item = item_of(client, moderator, "review", rv["id"])
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "辱骂"},
                    headers=moderator.headers)
    assert r.status_code == 200, r.text
    for headers in ({}, stranger.headers, staff.headers):
        assert client.get(f"/v1/review-replies/{reply_id}", headers=headers).status_code == 410
        assert client.get(f"/v1/reviews/{rv['id']}", headers=headers).status_code == 410
    assert reply(client, staff, rv["id"]).status_code == 410
    assert client.get("/v1/reviews").json()["items"] == []

    # The reply itself is reported and removed: the review stays, without it.
    other = review(client, stranger, ref, body=f"<p>{POSITIVE[3]}</p>")
    other_reply = reply(client, staff, other["id"], body="<p>欢迎加微信 huamei2026 领取优惠套餐</p>")
    other_id = other_reply.json()["reply"]["id"]
    report(client, reviewer, "review_reply", other_id)
    item = item_of(client, moderator, "review_reply", other_id)
    assert item["target"]["preview"], item
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "广告"},
                    headers=moderator.headers)
    assert r.status_code == 200, r.text
    for headers in ({}, reviewer.headers):
        assert client.get(f"/v1/reviews/{other['id']}", headers=headers).json()["reply"] is None
    assert client.get(f"/v1/review-replies/{other_id}").status_code == 410
    assert reply(client, staff, other["id"]).status_code == 410  # a removed reply is not written over


def test_staff_cannot_review_their_own_clinic_nor_like_reviews(client: TestClient) -> None:
    p = professionals(client)
    ref, staff, doctor, rival_staff = p["ref"], p["staff"], p["doctor"], p["rival_staff"]
    clinic, doc = ref["clinic"]["id"], ref["doctor"]["id"]
    body = {"procedure": ref["procedure"], "rating": 5, "body": "<p>环境一流，医生非常专业，强烈推荐！</p>",
            "anonymous": True}
    for who, target_type, target_id in ((staff, "clinic", clinic), (staff, "doctor", doc),
                                        (doctor, "doctor", doc), (doctor, "clinic", clinic)):
        r = client.post("/v1/reviews", json={**body, "target_type": target_type, "target_id": target_id},
                        headers=who.headers)
        assert r.status_code == 403, (who.handle, target_type, r.text)
    assert client.get("/v1/reviews").json()["items"] == []
    assert client.get(f"/v1/clinics/{clinic}").json()["rating"]["count"] == 0

    member = sign_up(client)
    rv = review(client, member, ref, body=f"<p>{POSITIVE[4]}</p>")
    for who in (staff, rival_staff, doctor):
        assert client.put(f"/v1/likes/review/{rv['id']}", headers=who.headers).status_code == 403
    assert client.put(f"/v1/likes/review/{rv['id']}", headers=sign_up(client).headers).status_code == 200
    assert client.get(f"/v1/reviews/{rv['id']}").json()["like_count"] == 1
    # Other posts stay likeable by them: only reviews are ranked by likes against clinics.
    question = client.post("/v1/questions", json={"title": "双眼皮多久能化妆？", "body": "<p>想早点上班</p>",
                                                  "anonymous": False}, headers=member.headers).json()
    assert client.put(f"/v1/likes/question/{question['id']}", headers=staff.headers).status_code == 200


def test_a_member_who_joins_a_clinics_staff_cannot_rewrite_their_review_of_it(client: TestClient) -> None:
    ref = reference(client)
    admin, member = sign_up(client, role="admin"), sign_up(client)
    rv = review(client, member, ref, rating=3, anonymous=True, body=f"<p>{NEGATIVE[1]}</p>")
    link(client, admin, f"/v1/clinics/{ref['clinic']['id']}/staff/{member.id}")
    r = client.patch(f"/v1/reviews/{rv['id']}", json={"rating": 5, "body": "<p>全城最好的医院，没有之一！</p>"},
                     headers=member.headers)
    assert r.status_code == 403, r.text
    shown = client.get(f"/v1/reviews/{rv['id']}").json()
    assert shown["rating"] == 3 and "全城最好" not in shown["body"]
    assert client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]["average"] == 3.0
    # Taking it down stays theirs to do.
    assert client.delete(f"/v1/reviews/{rv['id']}", headers=member.headers).status_code == 204


def test_reports_by_professionals_queue_a_review_but_never_hide_it(make_client: AppFactory) -> None:
    with make_client(autohide_reports=3, reporter_min_age_days=0) as client:
        p = professionals(client)
        ref = p["ref"]
        moderator = sign_up(client, role="moderator")
        rival_doctor = sign_up(client)
        second = client.post("/v1/doctors", json={"name": "王芳", "clinic_id": p["rival"]["id"], "title": "主治医师"},
                             headers=ref["editor"].headers).json()
        link(client, p["admin"], f"/v1/doctors/{second['id']}/account/{rival_doctor.id}")
        member = sign_up(client)
        rv = review(client, member, ref, rating=5, body=f"<p>{POSITIVE[5]}</p>")

        for who in (p["rival_staff"], rival_doctor, p["staff"]):
            report(client, who, "review", rv["id"])
        # Three reports, none counted: the review stays up, and a moderator still sees them all.
        assert client.get(f"/v1/reviews/{rv['id']}").status_code == 200
        assert item_of(client, moderator, "review", rv["id"])["report_count"] == 3
        for _ in range(3):
            report(client, sign_up(client), "review", rv["id"])
        assert client.get(f"/v1/reviews/{rv['id']}").status_code == 404  # hidden pending review


def answer(client: TestClient, who: Member, question_id: str, body: str, anonymous: bool = False) -> str:
    r = client.post(f"/v1/questions/{question_id}/answers", json={"body": body, "anonymous": anonymous},
                    headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


def test_doctors_answers_are_marked_and_ranked_after_the_accepted_one(db_client: TestClient) -> None:
    client = db_client
    p = professionals(client)
    ref, doctor, admin = p["ref"], p["doctor"], p["admin"]
    asker, a, b, voters = sign_up(client), sign_up(client), sign_up(client), [sign_up(client) for _ in range(3)]
    q = client.post("/v1/questions", json={"title": "全切双眼皮三个月还有疤，正常吗？",
                                           "body": "<p>疤痕还是发红，会不会一直这样？</p>", "anonymous": True},
                    headers=asker.headers).json()
    other = client.post("/v1/questions", json={"title": "热玛吉一年做几次合适？", "body": "<p>第一次做，想了解</p>",
                                               "anonymous": False}, headers=asker.headers).json()
    popular = answer(client, a, q["id"], "<p>我也是三个月还红，半年后就淡了。</p>")
    accepted = answer(client, b, q["id"], "<p>可以用硅酮凝胶，坚持涂三个月。</p>")
    by_doctor = answer(client, doctor, q["id"], "<p>术后三到六个月是疤痕增生期，发红属于正常，半年后逐渐变白变软。</p>")
    secret = answer(client, doctor, q["id"], "<p>私下说一句，别太焦虑。</p>", anonymous=True)
    answer(client, a, other["id"], "<p>一年一次就够了。</p>")
    for voter in voters:
        assert client.put(f"/v1/answers/{popular}/vote", json={"value": 1}, headers=voter.headers).status_code == 200
    r = client.put(f"/v1/questions/{q['id']}/accepted-answer", json={"answer_id": accepted}, headers=asker.headers)
    assert r.status_code == 200, r.text

    listed = client.get(f"/v1/questions/{q['id']}/answers").json()["items"]
    assert [x["id"] for x in listed] == [accepted, by_doctor, popular, secret]
    marks = {x["id"]: x["by_doctor"] for x in listed}
    assert marks[by_doctor] == {"id": ref["doctor"]["id"], "name": "李明", "clinic_id": ref["clinic"]["id"]}
    assert marks[secret] is None and marks[popular] is None and marks[accepted] is None
    # Page by page, the keyset cursor walks the same order, each answer once.
    walked, cursor = [], None
    while True:
        page = client.get(f"/v1/questions/{q['id']}/answers", params={"limit": 1, **({"cursor": cursor} if cursor
                                                                                      else {})}).json()
        walked += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [accepted, by_doctor, popular, secret]

    def ids(flag: str) -> list[str]:
        return [x["id"] for x in client.get(f"/v1/questions?answered_by_doctor={flag}").json()["items"]]

    assert ids("true") == [q["id"]] and ids("false") == [other["id"]]

    # Unverified, the doctor's answers lose the mark; verified again, they get it back.
    assert client.delete(f"/v1/doctors/{ref['doctor']['id']}/account/{doctor.id}",
                         headers=admin.headers).status_code == 204
    assert [x["by_doctor"] for x in client.get(f"/v1/questions/{q['id']}/answers").json()["items"]] == [None] * 4
    assert ids("true") == []
    link(client, admin, f"/v1/doctors/{ref['doctor']['id']}/account/{doctor.id}")
    assert ids("true") == [q["id"]]
    assert client.get(f"/v1/answers/{secret}").json()["by_doctor"] is None


def test_an_erased_doctors_kept_answers_carry_no_mark_and_the_doctor_can_be_linked_again(
        db_client: TestClient) -> None:
    client = db_client
    p = professionals(client)
    ref, doctor, admin = p["ref"], p["doctor"], p["admin"]
    asker, voter = sign_up(client), sign_up(client)
    q = client.post("/v1/questions", json={"title": "玻尿酸填充泪沟会不会有丁达尔现象？", "body": "<p>怕打完发青</p>",
                                           "anonymous": False}, headers=asker.headers).json()
    helpful = answer(client, sign_up(client), q["id"], "<p>我打在深层，半年了没有发青。</p>")
    marked = answer(client, doctor, q["id"], "<p>注射层次过浅才会出现丁达尔现象，选择有经验的医生即可避免。</p>")
    assert client.put(f"/v1/answers/{helpful}/vote", json={"value": 1}, headers=voter.headers).status_code == 200
    assert [x["id"] for x in client.get(f"/v1/questions/{q['id']}/answers").json()["items"]] == [marked, helpful]

    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "anonymize"},
                       headers=doctor.headers)
    assert r.status_code == 204, r.text
    listed = client.get(f"/v1/questions/{q['id']}/answers").json()["items"]
    # Kept and no longer anyone's: no doctor's mark, ranked as any answer (the voted one first).
    assert [x["id"] for x in listed] == [helpful, marked]
    assert all(x["by_doctor"] is None and x["author"] is None for x in listed if x["id"] == marked)
    assert q["id"] not in [x["id"] for x in client.get("/v1/questions", params={"answered_by_doctor": "true"}
                                                      ).json()["items"]]
    # The doctor is nobody's account now: the admin links the doctor's new account.
    again = sign_up(client)
    link(client, admin, f"/v1/doctors/{ref['doctor']['id']}/account/{again.id}")
