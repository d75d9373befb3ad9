"""Wiki revisions can be suppressed: hidden from the public, kept for moderators and the legal record."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('content', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WikiRevision',
            name='suppressed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='WikiRevision',
            name='suppressed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WikiRevision',
            name='suppressed_case_id',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='WikiRevision',
            name='suppressed_reason',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
