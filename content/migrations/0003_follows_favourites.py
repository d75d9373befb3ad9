"""Follows with their follower counts, favourites, and the indexes the feed reads posts by (status, time)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('content', '0002_wiki_revision_suppression')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Favourite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.IntField()),
                ('target_type', fields.CharField(max_length=16)),
                ('target_id', fields.CharField(max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'content_favourite', 'app': 'content', 'unique_together': (('member_id', 'target_type', 'target_id'),), 'pk_attr': 'id', 'table_description': "A member's favourite diary, review, question, answer or encyclopedia page, at most once"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Follow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.IntField()),
                ('target_type', fields.CharField(max_length=16)),
                ('target_id', fields.CharField(max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'content_follow', 'app': 'content', 'unique_together': (('member_id', 'target_type', 'target_id'),), 'pk_attr': 'id', 'table_description': 'A member follows something, at most once (target_id is an id, or a slug for procedures)'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FollowerCount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target_type', fields.CharField(max_length=16)),
                ('target_id', fields.CharField(max_length=80)),
                ('followers', fields.IntField(default=0, db_default=0)),
            ],
            options={'table': 'content_follower_count', 'app': 'content', 'unique_together': (('target_type', 'target_id'),), 'pk_attr': 'id', 'table_description': 'How many members follow one object, a counter moved only by atomic increments'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Answer',
            index=Index(fields=['status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Diary',
            index=Index(fields=['status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Question',
            index=Index(fields=['status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Review',
            index=Index(fields=['status', 'created_at']),
        ),
    ]
