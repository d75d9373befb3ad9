"""Tables of the content room, one module per concept."""

from content.models.comments import *  # noqa: F403
from content.models.diaries import *  # noqa: F403
from content.models.favourites import *  # noqa: F403
from content.models.follows import *  # noqa: F403
from content.models.likes import *  # noqa: F403
from content.models.professionals import *  # noqa: F403
from content.models.questions import *  # noqa: F403
from content.models.reference import *  # noqa: F403
from content.models.reviews import *  # noqa: F403
from content.models.wiki import *  # noqa: F403
