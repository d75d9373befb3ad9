"""Delivery: the outbox, its attempts and members' choices; an account's email and when it was verified."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('meiji', '0002_sessions_idle_handle_holds')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('notification_id', fields.IntField(null=True)),
                ('account_id', fields.IntField(null=True)),
                ('recipient', fields.CharField(null=True, max_length=254)),
                ('kind', fields.CharField(max_length=32)),
                ('data', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='pending', db_default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery_outbox', 'app': 'meiji', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One message to send once: a webhook to the push gateway or an email.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery_id', fields.IntField(db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ok', fields.BooleanField()),
                ('detail', fields.CharField(max_length=200)),
            ],
            options={'table': 'delivery_attempt', 'app': 'meiji', 'pk_attr': 'id', 'table_description': 'What happened when the worker tried a row: ``ok`` or why not (an HTTP status, a timeout).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.IntField(unique=True)),
                ('push', fields.BooleanField(default=True)),
                ('email', fields.BooleanField(default=True)),
                ('kinds', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'delivery_preference', 'app': 'meiji', 'pk_attr': 'id', 'table_description': "A member's choices (no row: push on, email on, every kind)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='email',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name='Account',
            name='email_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
