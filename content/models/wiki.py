"""The encyclopedia (百科): pages about procedures, each save kept as a numbered revision."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from content.models._base import Post

__all__ = ["WikiPage", "WikiRevision"]


def _empty_list() -> list[Any]:
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


class WikiPage(Post):
    """The current state of an encyclopedia page, equal to its latest revision.

    Pages belong to the encyclopedia, not to a person: author_id stays NULL (so deleting an editor's
    account never deletes pages) and the editors are recorded on each revision.
    """

    slug = fields.CharField(max_length=80, unique=True)
    title = fields.CharField(max_length=120)
    aliases: fields.JSONField[list[str]] = fields.JSONField(default=_empty_list)
    summary = fields.TextField(default="")
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    facts: fields.JSONField[dict[str, Any]] = fields.JSONField(default=_empty_dict)
    # 材料 [{name, kind, brand, approval_no, note}] and sources per fact {fact name: [{title, url...}]}.
    materials: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=_empty_list, db_default="[]")
    citations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=_empty_dict, db_default="{}")
    procedure = fields.CharField(max_length=80, null=True, db_index=True)
    revision = fields.IntField(default=1, db_default=1)

    class Meta:
        table = "content_wiki_page"


class WikiRevision(Model):
    """One save of a page: the whole content as saved, with its editor, time and comment."""

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[WikiPage] = fields.ForeignKeyField(
        "content.WikiPage", related_name="revisions", on_delete=fields.CASCADE)
    page_id: int
    number = fields.IntField()
    title = fields.CharField(max_length=120)
    aliases: fields.JSONField[list[str]] = fields.JSONField(default=_empty_list)
    summary = fields.TextField(default="")
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    facts: fields.JSONField[dict[str, Any]] = fields.JSONField(default=_empty_dict)
    materials: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=_empty_list, db_default="[]")
    citations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=_empty_dict, db_default="{}")
    procedure = fields.CharField(max_length=80, null=True)
    author_id = fields.IntField(null=True)
    comment = fields.CharField(max_length=500, default="")
    reverted_from = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    # Revision deletion (as MediaWiki's): a moderator hides this revision's content from the public,
    # on a legal notice (case_id) or on their own; the row is kept whole for the legal record.
    suppressed = fields.BooleanField(default=False, db_default=False)
    suppressed_at = fields.DatetimeField(null=True)
    suppressed_case_id = fields.CharField(max_length=64, null=True)
    suppressed_reason = fields.TextField(null=True)

    class Meta:
        table = "content_wiki_revision"
        unique_together = (("page", "number"),)
