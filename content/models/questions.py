"""Questions and answers (问答), and the votes that rank answers."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from content.models._base import Post

__all__ = ["Answer", "AnswerVote", "Question"]


class Question(Post):
    """A member's question about a procedure (问题), possibly anonymous."""

    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    procedure = fields.CharField(max_length=80, null=True, db_index=True)
    # The accepted answer (an Answer id of this question), kept as a plain id to avoid a cycle.
    accepted_answer_id = fields.IntField(null=True)
    # Published answers, kept exact by the answers' publicity hook (lists and ``answered=`` read it).
    answer_count = fields.IntField(default=0, db_default=0)
    # Members following it, moved by atomic increments (content/services/follows.py).
    follower_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "content_question"
        # The feed reads the newest published questions by status and time.
        indexes = (("status", "created_at"),)


class Answer(Post):
    """An answer to a question (回答), ranked by its vote score."""

    question: fields.ForeignKeyRelation[Question] = fields.ForeignKeyField(
        "content.Question", related_name="answers", on_delete=fields.CASCADE)
    question_id: int
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    score = fields.IntField(default=0, db_default=0)
    # The doctor the (named) answerer is verified as, while they are: answers rank by it after the
    # accepted one, and ``answered_by_doctor`` lists by it. Never set on an anonymous answer.
    doctor_id = fields.IntField(null=True, db_index=True)

    class Meta:
        table = "content_answer"
        # The feed reads the newest published answers by status and time. A question's page of
        # answers reads ``idx_content_answer_page`` (question_id, status, score DESC, id), written by
        # migration 0008: Tortoise cannot declare a descending column.
        indexes = (("status", "created_at"),)


class AnswerVote(Model):
    """One member's vote on one answer: +1 or -1 (withdrawing deletes the row)."""

    id = fields.IntField(primary_key=True)
    answer: fields.ForeignKeyRelation[Answer] = fields.ForeignKeyField(
        "content.Answer", related_name="votes", on_delete=fields.CASCADE)
    answer_id: int
    voter_id = fields.IntField(db_index=True)
    value = fields.SmallIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_answer_vote"
        unique_together = (("answer", "voter_id"),)
