"""An index on (holder, status): a post's uploads in a status are found by the post.

Without statistics (a database never analysed), SQLite chose the single-column ``status`` index for
``holder = ? AND status = ?`` and walked every attached upload.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('media', '0004_photo_takedowns')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Upload',
            index=Index(fields=['holder', 'status']),
        ),
    ]
