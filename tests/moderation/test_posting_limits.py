"""Posting limits per account: fresh accounts post less, and signing in again resets nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from kernel.clock import clock
from kernel.settings import RateLimit
from tests.conftest import AppFactory, Member, sign_up
from tests.moderation.test_accounts import sign_in

LIMITS = {"post": RateLimit(4, 86400), "post_new": RateLimit(2, 86400)}


def post(client: TestClient, member: Member, n: int) -> int:
    r = client.post("/v1/questions", json={"title": f"第{n}次提问：玻尿酸能维持多久？",
                                           "body": "<p>打了一支玻尿酸，想知道能维持多久。</p>", "anonymous": False},
                    headers=member.headers)
    return r.status_code


def test_a_fresh_account_posts_less_and_a_new_session_does_not_reset_it(make_client: AppFactory) -> None:
    with make_client(rate_limits=LIMITS, reporter_min_age_days=7) as client:
        fresh = sign_up(client)
        assert [post(client, fresh, n) for n in range(2)] == [201, 201]
        r = client.post("/v1/questions", json={"title": "再问一次", "body": "<p>还是想问问。</p>", "anonymous": True},
                        headers=fresh.headers)
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert "post_new" in r.json()["detail"]
        # A new session is the same account; so is an answer or a diary.
        again = sign_in(client, fresh)
        assert post(client, again, 3) == 429
        other_author = sign_up(client)
        question = client.post("/v1/questions", json={"title": "双眼皮多久消肿？", "body": "<p>第七天了。</p>",
                                                      "anonymous": False}, headers=other_author.headers).json()["id"]
        assert client.post(f"/v1/questions/{question}/answers", json={"body": "<p>一般两周。</p>", "anonymous": False},
                           headers=again.headers).status_code == 429
        # Reading stays open, and another account posts.
        assert client.get(f"/v1/questions/{question}", headers=again.headers).status_code == 200
        assert post(client, sign_up(client), 4) == 201


def test_an_established_account_posts_more(make_client: AppFactory) -> None:
    with make_client(rate_limits=LIMITS, reporter_min_age_days=7) as client:
        member = sign_up(client)
        clock.advance(days=8)
        assert [post(client, member, n) for n in range(5)] == [201, 201, 201, 201, 429]


def test_at_zero_days_every_account_has_the_full_allowance(make_client: AppFactory) -> None:
    with make_client(rate_limits=LIMITS, reporter_min_age_days=0) as client:
        member = sign_up(client)
        assert [post(client, member, n) for n in range(5)] == [201, 201, 201, 201, 429]
