"""Rate-limit windows shared by every app process on PostgreSQL."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meiji', '0005_guardians_policies_announcements')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RateWindow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bucket', fields.CharField(max_length=32)),
                ('key', fields.CharField(max_length=80)),
                ('window_start', fields.BigIntField()),
                ('n', fields.IntField(default=0)),
                ('expires_at', fields.BigIntField(db_index=True)),
            ],
            options={'table': 'rate_window', 'app': 'meiji', 'unique_together': (('bucket', 'key', 'window_start'),), 'pk_attr': 'id', 'table_description': 'Requests counted in one fixed window of a rate-limit bucket, shared by every process on PostgreSQL.'},
            bases=['Model'],
        ),
    ]
