"""The indexes ``CounterNotice.restore_at`` (0003) and ``Suspension.until`` (0004) were declared
with: adding a column to an existing table made none. The legal and suspension timers read by them."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('moderation', '0004_moderator_tools')]

    initial = False

    operations = [
        ops.RunSQL("CREATE INDEX IF NOT EXISTS idx_moderation_counter_notice_restore_at "
                   "ON moderation_counter_notice (restore_at)",
                   reverse_sql="DROP INDEX IF EXISTS idx_moderation_counter_notice_restore_at"),
        ops.RunSQL("CREATE INDEX IF NOT EXISTS idx_moderation_suspension_until ON moderation_suspension (until)",
                   reverse_sql="DROP INDEX IF EXISTS idx_moderation_suspension_until"),
    ]
