"""What a member chose to receive, and which notifications reach them whatever they chose."""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.rows import fetch
from meiji.delivery.models import NotificationPreference

# The categories a member turns on or off, and the notification kinds each covers.
CATEGORIES: dict[str, frozenset[str]] = {
    "answer": frozenset({"answer"}),
    "comment": frozenset({"comment"}),
    "reply": frozenset({"review_reply", "reply"}),
    "follow_update": frozenset({"follow_update"}),
    "like": frozenset({"like"}),
    "moderation": frozenset({"hidden", "removed", "kept", "restored", "report_outcome", "strike", "suspended",
                             "reinstated", "appeal_decided"}),
}

# Notices the law requires us to forward (a takedown on a legal notice, a forwarded counter-notice,
# a case on hold): delivered even to a member who turned everything off.
LEGAL_KINDS = frozenset({"takedown", "counter_forwarded", "litigation_hold"})


# Announcements every member must get: a change of the policies they agreed to, and a shutdown.
BINDING_ANNOUNCEMENTS = frozenset({"policy_update", "shutdown"})


def is_legal(kind: str, data: dict[str, object]) -> bool:
    """A legal notice: one of the legal kinds, any outcome that names a legal case, a binding announcement."""
    return (kind in LEGAL_KINDS or (kind in CATEGORIES["moderation"] and bool(data.get("case_id")))
            or (kind == "announcement" and data.get("kind") in BINDING_ANNOUNCEMENTS))


def category_of(kind: str, data: dict[str, object] | None = None) -> str | None:
    """The category a member turns on or off for this notification. A comment answering one of the
    member's own comments (``reply_to``) is a reply: the ``reply`` switch covers it."""
    if kind == "comment" and data and data.get("reply_to"):
        return "reply"
    for name, kinds in CATEGORIES.items():
        if kind in kinds:
            return name
    return None


@dataclass(frozen=True)
class Choices:
    push: bool = True
    email: bool = True
    kinds: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, True))

    def as_json(self) -> dict[str, object]:
        return {"push": self.push, "email": self.email, "kinds": dict(self.kinds)}

    def wants(self, channel: str, kind: str, data: dict[str, object]) -> bool:
        """Whether a notification of ``kind`` goes out on ``channel`` (webhook or email)."""
        if is_legal(kind, data):
            return True
        if not (self.push if channel == "webhook" else self.email):
            return False
        category = category_of(kind, data)
        return self.kinds.get(category, True) if category else True


async def choices_of(account_id: int) -> Choices:
    # Read for every notification sent: a plain row, not a model.
    found = await fetch(NotificationPreference.filter(account_id=account_id).limit(1))
    if not found:
        return Choices()
    row = found[0]
    return Choices(push=row.push, email=row.email, kinds={**dict.fromkeys(CATEGORIES, True), **row.kinds})


async def choose(account_id: int, push: bool, email: bool, kinds: dict[str, bool]) -> Choices:
    """Replace the member's choices; a category left out keeps its current value."""
    current = await choices_of(account_id)
    merged = {**current.kinds, **{k: v for k, v in kinds.items() if k in CATEGORIES}}
    await NotificationPreference.update_or_create(account_id=account_id,
                                                  defaults={"push": push, "email": email, "kinds": merged})
    return Choices(push=push, email=email, kinds=merged)


async def forget(account_id: int) -> None:
    await NotificationPreference.filter(account_id=account_id).delete()
