"""HTTP routes of the content room."""

from starlette.routing import BaseRoute

from content.routes import (
    comments,
    diaries,
    favourites,
    feed,
    follows,
    likes,
    professionals,
    questions,
    reference,
    reviews,
    wiki,
)

routes: list[BaseRoute] = [
    *reference.api.routes,
    *diaries.api.routes,
    *reviews.api.routes,
    *professionals.api.routes,
    *questions.api.routes,
    *comments.api.routes,
    *likes.api.routes,
    *follows.api.routes,
    *favourites.api.routes,
    *feed.api.routes,
    *wiki.api.routes,
]
