"""Reference data: procedures (项目), clinics (机构) and doctors (医生), written by editors."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["Clinic", "Doctor", "Procedure", "Rated"]

SCORE_NAMES = ("effect", "service", "environment", "professionalism")


class Procedure(Model):
    """A procedure with its aliases, such as 双眼皮 also called 重睑术"""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=80)
    parent = fields.CharField(max_length=80, null=True)
    aliases: fields.JSONField[list[str]] = fields.JSONField(default=list)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "content_procedure"


class Rated(Model):
    """The running rating summary of a review target, changed only by atomic increments"""

    rating_count = fields.IntField(default=0, db_default=0)
    rating_sum = fields.IntField(default=0, db_default=0)
    r1 = fields.IntField(default=0, db_default=0)
    r2 = fields.IntField(default=0, db_default=0)
    r3 = fields.IntField(default=0, db_default=0)
    r4 = fields.IntField(default=0, db_default=0)
    r5 = fields.IntField(default=0, db_default=0)
    effect_sum = fields.IntField(default=0, db_default=0)
    effect_count = fields.IntField(default=0, db_default=0)
    service_sum = fields.IntField(default=0, db_default=0)
    service_count = fields.IntField(default=0, db_default=0)
    environment_sum = fields.IntField(default=0, db_default=0)
    environment_count = fields.IntField(default=0, db_default=0)
    professionalism_sum = fields.IntField(default=0, db_default=0)
    professionalism_count = fields.IntField(default=0, db_default=0)

    class Meta:
        abstract = True


class Clinic(Rated):
    """A licensed clinic in a city"""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=40, db_index=True)
    license_no = fields.CharField(max_length=80, null=True)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "content_clinic"


class Doctor(Rated):
    """A doctor, usually working at one clinic"""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    clinic_id = fields.IntField(null=True, db_index=True)
    title = fields.CharField(max_length=80, default="", db_default="")
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "content_doctor"
