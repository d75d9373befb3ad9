from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(unique=True, max_length=40)),
                ('password_hash', fields.CharField(max_length=200)),
                ('birth_date', fields.DateField(null=True)),
                ('guardian_consent', fields.BooleanField(default=False)),
                ('role', fields.CharField(default='member', db_default='member', max_length=16)),
                ('status', fields.CharField(default='active', db_default='active', max_length=16)),
                ('bio', fields.TextField(default='', unique=False)),
                ('avatar_media_id', fields.CharField(null=True, max_length=40)),
                ('version', fields.IntField(default=1, db_default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('suspended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'A member of the community, with a role: member, editor, moderator or admin.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(max_length=80)),
                ('key', fields.CharField(max_length=200)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('status', fields.IntField()),
                ('body', fields.BinaryField()),
                ('location', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_record', 'app': 'meiji', 'unique_together': (('scope', 'key'),), 'pk_attr': 'id', 'table_description': 'The first answer to a create sent with an Idempotency-Key, replayed for 24 h.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('meiji.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_session', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'A bearer token, stored only as its SHA-256.'},
            bases=['Model'],
        ),
    ]
