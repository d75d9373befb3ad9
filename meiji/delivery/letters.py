"""The words of each email, in Chinese: subject and plain-text body from a delivery's kind and data.

No letter ever carries a case's access token: it was handed over once, in the answer to the
notice, and a mail copy would sit in mailboxes and ``.eml`` files long after. Letters about a case
remind the claimant where to find it instead.
"""

from __future__ import annotations

from typing import Any

from kernel.settings import Settings

CASE_HINT = (
    "查看进度请打开上面的链接，并在请求头 X-Case-Token 中附上提交通知时收到的查阅令牌"
    "（出于安全考虑，本邮件不会包含该令牌）。")

CASE_STEPS: dict[str, tuple[str, str]] = {
    "case_received": ("已收到您的侵权通知", "我们已收到您提交的侵权通知，将尽快审核处理。"),
    "case_incomplete": ("您的侵权通知需要补充材料", "审核人员认为您的通知材料不完整，请通过补充材料接口提交。"),
    "case_measures_taken": ("已对您投诉的内容采取措施", "我们已对您通知所涉内容采取了删除或屏蔽等必要措施。"),
    "case_counter_forwarded": ("发布者提交了反通知", "被投诉内容的发布者提交了不存在侵权行为的声明，详情见下。"),
    "case_restored": ("被投诉的内容已恢复", "在规定期限内我们未收到您已起诉或投诉的通知，被投诉的内容已恢复。"),
    "case_restored_on_review": ("被投诉的内容已恢复",
                                "审核人员核实了发布者提交的反通知，认为不构成侵权，被投诉的内容已恢复。"),
    "case_closed": ("您的侵权通知已结案", "您提交的侵权通知已处理完毕并结案。"),
}

MEMBER_KINDS: dict[str, str] = {
    "answer": "你的问题有了新回答",
    "comment": "你收到了一条新评论",
    "review_reply": "机构回复了你的评价",
    "takedown": "你发布的内容因权利人通知被删除",
    "counter_forwarded": "你的反通知已转送权利人",
    "litigation_hold": "你的内容涉及的案件已进入诉讼程序",
    "removed": "你发布的内容已被删除",
    "hidden": "你发布的内容已被隐藏",
    "restored": "你发布的内容已恢复",
    "strike": "你的账号收到一次违规记录",
    "suspended": "你的账号已被限制发布",
    "reinstated": "你的账号已恢复正常",
    "appeal_decided": "你的申诉有了结果",
    "report_outcome": "你的举报有了处理结果",
}


def case_link(settings: Settings, case_id: object) -> str:
    return f"{settings.public_url}/v1/notices/{case_id}"


def _counter_details(data: dict[str, Any]) -> str:
    poster = data.get("poster") or {}
    lines = [f"发布者姓名：{poster.get('name', '')}", f"联系电话：{poster.get('phone', '')}",
             f"联系地址：{poster.get('address', '')}", f"声明：{poster.get('statement', '')}"]
    if data.get("restore_at"):
        lines.append(f"如您未在 15 日内（{data['restore_at']} 之前）告知我们已向有关部门投诉或向人民法院起诉，"
                     "被投诉内容将被恢复。")
    return "\n".join(lines)


def compose(settings: Settings, kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """``(subject, body)`` of the letter for ``kind``."""
    if kind in CASE_STEPS:
        subject, opening = CASE_STEPS[kind]
        link = case_link(settings, data.get("case_id", ""))
        parts = [opening, f"案件编号：{data.get('case_id', '')}"]
        if data.get("detail"):
            parts.append(f"说明：{data['detail']}")
        if kind == "case_counter_forwarded":
            parts.append(_counter_details(data))
        parts += [f"案件链接：{link}", CASE_HINT]
        return f"【美记】{subject}", "\n\n".join(parts)
    if kind == "email_code":
        return ("【美记】邮箱验证码", f"你的邮箱验证码是 {data.get('code', '')}，30 分钟内有效。"
                "如果不是你本人操作，请忽略本邮件。")
    if kind == "password_reset":
        return ("【美记】重置密码", "有人请求重置你在美记的密码。请在 30 分钟内打开下面的链接设置新密码，"
                f"链接只能使用一次：\n\n{data.get('link', '')}\n\n如果不是你本人操作，请忽略本邮件，密码不会改变。")
    if kind == "guardian_consent":
        return ("【美记】请确认您孩子的美记账号", f"一位未满 14 周岁的用户（用户名：{data.get('handle', '')}）"
                "注册了美记账号，并填写了您的邮箱作为监护人邮箱。确认同意后，该账号才能发布内容：\n\n"
                f"{data.get('link', '')}\n\n如果您不同意，请忽略本邮件，该账号将只能浏览。")
    if kind == "announcement":
        return f"【美记】{data.get('title', '公告')}", str(data.get("text") or data.get("body") or "")
    subject = MEMBER_KINDS.get(kind, "你有一条新通知")
    return f"【美记】{subject}", f"{subject}。请打开美记查看详情：{settings.public_url}"
