"""HTTP routes of the content room."""

from starlette.routing import BaseRoute

from content.routes import comments, diaries, likes, questions, reference, reviews, wiki

routes: list[BaseRoute] = [
    *reference.api.routes,
    *diaries.api.routes,
    *reviews.api.routes,
    *questions.api.routes,
    *comments.api.routes,
    *likes.api.routes,
    *wiki.api.routes,
]
