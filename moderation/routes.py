"""HTTP routes of the moderation room: reports, notices, the queue, the log, notifications."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from kernel.clock import today_in_china
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.ids import id_or_404
from kernel.web.pagination import Page
from moderation import schemas
from moderation.interfaces import services_of
from moderation.services import (
    actions,
    appeals,
    blocklist,
    decisions,
    dossier,
    notices,
    notifications,
    pages,
    queue,
    reports,
    sanctions,
    strikes,
    suppressions,
    transparency,
)
from moderation.services import audit as audit_log
from moderation.vocabulary import CaseState

api = Api("moderation")

CASE_TOKEN = "X-Case-Token"  # noqa: S105 - a header name, not a secret


def _token(call: Call[Any, Any]) -> str | None:
    return call.request.headers.get(CASE_TOKEN)


# --- reports -----------------------------------------------------------------------------------

@api.route("POST", "/v1/reports", body=schemas.ReportIn, response=schemas.ReportOut, status=201, auth="member",
           rate="report", idempotent=True, errors=(404, 422))
async def create_report(call: Call[schemas.ReportIn, None]) -> Response:
    """Report content or an account; the same reporter on the same target gets the first report (200)."""
    b = call.body
    report, created = await reports.file_report(services_of(call), call.member, target_type=b.target_type,
                                                target_id=b.target_id, reason=b.reason, detail=b.detail)
    return json_response(reports.report_json(report), 201 if created else 200)


# --- notices (no account needed) -------------------------------------------------------------

@api.route("POST", "/v1/notices", body=schemas.NoticeIn, response=schemas.NoticeCreated, status=201,
           rate="notice", idempotent=True, secret_fields=("access_token",), errors=(422,))
async def create_notice(call: Call[schemas.NoticeIn, None]) -> object:
    """File a legal notice (侵权投诉): every field the law asks for; answers the case id and its token."""
    notice, token = await notices.submit(services_of(call), call.body, call.principal)
    return {"case_id": notice.id, "status": notice.status, "access_token": token, "created_at": notice.created_at}


@api.route("GET", "/v1/notices/{case_id}", response=schemas.CaseOut, errors=(404,), headers=(CASE_TOKEN,))
async def get_notice(call: Call[None, None]) -> object:
    """Follow a case with its X-Case-Token (or as a moderator): status, timeline, forwarded counter-notice."""
    notice = await notices.case_for(call.path["case_id"], _token(call), call.principal)
    moderator = call.principal is not None and call.principal.is_moderator
    return await notices.case_json(services_of(call), notice, moderator_id=call.member.id if moderator else None)


@api.route("POST", "/v1/notices/{case_id}/supplements", body=schemas.SupplementIn, response=schemas.CaseOut,
           rate="notice", headers=(CASE_TOKEN,), errors=(404, 409, 422))
async def supplement_notice(call: Call[schemas.SupplementIn, None]) -> object:
    """Answer a request for more information (X-Case-Token): the case goes back to review."""
    notice = await notices.case_for(call.path["case_id"], _token(call), None)
    notice = await notices.supplement(services_of(call), notice, call.body, call.principal)
    return await notices.case_json(services_of(call), notice)


@api.route("POST", "/v1/notices/{case_id}/legal-action", body=schemas.LegalActionIn, response=schemas.CaseOut,
           rate="notice", headers=(CASE_TOKEN,), errors=(404, 409, 422))
async def notice_legal_action(call: Call[schemas.LegalActionIn, None]) -> object:
    """Report legal action after a counter-notice (X-Case-Token): the case is held, content stays removed."""
    notice = await notices.case_for(call.path["case_id"], _token(call), None)
    notice = await notices.legal_action(services_of(call), notice, call.body, call.principal)
    return await notices.case_json(services_of(call), notice)


@api.route("POST", "/v1/notices/{case_id}/withdrawal", body=schemas.WithdrawalIn, response=schemas.CaseOut,
           rate="notice", headers=(CASE_TOKEN,), errors=(404, 409))
async def withdraw_notice(call: Call[schemas.WithdrawalIn, None]) -> object:
    """Withdraw the notice (X-Case-Token); content removed on it is restored."""
    notice = await notices.case_for(call.path["case_id"], _token(call), None)
    notice = await notices.withdraw(services_of(call), notice, call.body.reason)
    return await notices.case_json(services_of(call), notice)


@api.route("POST", "/v1/notices/{case_id}/counter-notices", body=schemas.CounterNoticeIn,
           response=schemas.CounterNoticeOut, status=201, auth="member", rate="notice", idempotent=True,
           suspended_ok=True,
           errors=(404, 409, 422))
async def create_counter_notice(call: Call[schemas.CounterNoticeIn, None]) -> object:
    """The author of a removed target answers the notice (反通知)."""
    counter = await notices.counter_notice(services_of(call), call.member, call.path["case_id"], call.body)
    return {"id": str(counter.id), "case_id": counter.notice_id, "status": CaseState.COUNTER_RECEIVED,
            "created_at": counter.created_at}


# --- the queue -----------------------------------------------------------------------------------

@api.route("GET", "/v1/moderation/queue", query=schemas.QueueQuery, response=Page[schemas.QueueItemOut],
           auth="moderator")
async def list_queue(call: Call[None, schemas.QueueQuery]) -> object:
    """Queue items, one per target, most urgent first; shows real authors (each reveal is logged)."""
    q = call.query
    body = await pages.listing(services_of(call), call.member.id, status=q.status, kind=q.kind, sort=q.sort,
                               limit=q.limit, cursor=q.cursor, reason=q.reason, target_type=q.target_type)
    return Response(body, media_type="application/json")


@api.route("GET", "/v1/moderation/queue/{id}", response=schemas.QueueItemOut, auth="moderator", errors=(404,))
async def get_queue_item(call: Call[None, None]) -> object:
    """One queue item with its reports."""
    item = await queue.get_item(call.path["id"])
    return await queue.detail_json(services_of(call), item, call.member.id)


@api.route("POST", "/v1/moderation/queue/{id}/claim", response=schemas.QueueItemOut, auth="moderator",
           errors=(404, 409))
async def claim_item(call: Call[None, None]) -> object:
    """Hold the item for 15 minutes; 409 when another moderator holds it."""
    item = await queue.claim(call.path["id"], call.member.id, call.settings)
    return await queue.item_json(services_of(call), item, call.member.id)


@api.route("POST", "/v1/moderation/queue/{id}/decisions", body=schemas.DecisionIn, response=schemas.QueueItemOut,
           auth="moderator", errors=(404, 409, 422))
async def decide_item(call: Call[schemas.DecisionIn, None]) -> object:
    """Decide a claimed item: remove, keep, request_info, reject_notice, forward_counter, restore, or an
    appeal's uphold or overturn (by a moderator other than the one who took the decision appealed)."""
    b = call.body
    only = [(t.type.value, t.id) for t in b.targets] if b.targets is not None else None
    item = await decisions.decide(services_of(call), call.member.id, call.path["id"], action=b.action,
                                  reason=b.reason, only=only)
    return await queue.item_json(services_of(call), item, call.member.id)


@api.route("POST", "/v1/moderation/queue/{id}/notes", body=schemas.NoteIn, response=schemas.NoteOut, status=201,
           auth="moderator", errors=(404,))
async def add_note(call: Call[schemas.NoteIn, None]) -> object:
    """A note on the item for the other moderators; shown on the item, never to members."""
    item = await queue.get_item(call.path["id"])
    return dossier.note_json(await dossier.add_note(item, call.member.id, call.body.body))


@api.route("POST", "/v1/moderation/actions", body=schemas.ActionIn, response=schemas.ActionOut, auth="moderator",
           errors=(403, 404, 409))
async def act_on_target(call: Call[schemas.ActionIn, None]) -> object:
    """Hide, remove or restore a post (or remove or restore an account) without a report; logged like
    any decision. A removal here is a policy removal: 410 with the reason for the public."""
    b = call.body
    return await actions.act(services_of(call), call.member.id, target_type=b.target_type, target_id=b.target_id,
                             action=b.action, reason=b.reason, note=b.note)


@api.route("POST", "/v1/moderation/blocked-photos", body=schemas.BlockedPhotoIn, response=schemas.BlockedPhotoOut,
           status=201, auth="moderator", errors=(403, 409, 422))
async def block_photo(call: Call[schemas.BlockedPhotoIn, None]) -> object:
    """Put a photo (an upload id) on the blocklist of clinic marketing images. A diary or diary entry
    published later with the same photo, even re-encoded or resized, is queued for review with a
    system report (reason ``advertising``, "marketing photo passed off as a diary"). Nothing is
    refused or taken down by the listing itself."""
    b = call.body
    return await blocklist.block(services_of(call), call.member.id, b.media_id, b.reason)


@api.route("POST", "/v1/moderation/accounts/{id}/suspension", body=schemas.SuspensionIn,
           response=schemas.SuspensionOut, status=201, auth="moderator", errors=(403, 404))
async def suspend_account(call: Call[schemas.SuspensionIn, None]) -> object:
    """Suspend a member until a time (it lifts itself, the member is told) or, without ``until``, permanently."""
    account_id = id_or_404(call.path["id"], "account")
    row = await sanctions.suspend(services_of(call), call.member.id, account_id, until=call.body.until,
                                  reason=call.body.reason)
    return sanctions.suspension_json(row)


@api.route("POST", "/v1/appeals", body=schemas.AppealIn, response=schemas.AppealOut, status=201, auth="member",
           idempotent=True, suspended_ok=True, errors=(404, 409, 422))
async def create_appeal(call: Call[schemas.AppealIn, None]) -> object:
    """Appeal (申诉) the hiding or removal of your post for a non-legal reason, or your suspension;
    once per decision. A removal on a legal notice takes a counter-notice instead (422)."""
    b = call.body
    appeal, due_at = await appeals.file(services_of(call), call.member, target_type=b.target_type,
                                        target_id=b.target_id, statement=b.statement)
    return appeals.appeal_json(appeal, due_at)


@api.route("POST", "/v1/moderation/accounts/{id}/reinstatement", body=schemas.ReinstatementIn, auth="moderator",
           status=204, errors=(404,))
async def reinstate_account(call: Call[schemas.ReinstatementIn, None]) -> Response:
    """Lift a suspension; the strikes behind it stop counting."""
    account_id = id_or_404(call.path["id"], "account")
    await strikes.reinstate(services_of(call), call.member.id, account_id, call.body.reason)
    return Response(status_code=204)


@api.route("GET", "/v1/moderation/log", query=schemas.LogQuery, response=Page[schemas.LogEntryOut],
           auth="moderator")
async def get_log(call: Call[None, schemas.LogQuery]) -> object:
    """The append-only audit log, newest first, filtered."""
    q = call.query
    return await audit_log.entries(target_type=q.target_type, target_id=q.target_id, actor_id=q.actor_id,
                                   case_id=q.case_id, action=q.action, limit=q.limit, cursor=q.cursor)


# --- my notifications ----------------------------------------------------------------------------

@api.route("GET", "/v1/me/notifications", query=schemas.NotificationQuery, response=schemas.NotificationPage,
           auth="member")
async def my_notifications(call: Call[None, schemas.NotificationQuery]) -> object:
    """My notifications, newest first: takedowns, counter-notice outcomes, strikes, answers, comments."""
    q = call.query
    return await notifications.listing(call.member.id, unread=q.unread, limit=q.limit, cursor=q.cursor)


@api.route("POST", "/v1/me/notifications/read", body=schemas.MarkReadIn, response=schemas.MarkReadOut,
           auth="member", suspended_ok=True)
async def mark_notifications_read(call: Call[schemas.MarkReadIn, None]) -> object:
    """Mark notifications read: ``{ids: [...]}`` or ``{all: true}``."""
    ids = None if call.body.all else call.body.ids
    return {"updated": await notifications.mark_read(call.member.id, ids)}


# --- encyclopedia revisions --------------------------------------------------------------------

@api.route("PUT", "/v1/moderation/wiki/{slug}/revisions/{n}/suppression", body=schemas.SuppressionIn,
           auth="moderator", errors=(404, 409))
async def suppress_revision(call: Call[schemas.SuppressionIn, None]) -> object:
    """Hide one wiki revision's content from the public (kept for moderators and the legal record); audited.
    409 for the page's current revision: save a revision without the text first."""
    return await suppressions.set_suppressed(services_of(call), call.member, slug=str(call.path["slug"]),
                                             number=str(call.path["n"]), suppressed=True, reason=call.body.reason)


@api.route("DELETE", "/v1/moderation/wiki/{slug}/revisions/{n}/suppression", body=schemas.SuppressionIn,
           auth="moderator", errors=(404,))
async def restore_revision(call: Call[schemas.SuppressionIn, None]) -> object:
    """Show a suppressed wiki revision's content to the public again; audited."""
    return await suppressions.set_suppressed(services_of(call), call.member, slug=str(call.path["slug"]),
                                             number=str(call.path["n"]), suppressed=False, reason=call.body.reason)



# --- the public record ---------------------------------------------------------------------------

@api.route("GET", "/v1/transparency", query=schemas.TransparencyQuery, response=schemas.TransparencyOut,
           errors=(422,))
async def get_transparency(call: Call[None, Any]) -> object:
    """The public record, per month (China time): notices by type, measures, counter-notices,
    restorations, litigation holds, median hours to first action, reports by reason, appeals and
    overturns. Counts from 1 to below ``MEIJI_TRANSPARENCY_MIN_COUNT`` (5) are shown as ``"<5"``.
    ``from`` and ``to`` are months (``YYYY-MM``, default: the last 12 months); more than 24: 422."""
    months: dict[str, str | None] = dict(call.query)
    last_text, first_text = months["to"], months["from"]
    this = today_in_china()
    last = transparency.parse_month("to", last_text) if last_text else (this.year, this.month)
    if first_text:
        first = transparency.parse_month("from", first_text)
    else:  # eleven months before the last: a year
        first = (last[0] - 1, last[1] + 1) if last[1] < 12 else (last[0], 1)
    return await transparency.report(first, last, min_count=call.settings.transparency_min_count)


routes = api.routes
