"""The strict floor's table: three columns, nothing else (``bench/floors.py``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class FloorRow(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)
    value = fields.IntField()

    class Meta:
        table = "floor_row"
