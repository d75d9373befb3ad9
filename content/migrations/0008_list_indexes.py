"""Indexes for the lists apps page through.

- A question's answers by score, highest first, then oldest first: before this, a page read every
  published answer of the service. The score is descending in the index so that a page reads in
  its order without sorting (Tortoise's ``Index`` has no descending column: written as SQL).
- A post's comments in thread order: before this, every comment of the post was read and sorted.
- ``Answer.doctor_id``, declared indexed since 0004: adding the column there made no index.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('content', '0007_feed_fan_out')]

    initial = False

    operations = [
        ops.RunSQL("CREATE INDEX IF NOT EXISTS idx_content_answer_page "
                   "ON content_answer (question_id, status, score DESC, id)",
                   reverse_sql="DROP INDEX IF EXISTS idx_content_answer_page"),
        ops.AddIndex(
            model_name='Comment',
            index=Index(fields=['target_type', 'target_id', 'status', 'thread_id', 'id']),
        ),
        ops.RunSQL("CREATE INDEX IF NOT EXISTS idx_content_answer_doctor_id ON content_answer (doctor_id)",
                   reverse_sql="DROP INDEX IF EXISTS idx_content_answer_doctor_id"),
    ]
