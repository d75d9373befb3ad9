from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('media', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeadCopy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('keys', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('urls', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'media_dead_copy', 'app': 'media', 'pk_attr': 'id', 'table_description': 'Public copies taken down whose deletion from storage or purge from the CDN has not succeeded'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Upload',
            name='public_token',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
