"""Diaries and questions keep their follower count on their own row, read with every list.

It was kept in ``content_follower_count`` (which still counts accounts, procedures, clinics and
doctors): a list of diaries or questions read it with a second statement per page.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_COPY = ("UPDATE {table} SET follower_count = (SELECT c.followers FROM content_follower_count c "
         "WHERE c.target_type = '{kind}' AND c.target_id = CAST({table}.id AS TEXT)) "
         "WHERE EXISTS (SELECT 1 FROM content_follower_count c WHERE c.target_type = '{kind}' "
         "AND c.target_id = CAST({table}.id AS TEXT))")
_BACK = ("INSERT INTO content_follower_count (target_type, target_id, followers) "
         "SELECT '{kind}', CAST(id AS TEXT), follower_count FROM {table} WHERE follower_count > 0")


class Migration(migrations.Migration):
    dependencies = [('content', '0005_wiki_materials_citations')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Diary',
            name='follower_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Question',
            name='follower_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunSQL(_COPY.format(table="content_diary", kind="diary"),
                   reverse_sql=_BACK.format(table="content_diary", kind="diary")),
        ops.RunSQL(_COPY.format(table="content_question", kind="question"),
                   reverse_sql=_BACK.format(table="content_question", kind="question")),
        ops.RunSQL("DELETE FROM content_follower_count WHERE target_type IN ('diary', 'question')",
                   reverse_sql="SELECT 1"),
    ]
