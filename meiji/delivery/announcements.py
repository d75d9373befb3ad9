"""Announcements from the operator to every member: policy updates, service notices, shutdowns.

Each is stored and handed to every live member as an ``announcement`` notification, which writes
its deliveries to the outbox in the same transaction (push, and email to a verified address).
Policy updates and shutdown notices are delivered whatever the member chose, like legal notices;
service notices follow the member's choices. A policy update holds every member's writing back
until they accept its version (``PUT /v1/me/consents/{version}``); signing up accepts the version
in force.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from content.sanitizer import sanitize, text_of
from kernel import db
from kernel.clock import now
from kernel.web.pagination import page, page_by
from kernel.web.problems import conflict, invalid, not_found
from meiji.accounts.models import Account, PolicyConsent
from meiji.delivery.models import Announcement
from moderation.services import notifications

log = logging.getLogger("meiji.delivery")

SHUTDOWN_NOTICE_DAYS = 30
BATCH = 500
LIVE = ("active", "suspended")


def announcement_json(a: Announcement, text: str | None = None) -> dict[str, Any]:
    return {"id": str(a.id), "title": a.title, "body": a.body, "text": text if text is not None else text_of(a.body),
            "kind": a.kind, "effective_at": a.effective_at, "policy_version": a.policy_version,
            "created_at": a.created_at}


async def current_policy() -> str | None:
    """The newest policy version announced, or None before the first."""
    latest = await Announcement.filter(kind="policy_update").order_by("-id").first()
    return latest.policy_version if latest else None


async def publish(author_id: int, *, title: str, body: str, kind: str, effective_at: datetime,
                  policy_version: str | None) -> dict[str, Any]:
    """Store the announcement and tell every member; 422 naming the field for a shutdown announced late."""
    moment = now()
    if kind == "shutdown" and effective_at < moment + timedelta(days=SHUTDOWN_NOTICE_DAYS):
        raise invalid("effective_at", f"a shutdown is announced at least {SHUTDOWN_NOTICE_DAYS} days ahead")
    if kind == "policy_update" and not policy_version:
        raise invalid("policy_version", "a policy update names the version members accept")
    if kind != "policy_update" and policy_version:
        raise invalid("policy_version", "only a policy update has a version")
    if policy_version and await Announcement.filter(policy_version=policy_version).exists():
        raise conflict("This policy version was announced already.")
    rich = await sanitize(body)
    async with in_transaction():
        row = await Announcement.create(title=title, body=rich.html, kind=kind, effective_at=effective_at,
                                        policy_version=policy_version, author_id=author_id, created_at=moment)
        if kind == "policy_update":
            await Account.filter(status__in=LIVE).update(policy_pending=True)
        payload = {"announcement_id": str(row.id), "title": title, "kind": kind, "text": rich.text,
                   "effective_at": effective_at.isoformat(), "policy_version": policy_version}
        last = 0
        while True:
            ids = [a.id for a in await Account.filter(status__in=LIVE, id__gt=last).order_by("id").limit(BATCH)
                   .only("id")]
            for account_id in ids:
                await notifications.send(account_id, "announcement", payload)
            if len(ids) < BATCH:
                break
            last = ids[-1]
    log.info("announcement %d (%s) sent to every member", row.id, kind)
    return announcement_json(row, rich.text)


async def listing(limit: int, cursor: str | None) -> dict[str, Any]:
    rows, after = await page_by(Announcement.all(), limit, cursor)
    return page([announcement_json(a) for a in rows], after)


async def accept(account_id: int, version: str) -> dict[str, Any]:
    """Record the member's acceptance of ``version`` (once; again changes nothing); 404 for an unknown version."""
    if (not db.holds(Announcement, "policy_version", version)
            or not await Announcement.filter(kind="policy_update", policy_version=version).exists()):
        raise not_found("policy version")
    async with in_transaction():
        consent = await PolicyConsent.get_or_none(account_id=account_id, policy_version=version)
        if consent is None:
            consent = await PolicyConsent.create(account_id=account_id, policy_version=version, accepted_at=now())
        if version == await current_policy():
            await Account.filter(id=account_id).update(policy_version_accepted=version, policy_pending=False)
    return {"policy_version": version, "accepted_at": consent.accepted_at}
