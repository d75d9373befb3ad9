from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('media', '0002_public_copies')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Fingerprint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phash', fields.CharField(max_length=16)),
                ('b0', fields.IntField(db_index=True)),
                ('b1', fields.IntField(db_index=True)),
                ('b2', fields.IntField(db_index=True)),
                ('b3', fields.IntField(db_index=True)),
                ('reason', fields.CharField(default='removed', db_default='removed', max_length=16)),
                ('case_id', fields.CharField(null=True, max_length=40)),
                ('media_id', fields.CharField(max_length=40)),
                ('note', fields.CharField(default='', db_default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'media_fingerprint', 'app': 'media', 'unique_together': (('media_id', 'reason'),), 'pk_attr': 'id', 'table_description': 'The perceptual hash (pHash, 64 bits) of a photo that must not come back, and why.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Upload',
            name='phash',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
