from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='OutboxEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('doc_type', fields.CharField(max_length=20)),
                ('doc_id', fields.CharField(max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('done', fields.BooleanField(default=False, db_default=False)),
            ],
            options={'table': 'search_outbox', 'app': 'search', 'indexes': [Index(fields=['done', 'id'])], 'pk_attr': 'id', 'table_description': 'A document key whose index entry must be brought up to date.'},
            bases=['Model'],
        ),
    ]
