from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('moderation', '0003_suspensions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appellant_id', fields.IntField(db_index=True)),
                ('target_type', fields.CharField(max_length=16)),
                ('target_id', fields.CharField(max_length=40)),
                ('decision_key', fields.CharField(max_length=40)),
                ('decided_by', fields.IntField(null=True)),
                ('statement', fields.TextField(unique=False)),
                ('status', fields.CharField(max_length=12)),
                ('item_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'moderation_appeal', 'app': 'moderation', 'unique_together': (('appellant_id', 'decision_key'),), 'pk_attr': 'id', 'table_description': "A member's appeal (申诉) against one decision: a non-legal hide or removal, or a suspension."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueueNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item_id', fields.IntField(db_index=True)),
                ('author_id', fields.IntField()),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'moderation_queue_note', 'app': 'moderation', 'pk_attr': 'id', 'table_description': "A moderator's note on a queue item, for the other moderators (never shown to members)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Suspension',
            name='by_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Suspension',
            name='reason',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Suspension',
            name='until',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
    ]
