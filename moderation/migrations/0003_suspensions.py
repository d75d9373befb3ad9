from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('moderation', '0002_audit_append_only')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Suspension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(db_index=True)),
                ('cause', fields.CharField(max_length=16)),
                ('case_id', fields.CharField(null=True, max_length=24)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'moderation_suspension', 'app': 'moderation', 'pk_attr': 'id', 'table_description': 'Why an account is read-only: strikes (ends by itself when they are lifted) or removal on reports.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CounterNotice',
            name='outcome',
            field=fields.CharField(null=True, max_length=12),
        ),
        ops.AddField(
            model_name='CounterNotice',
            name='restore_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        # Counter-notices forwarded before each author had a clock of their own keep their case's.
        ops.RunSQL(
            "UPDATE moderation_counter_notice SET restore_at = (SELECT n.restore_at FROM moderation_notice n "
            "WHERE n.id = moderation_counter_notice.notice_id) WHERE status = 'forwarded' AND restore_at IS NULL",
            reverse_sql="SELECT 1",
        ),
    ]
