from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Upload',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('owner_id', fields.IntField(null=True, db_index=True)),
                ('purpose', fields.CharField(default='post', db_default='post', max_length=16)),
                ('status', fields.CharField(default='pending', db_index=True, db_default='pending', max_length=16)),
                ('holder', fields.CharField(null=True, db_index=True, max_length=80)),
                ('visible', fields.BooleanField(default=True, db_default=True)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('bytes', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('variants', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('attached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'media_upload', 'app': 'media', 'pk_attr': 'id', 'table_description': 'An uploaded image: its variants in storage and whether and to whom they are served.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UploadQuota',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner_id', fields.IntField()),
                ('day', fields.DateField()),
                ('count', fields.IntField(default=0, db_default=0)),
                ('bytes', fields.BigIntField(default=0, db_default=0)),
            ],
            options={'table': 'media_upload_quota', 'app': 'media', 'unique_together': (('owner_id', 'day'),), 'pk_attr': 'id', 'table_description': 'What one member uploaded on one UTC day, for the per-day quotas.'},
            bases=['Model'],
        ),
    ]
