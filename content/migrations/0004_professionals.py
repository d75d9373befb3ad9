"""Professional accounts (clinic staff, doctors), official replies to reviews, and doctors' answers."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('content', '0003_follows_favourites')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProfessionalLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(unique=True)),
                ('kind', fields.CharField(max_length=8)),
                ('clinic_id', fields.IntField(null=True, db_index=True)),
                ('doctor_id', fields.IntField(null=True, unique=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'content_professional', 'app': 'content', 'pk_attr': 'id', 'table_description': 'An account an admin verified as staff of a clinic or as a doctor'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author_id', fields.IntField(null=True, db_index=True)),
                ('anonymous', fields.BooleanField(default=False, db_default=False)),
                ('status', fields.CharField(default='published', db_index=True, db_default='published', max_length=16)),
                ('case_id', fields.CharField(null=True, max_length=64)),
                ('status_reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, db_default=1)),
                ('like_count', fields.IntField(default=0, db_default=0)),
                ('comment_count', fields.IntField(default=0, db_default=0)),
                ('review_id', fields.IntField(unique=True)),
                ('by_type', fields.CharField(max_length=8)),
                ('by_id', fields.IntField()),
                ('body', fields.TextField(default='', unique=False)),
                ('text', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'content_review_reply', 'app': 'content', 'pk_attr': 'id', 'table_description': "The official reply to one review, in its clinic's or doctor's name"},
            bases=['Post'],
        ),
        ops.AddField(
            model_name='Answer',
            name='doctor_id',
            field=fields.IntField(null=True, db_index=True),
        ),
    ]
