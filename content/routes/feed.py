"""``/v1/me/feed``: what is new in what I follow."""

from __future__ import annotations

from content.schemas.feed import FeedItem
from content.services import feed
from kernel.web.endpoints import Api, Call
from kernel.web.pagination import Page, PageQuery, page

api = Api("feed")


@api.route("GET", "/v1/me/feed", query=PageQuery, response=Page[FeedItem], auth="member", kept=True)
async def my_feed(call: Call[None, PageQuery]) -> object:
    """New entries of followed diaries, new posts of followed accounts (never anonymous ones), new
    diaries, reviews and questions on followed procedures, clinics and doctors, new answers to
    followed questions; newest first, published content only."""
    items, after = await feed.feed(call.member, call.query)
    return page(items, after)


routes = api.routes
