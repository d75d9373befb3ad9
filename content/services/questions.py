"""Questions, answers, acceptance and votes (问答).

Rules: the asker alone accepts one answer at a time (PUT replaces, DELETE undoes); a member has one
vote per answer (+1 or -1, 0 withdraws; no votes on one's own answer) and ``score`` moves by the
difference in the same transaction; a new answer notifies the asker without naming an anonymous
answerer. ``answered`` means the question has at least one published answer.

Search: ``question_documents`` and ``answer_documents`` (the kinds' ``search_docs``) turn ids into
the ``Document``s of those that are public (an answer only while its question is published too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from content._listing import keyset
from content.interfaces import ContentServices
from content.models.questions import Answer, AnswerVote, Question
from content.sanitizer import plain, sanitize, snippet
from content.schemas.questions import AnswerIn, AnswerPatch, QuestionIn, QuestionPatch, QuestionQuery
from content.services import feed, lifecycle, professionals, reference
from content.services.marks import marks
from content.visibility import (
    Kind,
    author_fields,
    authors_for,
    get_visible,
    kind,
    listed,
    open_to_writes,
    own_or_raise,
    post_etag,
    register,
    show_visible,
    visible_or_raise,
)
from kernel.clock import now
from kernel.rows import Row, columns, fetch, fetch_sql
from kernel.web.auth import Principal
from kernel.web.ids import parse_id
from kernel.web.pagination import PageQuery, decode_cursor
from kernel.web.problems import Problem, invalid
from search.interfaces import DocKey, Document
from search.outbox import enqueue

Precondition = Callable[[str], None]
TOP_SCORE = 2**31 - 1
DOCTORS, OTHERS = 1, 0  # the groups answers list in after the accepted one
ACCEPTED = 2  # the accepted answer's group in a page's statement: before the others


async def _no_holders(obj: Any) -> list[str]:
    return []  # questions and answers carry no media


def question_etag(question: Question) -> str:
    return post_etag("question", question)


def answer_etag(answer: Answer) -> str:
    return post_etag("answer", answer)


async def _question_documents(question: Question) -> list[DocKey]:
    # A question's answers leave search with it (and come back with it).
    answer_ids = await Answer.filter(question_id=question.id).values_list("id", flat=True)
    return [("question", str(question.id)), *(("answer", str(a)) for a in answer_ids)]


async def _export_question(question: Question) -> dict[str, Any]:
    return {"body": question.body, "procedure": question.procedure}


async def _export_answer(answer: Answer) -> dict[str, Any]:
    return {"question_id": str(answer.question_id), "body": answer.body, "score": answer.score}


async def _export_votes(author_id: int) -> list[dict[str, Any]]:
    return [{"answer_id": str(v.answer_id), "value": v.value, "created_at": v.created_at}
            for v in await AnswerVote.filter(voter_id=author_id).order_by("id")]


async def _erase_votes(services: ContentServices, author_id: int, mode: str) -> None:
    # Votes are personal data: they go either way, and the scores follow.
    for v in await AnswerVote.filter(voter_id=author_id):
        async with in_transaction():
            if await AnswerVote.filter(id=v.id).delete():
                await Answer.filter(id=v.answer_id).update(score=F("score") - v.value)


async def _answer_publicity(answer: Answer, public: bool) -> None:
    # Keeps ``Question.answer_count`` exact through creates, deletions and moderation.
    await Question.filter(id=answer.question_id).update(answer_count=F("answer_count") + (1 if public else -1))


async def question_documents(ids: Sequence[int]) -> dict[int, Document]:
    """The search documents of these question ids; absent when not published. Never an author."""
    rows = await fetch(Question.filter(id__in=list(ids), status="published"))  # plain rows: read only
    return {q.id: Document(type="question", id=str(q.id), title=q.title, text=q.text, created_at=q.created_at,
                           procedure=q.procedure, popularity=float(q.like_count + q.answer_count)) for q in rows}


async def answer_documents(ids: Sequence[int]) -> dict[int, Document]:
    """The search documents of these answer ids: only published answers of published questions."""
    rows = await fetch(Answer.filter(id__in=list(ids), status="published", question__status="published"))
    asked = list({a.question_id for a in rows})
    questions = {q.id: q for q in await fetch(Question.filter(id__in=asked))} if asked else {}
    # A question deleted between the two reads takes its answers out of the index (the outbox follows).
    return {a.id: Document(type="answer", id=str(a.id), title=q.title, text=a.text, created_at=a.created_at,
                           procedure=q.procedure, popularity=float(max(a.score, 0) + a.like_count))
            for a in rows if (q := questions.get(a.question_id)) is not None}


register(Kind(type="question", model=Question, path="/v1/questions/{id}", title=lambda q: q.title,
              documents=_question_documents, holders=_no_holders, count_as="questions", export=_export_question,
              search_docs=question_documents))
async def _answer_guard(answer: Answer, viewer: Principal | None) -> None:
    # An answer is readable only with its question (404, or 451 when the question was removed).
    await show_visible(Question, answer.question_id, viewer, "answer")


register(Kind(type="answer", model=Answer, path="/v1/answers/{id}", holders=_no_holders, on_publicity=_answer_publicity,
              guard=_answer_guard, count_as="answers", export=_export_answer, search_docs=answer_documents))
lifecycle.EXPORTERS["answer_votes"] = _export_votes
lifecycle.ERASERS.append(_erase_votes)


# --- questions ---------------------------------------------------------------------------------

async def create_question(services: ContentServices, member: Principal, data: QuestionIn) -> Question:
    """Ask a question; it is published at once and screened in the background."""
    await reference.require_procedure(data.procedure)
    rich = await sanitize(data.body, field="body")
    title = plain(data.title)
    if not title:
        raise invalid("title", "must not be blank")
    at = now()
    async with in_transaction():
        question = await Question.create(author_id=member.id, anonymous=data.anonymous, title=title,
                                         body=rich.html, text=rich.text, procedure=data.procedure,
                                         created_at=at, updated_at=at)
        await enqueue([("question", str(question.id))])
        await feed.fan_out("question", question)
    await lifecycle.published(services, "question", question, f"{title}\n{rich.text}")
    return question


async def get_question(viewer: Principal | None, question_id: object) -> Question:
    """The question if the caller may see it: 404, or 451 for removed content."""
    return await get_visible(Question, question_id, viewer, "question")


async def show_question(viewer: Principal | None, question_id: object) -> Any:
    """As ``get_question``, read as a plain row (``kernel.rows``) for the detail view."""
    return await show_visible(Question, question_id, viewer, "question")


async def list_questions(viewer: Principal | None, query: QuestionQuery) -> tuple[list[Question], list[Any] | None]:
    """Published questions, newest first; ``author_id`` lists anonymous ones only to their author."""
    rows = listed(Question.all(), viewer, query.author_id)
    if query.procedure:
        rows = rows.filter(procedure=query.procedure)
    if query.answered is not None:
        rows = rows.filter(answer_count__gt=0) if query.answered else rows.filter(answer_count=0)
    if query.answered_by_doctor is not None:
        by_doctor = Subquery(Answer.filter(status="published", doctor_id__isnull=False).values("question_id"))
        rows = rows.filter(id__in=by_doctor) if query.answered_by_doctor else rows.exclude(id__in=by_doctor)
    return await keyset(rows, query)


async def update_question(services: ContentServices, member: Principal, question_id: object, patch: QuestionPatch,
                          precondition: Precondition) -> Question:
    """The asker edits title, body or procedure; If-Match is honoured (412)."""
    question = own_or_raise(await get_visible(Question, question_id, member, "question"), member, "question")
    precondition(question_etag(question))
    changes: dict[str, Any] = {}
    if patch.title is not None:
        title = plain(patch.title)
        if not title:
            raise invalid("title", "must not be blank")
        changes["title"] = title
    if patch.body is not None:
        rich = await sanitize(patch.body, field="body")
        changes.update(body=rich.html, text=rich.text)
    if "procedure" in patch.model_fields_set:
        await reference.require_procedure(patch.procedure)
        changes["procedure"] = patch.procedure
    if not changes:
        return question
    async with in_transaction():
        # Compare-and-set on the version: a concurrent edit makes this one fail with 412.
        updated = await Question.filter(id=question.id, version=question.version).update(
            **changes, version=F("version") + 1, updated_at=now())
        if not updated:
            raise Problem(412, "The object changed since you read it; fetch it again.")
        await enqueue([("question", str(question.id))])
    await question.refresh_from_db()
    await lifecycle.published(services, "question", question, f"{question.title}\n{question.text}")
    return question


async def delete_question(services: ContentServices, member: Principal, question_id: object) -> None:
    """The asker deletes: gone for others at once, and from search before this returns."""
    question = own_or_raise(await get_visible(Question, question_id, member, "question"), member, "question")
    await lifecycle.delete_by_author(services, "question", question)


async def question_json(services: ContentServices, viewer: Principal | None, rows: list[Question]) -> list[dict[str,
                        Any]]:
    """Questions as the caller sees them (anonymous askers hidden, like and answer counts)."""
    if not rows:
        return []
    ids = [q.id for q in rows]
    accepted_ids = [q.accepted_answer_id for q in rows if q.accepted_answer_id]
    live_accepted: set[int] = set()
    if accepted_ids:
        live_accepted = {int(str(i)) for i in await Answer.filter(id__in=accepted_ids, status="published")
                         .values_list("id", flat=True)}
    views = await authors_for(services, rows, viewer)
    mine = await marks(viewer, "question", [str(i) for i in ids])
    out = []
    for q in rows:
        accepted = q.accepted_answer_id if q.accepted_answer_id in live_accepted else None
        out.append({
            "id": str(q.id), "title": q.title, "body": q.body, "text": q.text, "procedure": q.procedure,
            **author_fields(q, viewer, views), "status": q.status,
            "answer_count": q.answer_count, "answered": q.answer_count > 0,
            "accepted_answer_id": str(accepted) if accepted else None, "like_count": q.like_count,
            "follower_count": q.follower_count, **mine.of(str(q.id)),
            "version": q.version, "created_at": q.created_at,
            "updated_at": q.updated_at,
        })
    return out


# --- answers -----------------------------------------------------------------------------------

async def create_answer(services: ContentServices, member: Principal, question_id: object, data: AnswerIn) -> Answer:
    """Answer a published question; the asker is notified (never told who, if anonymous)."""
    question = await get_question(member, question_id)
    visible_or_raise(question, None, "question")  # hidden or removed: as the public is answered
    rich = await sanitize(data.body, field="body")
    if not rich.text:
        raise invalid("body", "must not be empty")
    at = now()
    doctor_id = await professionals.answer_doctor(member, data.anonymous)
    async with in_transaction():
        answer = await Answer.create(question_id=question.id, author_id=member.id, anonymous=data.anonymous,
                                     body=rich.html, text=rich.text, doctor_id=doctor_id, created_at=at,
                                     updated_at=at)
        await _answer_publicity(answer, True)
        await enqueue([("answer", str(answer.id))])
        await feed.fan_out("answer", answer)
    if question.author_id is not None and question.author_id != member.id:
        answerer = None if data.anonymous else {"id": str(member.id), "handle": member.handle}
        await services.notifier.notify(question.author_id, "answer", {
            "question_id": str(question.id), "question_title": question.title, "answer_id": str(answer.id),
            "excerpt": snippet(rich.text, 80), "answerer": answerer})
    await lifecycle.published(services, "answer", answer, rich.text)
    return answer


async def get_answer(viewer: Principal | None, answer_id: object) -> Answer:
    """The answer if the caller may see it and its question (404, or 451 when removed)."""
    answer = await get_visible(Answer, answer_id, viewer, "answer")
    await _answer_guard(answer, viewer)
    return answer


async def show_answer(viewer: Principal | None, answer_id: object) -> Any:
    """As ``get_answer``, read as a plain row (``kernel.rows``) for the detail view."""
    answer = await show_visible(Answer, answer_id, viewer, "answer")
    await _answer_guard(answer, viewer)
    return answer


async def list_answers(viewer: Principal | None, question_id: object,
                       query: PageQuery) -> tuple[Question, list[Row], list[Any] | None]:
    """Published answers: the accepted one first, then verified doctors' answers, then the others;
    within each group by score (highest first), then oldest first."""
    question = await show_visible(Question, question_id, viewer, "question")
    # The cursor is (group, score, id): group 1 is the doctors' answers, 0 the others'.
    after = decode_cursor(query.cursor, (int, int, int))
    rows = await fetch_sql(Answer, *_answer_page(question.id, question.accepted_answer_id, after, query.limit + 1,
                                                 viewer.id if viewer is not None else None))
    # The groups' rows in list order: sorting a few dozen here costs less than SQL sorting whole rows.
    rows.sort(key=lambda a: (-a.answer_group, -a.score, a.id))
    more = len(rows) > query.limit
    found = rows[: query.limit]
    if not more:
        return question, found, None
    last_answer = found[-1]
    if last_answer.id == question.accepted_answer_id:
        # The page ended on the accepted answer: the next one starts at the top of the doctors'. A
        # score above any a 32-bit column holds says so (a null would read as a forged cursor).
        return question, found, [DOCTORS, TOP_SCORE, 0]
    group = DOCTORS if last_answer.doctor_id is not None else OTHERS
    return question, found, [group, last_answer.score, last_answer.id]


def _answer_page(question: int, accepted: int | None, after: list[Any] | None, limit: int,
                 voter: int | None) -> tuple[str, list[Any]]:
    """One statement for a page of answers: each group's best ``limit`` (the accepted answer, the
    doctors', the others', each row with its ``answer_group``), for the caller to put in list order
    and cut; with a ``voter``, each answer's ``my_vote`` (0 when none) read in the same statement."""
    table = Answer._meta.db_table
    cols = columns(Answer)
    voted: list[Any] = []  # the parameter of each part's ``my_vote``, which comes first in it
    if voter is not None:
        cols += (f", COALESCE((SELECT value FROM {AnswerVote._meta.db_table} AS vote "  # noqa: S608 - constants
                 f"WHERE vote.answer_id = {table}.id AND vote.voter_id = ?), 0) AS my_vote")
        voted = [voter]
    parts: list[str] = []
    params: list[Any] = []
    if after is None and accepted is not None:
        parts.append(f"SELECT {cols}, {ACCEPTED} AS answer_group FROM {table} "  # noqa: S608 - names are constants
                     "WHERE id = ? AND question_id = ? AND status = ?")
        params += [*voted, accepted, question, "published"]
    start = after[0] if after is not None and after[0] is not None else DOCTORS
    for group in (DOCTORS, OTHERS):
        if group > start:
            continue
        sql = (f"SELECT {cols}, {group} AS answer_group FROM {table} "  # noqa: S608 - names are constants
               f"WHERE question_id = ? AND status = ? AND doctor_id IS {'NOT NULL' if group == DOCTORS else 'NULL'}")
        params += [*voted, question, "published"]
        if accepted is not None:
            sql += " AND id <> ?"
            params.append(accepted)
        if after is not None and group == start and after[1] is not None and after[2] is not None:
            sql += " AND (score < ? OR (score = ? AND id > ?))"
            params += [after[1], after[1], after[2]]
        parts.append(f"{sql} ORDER BY score DESC, id LIMIT ?")
        params.append(limit)
    union = " UNION ALL ".join(f"SELECT * FROM ({part}) AS part{n}"  # noqa: S608 - our own parts
                               for n, part in enumerate(parts))
    return union, params


async def update_answer(services: ContentServices, member: Principal, answer_id: object, patch: AnswerPatch,
                        precondition: Precondition) -> Answer:
    """The answerer edits the body; If-Match is honoured (412)."""
    answer = own_or_raise(await get_answer(member, answer_id), member, "answer")
    await _answer_guard(answer, None)  # no edits under a question the public may not read
    precondition(answer_etag(answer))
    rich = await sanitize(patch.body, field="body")
    if not rich.text:
        raise invalid("body", "must not be empty")
    async with in_transaction():
        updated = await Answer.filter(id=answer.id, version=answer.version).update(
            body=rich.html, text=rich.text, version=F("version") + 1, updated_at=now())
        if not updated:
            raise Problem(412, "The object changed since you read it; fetch it again.")
        await enqueue([("answer", str(answer.id))])
    await answer.refresh_from_db()
    await lifecycle.published(services, "answer", answer, rich.text)
    return answer


async def delete_answer(services: ContentServices, member: Principal, answer_id: object) -> None:
    """The answerer deletes: the acceptance goes with it, and search forgets it before this returns."""
    answer = own_or_raise(await get_answer(member, answer_id), member, "answer")
    await lifecycle.delete_by_author(services, "answer", answer)
    await Question.filter(id=answer.question_id, accepted_answer_id=answer.id).update(
        accepted_answer_id=None, version=F("version") + 1)


async def set_accepted(member: Principal, question_id: object, answer_id: str | None) -> Question:
    """The asker accepts one answer (replacing any other) or, with None, undoes the acceptance."""
    question = await get_question(member, question_id)
    if question.author_id != member.id:
        raise Problem(403, "Only the asker can accept an answer.")
    visible_or_raise(question, None, "question")
    target: int | None = None
    if answer_id is not None:
        key = parse_id(answer_id)
        if key is None:
            raise invalid("answer_id", "no such answer to this question")
        answer = await Answer.get_or_none(id=key, question_id=question.id, status="published")
        if answer is None:
            raise invalid("answer_id", "no such answer to this question")
        target = answer.id
    if question.accepted_answer_id != target:
        await Question.filter(id=question.id).update(accepted_answer_id=target, version=F("version") + 1)
        await question.refresh_from_db()
    return question


async def vote(member: Principal, answer_id: object, value: int) -> Answer:
    """One vote per member per answer: changing replaces, 0 withdraws; ``score`` moves atomically."""
    answer = await get_answer(member, answer_id)
    await open_to_writes(kind("answer"), answer)
    if answer.author_id == member.id:
        raise Problem(403, "You cannot vote on your own answer.")
    standing = await AnswerVote.filter(answer_id=answer.id, voter_id=member.id).values_list("value", flat=True)
    if (int(str(standing[0])) if standing else 0) == value:
        return answer  # the same vote again: nothing to write
    async with in_transaction() as conn:
        # Write first: takes SQLite's write lock (no read-then-write upgrade) and PostgreSQL's row
        # lock on the answer, so concurrent votes on it are serialized.
        await Answer.filter(id=answer.id).using_db(conn).update(score=F("score"))
        old = await AnswerVote.filter(answer_id=answer.id, voter_id=member.id).using_db(conn).first()
        previous = old.value if old else 0
        if value == 0:
            if old is not None:
                await old.delete(using_db=conn)
        elif old is None:
            await AnswerVote.create(answer_id=answer.id, voter_id=member.id, value=value, created_at=now(),
                                    using_db=conn)
        elif old.value != value:
            await AnswerVote.filter(id=old.id).using_db(conn).update(value=value, created_at=now())
        if value != previous:
            await Answer.filter(id=answer.id).using_db(conn).update(score=F("score") + (value - previous))
    await answer.refresh_from_db()
    return answer


async def answer_json(services: ContentServices, viewer: Principal | None, question: Question | None,
                      rows: Sequence[Answer | Row]) -> list[dict[str, Any]]:
    """Answers as the caller sees them, with score, the caller's vote and counts."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    keys = [str(i) for i in ids]
    my_votes: dict[int, int] = {}
    if viewer is not None and all(hasattr(a, "my_vote") for a in rows):
        my_votes = {a.id: getattr(a, "my_vote") for a in rows}  # noqa: B009 - read with the page (``list_answers``)
    elif viewer is not None:
        votes = await fetch(AnswerVote.filter(answer_id__in=ids, voter_id=viewer.id).only("answer_id", "value"))
        my_votes = {v.answer_id: v.value for v in votes}
    mine = await marks(viewer, "answer", keys)
    views = await authors_for(services, rows, viewer)
    doctors = await professionals.doctor_views([a.doctor_id for a in rows])
    accepted: dict[int, int | None] = {}
    if question is not None:
        accepted[question.id] = question.accepted_answer_id
    else:
        for q in await Question.filter(id__in={a.question_id for a in rows}).only("id", "accepted_answer_id"):
            accepted[q.id] = q.accepted_answer_id
    return [{
        "id": str(a.id), "question_id": str(a.question_id), "body": a.body, "text": a.text,
        **author_fields(a, viewer, views), "status": a.status,
        "accepted": accepted.get(a.question_id) == a.id, "score": a.score, "my_vote": my_votes.get(a.id, 0),
        # Only ever set on named answers: the mark must not tell who wrote an anonymous one.
        "by_doctor": doctors.get(a.doctor_id) if a.doctor_id is not None and not a.anonymous else None,
        "like_count": a.like_count, "liked": str(a.id) in mine.liked, "favorited": str(a.id) in mine.favorited,
        "comment_count": a.comment_count,
        "version": a.version, "created_at": a.created_at, "updated_at": a.updated_at,
    } for a in rows]


# --- demo questions (called by meiji/demo.py) ------------------------------------------------

DEMO_QUESTIONS: list[tuple[dict[str, Any], list[str]]] = [
    ({"title": "全切双眼皮一周了还是很肿，正常吗？", "procedure": "shuang-yan-pi", "anonymous": True,
      "body": "<p>上周五做的全切，今天拆线，眼睛还是肿得像核桃，有点担心。</p>"},
     ["<p>正常的，全切一般要两到四周才消大肿，前三天冰敷、之后热敷会好一些。</p>",
      "<p>我当时也是这样，一个月后就自然多了，别着急。</p>"]),
    ({"title": "热玛吉做完多久能看到效果？", "procedure": "thermage", "anonymous": False,
      "body": "<p>想在年底前做一次热玛吉，请问做完马上有效果吗？</p>"},
     ["<p>当天会有一点紧致感，真正的胶原新生要三个月左右才明显。</p>"]),
]


async def load_demo(services: ContentServices, asker: Principal, answerer: Principal) -> int:
    """Ask the demo questions and answer them (the asker accepts the first answer); returns questions made.

    A question names its procedure only when reference data has one with that slug.
    """
    made = 0
    for question_data, answers in DEMO_QUESTIONS:
        if await Question.exists(title=question_data["title"]):
            continue
        data = QuestionIn.model_validate(question_data)
        if data.procedure and not await reference.procedure_exists(data.procedure):
            data.procedure = None
        question = await create_question(services, asker, data)
        first: Answer | None = None
        for body in answers:
            answer = await create_answer(services, answerer, question.id, AnswerIn(body=body, anonymous=False))
            first = first or answer
        if first is not None:
            await set_accepted(asker, question.id, str(first.id))
        made += 1
    return made
