"""A request body example per operation, for ``/openapi.json`` and the ``/docs`` reference.

Keyed by ``"METHOD /path"`` as the route is declared. Each JSON example is checked against the
route's body schema by the tests, so an example that stops validating fails the suite instead of
misleading an app developer. Names, addresses, phones and emails in them are made up.
"""

from __future__ import annotations

from typing import Any

_CLAIMANT = {
    "name": "上海丽颜医疗美容门诊部",
    "email": "legal@liyan.example.cn",
    "phone": "+86 138 0000 0000",
    "address": "上海市静安区南京西路 1000 号 8 楼",
    "organization": "上海丽颜医疗美容门诊部有限公司",
}

REQUEST_EXAMPLES: dict[str, Any] = {
    # accounts and privacy
    "POST /v1/accounts": {"handle": "小鹿爱美", "password": "换成你自己的长密码", "birth_date": "1996-05-20"},
    "POST /v1/sessions": {"handle": "小鹿爱美", "password": "换成你自己的长密码"},
    "PATCH /v1/me": {"bio": "做过双眼皮和水光针，记录真实恢复过程，不接广告。"},
    "PUT /v1/accounts/{id}/role": {"role": "editor"},
    "DELETE /v1/me": {"password": "换成你自己的长密码", "content": "anonymize"},
    "PUT /v1/me/password": {"current_password": "换成你自己的长密码", "new_password": "另一个更长的新密码2026"},
    "PUT /v1/me/email": {"email": "xiaolu@example.cn"},
    "POST /v1/me/email/verification": {"code": "428196"},
    "POST /v1/password-resets": {"login": "小鹿爱美"},
    "POST /v1/password-resets/{token}": {"new_password": "另一个更长的新密码2026"},
    "PUT /v1/me/birth-date": {"birth_date": "1996-06-20", "reason": "注册时把月份选错了"},
    "POST /v1/announcements": {"title": "《美记隐私政策》更新", "kind": "policy_update",
                               "effective_at": "2027-01-01T00:00:00Z", "policy_version": "2027-01",
                               "body": "<p>术前术后照片的保存期限改为账号注销后 30 天。</p>"},
    "PUT /v1/me/notification-settings": {"push": True, "email": False,
                                         "kinds": {"answer": True, "comment": True, "reply": True,
                                                   "follow_update": True, "like": False, "moderation": True}},
    # reference data
    "POST /v1/procedures": {"slug": "shuang-yan-pi", "name": "双眼皮", "parent": "yan-bu",
                            "aliases": ["重睑术", "割双眼皮", "全切双眼皮"]},
    "PATCH /v1/procedures/{slug}": {"aliases": ["重睑术", "割双眼皮", "埋线双眼皮"]},
    "POST /v1/clinics": {"name": "北京美颜医疗美容诊所", "city": "北京", "license_no": "PDY00123411010517D1502"},
    "PATCH /v1/clinics/{id}": {"city": "上海"},
    "POST /v1/doctors": {"name": "王丽", "clinic_id": "3", "title": "主任医师"},
    "PATCH /v1/doctors/{id}": {"title": "副主任医师"},
    # diaries
    "POST /v1/diaries": {"title": "我的双眼皮日记", "procedure": "shuang-yan-pi", "operated_on": "2026-11-01",
                         "clinic_id": "3", "doctor_id": "7", "price_cny": 12800, "anonymous": True,
                         "before_media_ids": ["41"]},
    "PATCH /v1/diaries/{id}": {"title": "我的双眼皮日记（术后三个月）", "price_cny": 13500},
    "POST /v1/diaries/{id}/entries": {"body": "<p>术后第七天拆线，肿胀消了一大半，睁眼还有点紧。</p>",
                                      "happened_on": "2026-11-08", "media_ids": ["42"],
                                      "scores": {"swelling": 4, "pain": 2, "satisfaction": 8}},
    "PATCH /v1/diary-entries/{id}": {"body": "<p>术后第七天拆线，肿胀基本消了，医生说恢复得不错。</p>"},
    # reviews, questions, answers, comments
    "POST /v1/reviews": {"target_type": "doctor", "target_id": "7", "procedure": "shuang-yan-pi", "rating": 5,
                         "scores": {"effect": 5, "service": 4, "environment": 5, "professionalism": 5},
                         "body": "<p>王医生很耐心，面诊时把全切和埋线的区别讲得很清楚，术后回访也及时。</p>",
                         "anonymous": False},
    "PATCH /v1/reviews/{id}": {"rating": 4, "body": "<p>效果满意，就是复诊排队时间有点长。</p>"},
    "PUT /v1/reviews/{id}/reply": {"body": "<p>感谢您的评价，我们已安排复诊专员与您联系，周末也可预约。</p>"},
    "POST /v1/questions": {"title": "水光针多久打一次？", "body": "<p>听说一个月一次，效果能维持多久？</p>",
                           "procedure": "shui-guang-zhen", "anonymous": True},
    "PATCH /v1/questions/{id}": {"body": "<p>第一次打水光针，想知道多久打一次合适，效果能维持多久？</p>"},
    "PUT /v1/questions/{id}/accepted-answer": {"answer_id": "15"},
    "POST /v1/questions/{id}/answers": {"body": "<p>一般建议前三次间隔三到四周，之后两三个月补一次。</p>",
                                        "anonymous": False},
    "PATCH /v1/answers/{id}": {"body": "<p>一般前三次间隔三到四周，之后视皮肤状态两三个月补一次。</p>"},
    "PUT /v1/answers/{id}/vote": {"value": 1},
    "POST /v1/comments": {"target_type": "diary", "target_id": "12", "body": "恢复得真好！请问术后多久能化妆？",
                          "anonymous": False},
    # the encyclopedia
    "PUT /v1/wiki/{slug}": {"title": "双眼皮", "aliases": ["重睑术"], "summary": "通过手术形成上睑皱襞的眼部整形。",
                            "body": "<h2>适合人群</h2><p>单眼皮、内双或上睑松弛者。</p>",
                            "facts": {"price_min_cny": 3000, "price_max_cny": 30000, "recovery_days": 30,
                                      "risks": ["感染", "双眼不对称", "疤痕明显"],
                                      "suitable_for": "单眼皮、内双", "not_suitable_for": "眼部有炎症者"},
                            "procedure": "shuang-yan-pi",
                            "materials": [{"name": "不可吸收缝合线", "kind": "device", "brand": "示例缝线",
                                           "approval_no": "国械注准20163650001", "note": "埋线法用于固定重睑线"}],
                            "citations": {"recovery_days": [{"title": "重睑术后恢复科普（示例）",
                                                             "url": "https://example.org/zhongjian/huifu",
                                                             "publisher": "示例医院整形外科",
                                                             "accessed_on": "2026-03-01"}]},
                            "comment": "补充价格区间、风险、材料和出处"},
    "POST /v1/wiki/{slug}/revert": {"revision": 3, "comment": "撤销未经核实的价格改动"},
    # media: a multipart form, the file itself goes in the ``file`` part
    "POST /v1/media": {"purpose": "post"},
    # moderation: reports, the notice-and-takedown process, the queue
    "POST /v1/reports": {"target_type": "comment", "target_id": "88", "reason": "advertising",
                         "detail": "评论里留了微信号，让人私聊买水光针。"},
    "POST /v1/notices": {
        "notice_type": "copyright",
        "claimant": _CLAIMANT,
        "work": {"description": "本院官网发布的术前术后对比照片，由本院摄影师拍摄。",
                 "original_url": "https://liyan.example.cn/cases/2026-08", "proof_media_ids": ["51"]},
        # One photo of the diary, not the whole diary: by its media id, or by the URL it is shown at.
        "targets": [{"type": "photo", "id": "k3vq7w2m5xj4c8n6p1r9t0yzab"},
                    {"url": "https://m.meiji.example.cn/media/public/h7tq2w9m4xk3c6n8p5r1t0yzcd/q2w3e4r5t6y7u8i9"
                            "/large.webp"}],
        "description": "该日记中的两张术后照片是本院摄影师拍摄的案例照片，未经授权使用，请删除这两张照片。",
        "good_faith": True,
        "accurate": True,
        "signature": "上海丽颜医疗美容门诊部",
    },
    "POST /v1/notices/{case_id}/supplements": {"description": "补充原图的拍摄时间和摄影师的著作权声明。",
                                               "proof_media_ids": ["52"]},
    "POST /v1/notices/{case_id}/legal-action": {"description": "已就该照片向上海市静安区人民法院提起诉讼。",
                                                "proof_media_ids": ["53"]},
    "POST /v1/notices/{case_id}/withdrawal": {"reason": "已与发帖人协商一致，撤回投诉。"},
    "POST /v1/notices/{case_id}/counter-notices": {
        "statement": "照片是我本人在诊所术后复诊时自己拍的，不是诊所的作品。",
        "name": "李小美",
        "phone": "+86 138 0000 0001",
        "address": "杭州市西湖区文三路 100 号",
        "proof_media_ids": ["54"],
        "accurate": True,
        "signature": "李小美",
    },
    "POST /v1/moderation/queue/{id}/decisions": {"action": "remove", "reason": "评论引流到站外交易，属于广告。"},
    "POST /v1/moderation/accounts/{id}/reinstatement": {"reason": "申诉成立：被投诉的照片确为本人拍摄。"},
    "POST /v1/moderation/queue/{id}/notes": {"body": "作者上周也发过类似的引流内容，先观察是否还有举报。"},
    "POST /v1/moderation/actions": {"target_type": "answer", "target_id": "1024", "action": "remove",
                                    "reason": "advertising", "note": "回答中留了微信号，引流到站外。"},
    "POST /v1/moderation/blocked-photos": {"media_id": "k3vq7w2m5xj4c8n6p1r9t0yzab",
                                           "reason": "某医美机构广告里的双眼皮术后对比图，被多人冒充本人日记发布。"},
    "POST /v1/moderation/accounts/{id}/suspension": {"until": "2026-12-31T00:00:00Z",
                                                     "reason": "一天内在二十个问题下发布同一段广告。"},
    "POST /v1/appeals": {"target_type": "diary", "target_id": "512", "statement":
                         "这是我自己的真实术后记录，没有留任何联系方式，不是广告，请重新审核。"},
    "POST /v1/me/notifications/read": {"all": True},
    "PUT /v1/moderation/wiki/{slug}/revisions/{n}/suppression": {"reason": "侵犯著作权：摘抄指南原文。"},
    "DELETE /v1/moderation/wiki/{slug}/revisions/{n}/suppression": {"reason": "权利人已撤回通知，恢复显示。"},
}
