"""Guardian consent for members under 14, acceptance of policy versions, and announcements."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meiji', '0004_account_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('kind', fields.CharField(max_length=20)),
                ('effective_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('policy_version', fields.CharField(null=True, max_length=40)),
                ('author_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery_announcement', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'A notice from the operator to every member: a policy update, a service notice, a shutdown.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuardianConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(unique=True)),
                ('guardian_email', fields.CharField(max_length=254)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_guardian_consent', 'app': 'meiji', 'pk_attr': 'id', 'table_description': "A guardian's consent to an account of a member under 14: who was asked, and when they confirmed."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(db_index=True)),
                ('policy_version', fields.CharField(max_length=40)),
                ('accepted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_policy_consent', 'app': 'meiji', 'unique_together': (('account_id', 'policy_version'),), 'pk_attr': 'id', 'table_description': "A member's acceptance of one version of the policies, and when."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='awaiting_guardian',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='policy_pending',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='policy_version_accepted',
            field=fields.CharField(null=True, max_length=40),
        ),
    ]
