from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('media', '0003_fingerprints')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Upload',
            name='takedown',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Upload',
            name='takedown_case_id',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Upload',
            name='takedown_reason',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
