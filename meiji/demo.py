"""A small, realistic demo data set, so a new user sees a living service (``meiji demo``).

It creates (and on a second run only completes, never duplicates): procedures with their aliases
(双眼皮 / 重睑术 / 割双眼皮, 热玛吉 / Thermage / 射频紧肤, 玻尿酸, 水光针...), clinics in 北京, 上海 and
成都 with their doctors, demo accounts (an editor, a moderator and members), diaries with entries and
before/after photos (drawn at load time by ``meiji.demo_photos``), reviews, questions with answers
and encyclopedia pages (through the community area's ``load_demo`` functions), then indexes everything.

This seed script is the one place in ``content`` that imports ``meiji.accounts``: demo accounts are
made with ``meiji.accounts.services.create_account`` like any sign-up. Their password is
``DEMO_PASSWORD``, printed in the summary.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import search.services
from content.models.diaries import Diary, DiaryEntry
from content.models.reference import Clinic, Doctor, Procedure
from content.models.reviews import Review
from content.schemas.diaries import DiaryIn, EntryIn
from content.schemas.reference import ClinicIn, DoctorIn, ProcedureIn
from content.schemas.reviews import ReviewIn
from content.services import diaries, questions, reference, reviews, wiki
from kernel.web.auth import Principal
from meiji import demo_photos
from meiji.accounts import services as accounts
from meiji.accounts.models import Account
from meiji.services import Services

DEMO_PASSWORD = "meiji-demo-2026"  # noqa: S105 - a published demo password, by design

PROCEDURES = [
    ("shuang-yan-pi", "双眼皮", None, ["重睑术", "割双眼皮", "全切双眼皮", "埋线双眼皮"]),
    ("thermage", "热玛吉", None, ["Thermage", "射频紧肤", "热玛吉FLX"]),
    ("hyaluronic-acid", "玻尿酸", None, ["透明质酸", "玻尿酸填充"]),
    ("shui-guang-zhen", "水光针", "hyaluronic-acid", ["水光注射", "水光"]),
    ("rou-du-su", "肉毒素", None, ["瘦脸针", "除皱针", "保妥适"]),
    ("long-bi", "隆鼻", None, ["鼻综合", "假体隆鼻"]),
]

CLINICS = [
    ("北京美莱医疗美容医院", "北京", "PDY60021911010519A1002"),
    ("上海华美医疗美容医院", "上海", "PDY00273231010417D2192"),
    ("成都八大处整形美容医院", "成都", "PDY40055751010411D2192"),
]

DOCTORS = [
    ("王建国", 0, "主任医师"),
    ("陈思雨", 1, "副主任医师"),
    ("刘晓燕", 2, "主治医师"),
    ("张博文", 2, "主任医师"),
]

MEMBERS = [("美记编辑部", "editor", date(1988, 3, 12)), ("小鹿爱美", "member", date(1996, 7, 2)),
           ("成都妹子阿宁", "member", date(1999, 11, 23)), ("北漂Lily", "member", date(1993, 1, 8)),
           ("美记审核员", "moderator", date(1990, 6, 15))]

DIARIES: list[dict[str, Any]] = [
    {"author": 1, "title": "全切双眼皮 90 天真实记录", "procedure": "shuang-yan-pi", "operated_on": "2026-08-20",
     "clinic": 2, "doctor": 2, "price_cny": 12800, "anonymous": False,
     "entries": [
         ("2026-08-18", "<p>术前面诊，医生说我是内双加轻微上睑下垂，建议全切。"
                        "<strong>纠结了一周</strong>终于约了手术。</p>"),
         ("2026-08-21", "<p>术后第一天，肿得像核桃，冰敷了一整天，疼倒不是很疼。</p>"),
         ("2026-08-27", "<p>今天拆线！拆完轻松多了，疤痕是粉色的，医生说三个月会慢慢变淡。</p>"),
         ("2026-09-20", "<p>一个月了，大肿基本消了，化妆已经看不太出来。早上起床还是有点肿。</p>"),
         ("2026-11-18", "<p>三个月总结：<ul><li>宽度自然</li><li>疤痕很淡</li><li>整体满意</li></ul></p>"),
     ]},
    {"author": 2, "title": "热玛吉FLX 做完一个月的感受", "procedure": "thermage", "operated_on": "2026-09-15",
     "clinic": 1, "doctor": 1, "price_cny": 16800, "anonymous": True,
     "entries": [
         ("2026-09-15", "<p>做了全脸 900 发，打的时候下颌线那里最疼，整体能忍。</p>"),
         ("2026-09-22", "<p>一周了，感觉皮肤紧致了一点，法令纹浅了一些，可能是心理作用。</p>"),
         ("2026-10-15", "<p>一个月，朋友说我气色好了。胶原再生要三个月，继续观察。</p>"),
     ]},
    {"author": 3, "title": "第一次打水光针，敏感肌的记录", "procedure": "shui-guang-zhen", "operated_on": "2026-10-10",
     "clinic": 0, "doctor": 0, "price_cny": 1280, "anonymous": False,
     "entries": [
         ("2026-10-10", "<p>敷麻药四十分钟，打的时候有点刺痛，脸上全是小针眼。</p>"),
         ("2026-10-12", "<p>针眼基本消失了，皮肤摸起来很水润，上妆很服帖。</p>"),
     ]},
]

REVIEWS: list[dict[str, Any]] = [
    {"author": 1, "target_type": "doctor", "doctor": 2, "procedure": "shuang-yan-pi", "rating": 5,
     "scores": {"effect": 5, "service": 5, "environment": 4, "professionalism": 5}, "anonymous": False,
     "body": "<p>刘医生很耐心，面诊的时候画了好几次线才定下宽度，术后复查也很及时。</p>"},
    {"author": 2, "target_type": "clinic", "clinic": 1, "procedure": "thermage", "rating": 4,
     "scores": {"effect": 4, "service": 4, "environment": 5, "professionalism": 4}, "anonymous": True,
     "body": "<p>环境很好，是正品探头，当面拆封。就是价格偏贵，咨询师推销有点多。</p>"},
    {"author": 3, "target_type": "clinic", "clinic": 0, "procedure": "shui-guang-zhen", "rating": 3,
     "scores": {"effect": 3, "service": 3}, "anonymous": False,
     "body": "<p>效果还行，但排队等了一个多小时，前台态度一般。</p>"},
    {"author": 1, "target_type": "clinic", "clinic": 2, "procedure": "shuang-yan-pi", "rating": 5,
     "scores": {"effect": 5, "service": 4, "environment": 4}, "anonymous": False,
     "body": "<p>医院很正规，手术室干净，护士换药很细心。</p>"},
]


async def _account(handle: str, role: str, born: date) -> Principal:
    account = await Account.get_or_none(handle=handle)
    if account is None:
        account = await accounts.create_account(handle, DEMO_PASSWORD, born, role=role)
    return Principal(account.id, account.handle, account.role)


async def load(services: Services) -> str:
    """Load the demo set; returns a one-line summary."""
    people = [await _account(handle, role, born) for handle, role, born in MEMBERS]
    editor = people[0]
    made = {"procedures": 0, "clinics": 0, "doctors": 0, "diaries": 0, "entries": 0, "photos": 0, "reviews": 0}

    for slug, name, parent, aliases in PROCEDURES:
        if not await Procedure.exists(slug=slug):
            await reference.create_procedure(ProcedureIn.model_validate(
                {"slug": slug, "name": name, "parent": parent, "aliases": aliases}))
            made["procedures"] += 1
    clinics: list[Clinic] = []
    for name, city, license_no in CLINICS:
        clinic = await Clinic.get_or_none(name=name)
        if clinic is None:
            clinic = await reference.create_clinic(ClinicIn.model_validate(
                {"name": name, "city": city, "license_no": license_no}))
            made["clinics"] += 1
        clinics.append(clinic)
    doctors: list[Doctor] = []
    for name, clinic_index, title in DOCTORS:
        doctor = await Doctor.get_or_none(name=name, clinic_id=clinics[clinic_index].id)
        if doctor is None:
            doctor = await reference.create_doctor(DoctorIn(name=name, clinic_id=str(clinics[clinic_index].id),
                                                            title=title))
            made["doctors"] += 1
        doctors.append(doctor)

    for item in DIARIES:
        author = people[item["author"]]
        if await Diary.exists(author_id=author.id, title=item["title"]):
            continue
        # The "before" photo is the diary's cover; the last entry shows the "after".
        before = await demo_photos.upload(services, author.id, item["procedure"], "before", seed=made["diaries"])
        after = await demo_photos.upload(services, author.id, item["procedure"], "after", seed=made["diaries"])
        made["photos"] += 2
        diary = await diaries.create_diary(services, author, DiaryIn.model_validate({
            "title": item["title"], "procedure": item["procedure"], "operated_on": item["operated_on"],
            "clinic_id": str(clinics[item["clinic"]].id), "doctor_id": str(doctors[item["doctor"]].id),
            "price_cny": item["price_cny"], "anonymous": item["anonymous"], "before_media_ids": [before],
            "cover_media_id": before}))
        made["diaries"] += 1
        for n, (happened_on, body) in enumerate(item["entries"], start=1):
            photos = [after] if n == len(item["entries"]) else []
            await diaries.create_entry(services, author, diary.id, EntryIn.model_validate(
                {"body": body, "happened_on": happened_on, "media_ids": photos}))
            made["entries"] += 1

    for item in REVIEWS:
        author = people[item["author"]]
        target = doctors[item["doctor"]] if item["target_type"] == "doctor" else clinics[item["clinic"]]
        if await Review.exists(live_key=f"{author.id}:{item['target_type']}:{target.id}"):
            continue
        await reviews.create_review(services, author, ReviewIn.model_validate({
            "target_type": item["target_type"], "target_id": str(target.id), "procedure": item["procedure"],
            "rating": item["rating"], "scores": item["scores"], "body": item["body"],
            "anonymous": item["anonymous"]}))
        made["reviews"] += 1

    asked = await questions.load_demo(services, people[3], people[1])
    pages = await wiki.load_demo(services, editor)

    # Index now, so search works the moment the demo is loaded.
    await services.search.set_vocabulary(await services.documents.vocabulary())
    while await search.services.drain(services.search, services.documents):
        pass
    entries = await DiaryEntry.all().count()
    return (f"demo data: {made['procedures']} procedures, {made['clinics']} clinics, {made['doctors']} doctors, "
            f"{made['diaries']} diaries ({entries} entries in all) with {made['photos']} photos, "
            f"{made['reviews']} reviews, {asked} questions, "
            f"{pages} encyclopedia pages added; sign in as {', '.join(h for h, _, _ in MEMBERS)} "
            f"with the password {DEMO_PASSWORD}")
