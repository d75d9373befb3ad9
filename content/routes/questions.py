"""``/v1/questions`` and ``/v1/answers``: questions, answers, acceptance and votes (问答)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from content.interfaces import services_of
from content.models.questions import Answer, Question
from content.schemas.questions import (
    AcceptIn,
    AnswerIn,
    AnswerOut,
    AnswerPage,
    AnswerPatch,
    QuestionIn,
    QuestionOut,
    QuestionPage,
    QuestionPatch,
    QuestionQuery,
    VoteIn,
)
from content.services import questions
from content.services.questions import answer_etag, question_etag
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match
from kernel.web.pagination import PageQuery, page

api = Api("questions")


async def _question(call: Call[Any, Any], question: Question, status: int = 200) -> Response:
    [data] = await questions.question_json(services_of(call), call.principal, [question])
    headers = {"ETag": question_etag(question)}
    if status == 201:
        headers["Location"] = f"/v1/questions/{question.id}"
    return json_response(data, status, headers)


async def _answer(call: Call[Any, Any], answer: Answer, status: int = 200) -> Response:
    [data] = await questions.answer_json(services_of(call), call.principal, None, [answer])
    headers = {"ETag": answer_etag(answer)}
    if status == 201:
        headers["Location"] = f"/v1/answers/{answer.id}"
    return json_response(data, status, headers)


@api.route("POST", "/v1/questions", body=QuestionIn, response=QuestionOut, status=201, auth="member",
           idempotent=True, posting=True)
async def create_question(call: Call[QuestionIn, None]) -> Response:
    """Ask a question, optionally anonymously."""
    question = await questions.create_question(services_of(call), call.member, call.body)
    return await _question(call, question, 201)


@api.route("GET", "/v1/questions", query=QuestionQuery, response=QuestionPage, kept=True)
async def list_questions(call: Call[None, QuestionQuery]) -> object:
    """Published questions, newest first; filter by procedure and whether they have answers."""
    rows, after = await questions.list_questions(call.principal, call.query)
    return page(await questions.question_json(services_of(call), call.principal, rows), after)


@api.route("GET", "/v1/questions/{id}", response=QuestionOut, errors=(404, 451))
async def get_question(call: Call[None, None]) -> Response:
    """One question."""
    return await _question(call, await questions.show_question(call.principal, call.path["id"]))


@api.route("PATCH", "/v1/questions/{id}", body=QuestionPatch, response=QuestionOut, auth="member",
           errors=(403, 404, 412, 451))
async def patch_question(call: Call[QuestionPatch, None]) -> Response:
    """The asker edits the question (If-Match honoured)."""
    question = await questions.update_question(services_of(call), call.member, call.path["id"], call.body,
                                               lambda tag: check_if_match(call.request, tag))
    return await _question(call, question)


@api.route("DELETE", "/v1/questions/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_question(call: Call[None, None]) -> Response:
    """The asker deletes the question (and with it, its answers leave search)."""
    await questions.delete_question(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


@api.route("PUT", "/v1/questions/{id}/accepted-answer", body=AcceptIn, response=QuestionOut, auth="member",
           errors=(403, 404, 451))
async def accept_answer(call: Call[AcceptIn, None]) -> Response:
    """The asker accepts one answer (replacing an earlier choice)."""
    question = await questions.set_accepted(call.member, call.path["id"], call.body.answer_id)
    return await _question(call, question)


@api.route("DELETE", "/v1/questions/{id}/accepted-answer", response=QuestionOut, auth="member",
           errors=(403, 404, 451))
async def unaccept_answer(call: Call[None, None]) -> Response:
    """The asker takes the acceptance back."""
    question = await questions.set_accepted(call.member, call.path["id"], None)
    return await _question(call, question)


@api.route("POST", "/v1/questions/{id}/answers", body=AnswerIn, response=AnswerOut, status=201, auth="member",
           idempotent=True, errors=(404, 451), posting=True)
async def create_answer(call: Call[AnswerIn, None]) -> Response:
    """Answer a question, optionally anonymously; the asker is notified."""
    answer = await questions.create_answer(services_of(call), call.member, call.path["id"], call.body)
    return await _answer(call, answer, 201)


@api.route("GET", "/v1/questions/{id}/answers", query=PageQuery, response=AnswerPage, errors=(404, 451), kept=True)
async def list_answers(call: Call[None, PageQuery]) -> object:
    """Answers: the accepted one first, then by score."""
    question, rows, after = await questions.list_answers(call.principal, call.path["id"], call.query)
    return page(await questions.answer_json(services_of(call), call.principal, question, rows), after)


@api.route("GET", "/v1/answers/{id}", response=AnswerOut, errors=(404, 451))
async def get_answer(call: Call[None, None]) -> Response:
    """One answer."""
    return await _answer(call, await questions.show_answer(call.principal, call.path["id"]))


@api.route("PATCH", "/v1/answers/{id}", body=AnswerPatch, response=AnswerOut, auth="member",
           errors=(403, 404, 412, 451))
async def patch_answer(call: Call[AnswerPatch, None]) -> Response:
    """The answerer edits the answer (If-Match honoured)."""
    answer = await questions.update_answer(services_of(call), call.member, call.path["id"], call.body,
                                           lambda tag: check_if_match(call.request, tag))
    return await _answer(call, answer)


@api.route("DELETE", "/v1/answers/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_answer(call: Call[None, None]) -> Response:
    """The answerer deletes the answer."""
    await questions.delete_answer(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


@api.route("PUT", "/v1/answers/{id}/vote", body=VoteIn, response=AnswerOut, auth="member",
           errors=(403, 404, 451))
async def vote(call: Call[VoteIn, None]) -> Response:
    """Vote an answer up (1) or down (-1), or withdraw the vote (0); answers the answer with its score."""
    answer = await questions.vote(call.member, call.path["id"], call.body.value)
    return await _answer(call, answer)


routes = api.routes
