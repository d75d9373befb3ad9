"""The feed is written when a post is published (fan-out on write): one row per follower and source.

Existing follows get their rows here, every matching post of every followed source, so a feed
reads the same before and after the upgrade.
"""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

_INSERT = ("INSERT INTO content_feed_item (member_id, created_at, rank, post_id, because_type, because_id) "
           "SELECT f.member_id, p.created_at, {rank}, p.id, f.target_type, f.target_id "
           "FROM content_follow f JOIN {table} p ON {on} WHERE f.target_type = '{source}' "
           "ON CONFLICT DO NOTHING")
# (post rank, post table, followed source, how a post matches it): content/services/feed.py's rules.
_MATCHES = [
    (1, "content_diary_entry", "diary", "CAST(p.diary_id AS TEXT) = f.target_id"),
    (0, "content_diary", "account", "CAST(p.author_id AS TEXT) = f.target_id AND p.anonymous = FALSE"),
    (0, "content_diary", "procedure", "p.procedure = f.target_id"),
    (0, "content_diary", "clinic", "CAST(p.clinic_id AS TEXT) = f.target_id"),
    (0, "content_diary", "doctor", "CAST(p.doctor_id AS TEXT) = f.target_id"),
    (2, "content_review", "account", "CAST(p.author_id AS TEXT) = f.target_id AND p.anonymous = FALSE"),
    (2, "content_review", "procedure", "p.procedure = f.target_id"),
    (2, "content_review", "clinic", "p.target_type = 'clinic' AND CAST(p.target_id AS TEXT) = f.target_id"),
    (2, "content_review", "doctor", "p.target_type = 'doctor' AND CAST(p.target_id AS TEXT) = f.target_id"),
    (3, "content_question", "account", "CAST(p.author_id AS TEXT) = f.target_id AND p.anonymous = FALSE"),
    (3, "content_question", "procedure", "p.procedure = f.target_id"),
    (4, "content_answer", "account", "CAST(p.author_id AS TEXT) = f.target_id AND p.anonymous = FALSE"),
    (4, "content_answer", "question", "CAST(p.question_id AS TEXT) = f.target_id"),
]


class Migration(migrations.Migration):
    dependencies = [('content', '0006_follower_count_on_rows')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeedItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('rank', fields.SmallIntField()),
                ('post_id', fields.IntField()),
                ('because_type', fields.CharField(max_length=16)),
                ('because_id', fields.CharField(max_length=80)),
            ],
            options={'table': 'content_feed_item', 'app': 'content',
                     'unique_together': (('member_id', 'rank', 'post_id', 'because_type', 'because_id'),),
                     'indexes': (('member_id', 'created_at', 'rank', 'post_id'),
                                 ('member_id', 'because_type', 'because_id')),
                     'pk_attr': 'id',
                     'table_description': "A post that reached a member's feed through one source they follow "
                                          "(one row per source)"},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Follow',
            index=Index(fields=['target_type', 'target_id']),
        ),
        *[ops.RunSQL(_INSERT.format(rank=rank, table=table, source=source, on=on), reverse_sql="SELECT 1")
          for rank, table, source, on in _MATCHES],
    ]
