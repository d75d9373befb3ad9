"""Account security: sessions name their client, email codes, one-time password resets, corrections with a reason."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meiji', '0003_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountCorrection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(db_index=True)),
                ('field', fields.CharField(max_length=32)),
                ('old_value', fields.CharField(null=True, max_length=40)),
                ('new_value', fields.CharField(max_length=40)),
                ('reason', fields.TextField(unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_correction', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'A correction a member made to data they cannot otherwise change (their birth date), with why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailChallenge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(unique=True)),
                ('email', fields.CharField(max_length=254)),
                ('code_hash', fields.CharField(max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0, db_default=0)),
            ],
            options={'table': 'account_email_challenge', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'A code sent to an address the member wants to use, theirs once they type it back.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PasswordReset',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_password_reset', 'app': 'meiji', 'pk_attr': 'id', 'table_description': "A one-time link to set a new password, stored only as its token's SHA-256."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='birth_date_corrected_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='user_agent',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
    ]
