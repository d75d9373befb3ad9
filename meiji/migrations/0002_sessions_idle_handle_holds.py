"""Sessions record their last use (idle sessions end); deleted accounts' handles are held for a while."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meiji', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HandleHold',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(unique=True, max_length=40)),
                ('held_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_handle_hold', 'app': 'meiji', 'pk_attr': 'id', 'table_description': "A deleted account's handle, kept from new owners until ``held_until``."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Session',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
