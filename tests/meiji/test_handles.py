"""Handles that look alike are one handle: taken, held and refused by their look-alike key.

A member's handle is shown as typed; what decides whether it is free is its key (NFKC, case,
invisible characters, confusable letters, traditional Chinese), so nobody can pose as another
member, a moderator or a departed account with a handle a reader could take for theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel import db
from kernel.clock import clock
from meiji.accounts import services
from meiji.accounts.handles import lookalike_key
from meiji.app import create_app
from tests.conftest import PASSWORD, base_settings, sign_up
from tests.content._migrations import migrate_to

# (the original, a handle that looks like it)
LOOK_ALIKES = [
    ("carol_adv", "cаrol_adv"),      # a Cyrillic а
    ("admin", "аdmin"),              # a Cyrillic а
    ("alice_adv", "ALICE_ADV"),      # case
    ("ABC", "ＡＢＣ"),                # full width
    ("美记审核员", "美記审核员"),       # traditional 記
    ("美记", "美記"),
    ("小鹿爱美", "小鹿爱美\u3164"),    # an invisible Hangul filler
]


def _signup(client: TestClient, handle: str) -> Any:
    return client.post("/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": "1995-03-08"})


def _signs_in(client: TestClient, handle: str) -> bool:
    return client.post("/v1/sessions", json={"handle": handle, "password": PASSWORD}).status_code == 201


def _taken(r: Any) -> None:
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "This handle is taken."


@pytest.fixture
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


def test_a_look_alike_of_a_handle_is_taken_at_sign_up(db_client: TestClient) -> None:
    for original, _ in LOOK_ALIKES:
        sign_up(db_client, role="moderator" if original == "美记审核员" else "member", handle=original)
    for original, look_alike in LOOK_ALIKES:
        _taken(_signup(db_client, look_alike))
        assert _signs_in(db_client, original)
        # Signing in takes the handle exactly: the look-alike finds nobody.
        assert not _signs_in(db_client, look_alike)
    # The same answer as for the handle itself.
    exact = _signup(db_client, "carol_adv")
    _taken(exact)
    assert exact.json() == _signup(db_client, "CAROL_ADV").json()


def test_a_handle_that_differs_by_a_real_character_is_free(db_client: TestClient) -> None:
    sign_up(db_client, handle="carol_adv")
    sign_up(db_client, handle="美记")
    for handle in ("carol_adv2", "carol_adw", "美丽", "成都妹子阿宁"):
        r = _signup(db_client, handle)
        assert r.status_code == 201, r.text
        assert r.json()["handle"] == handle


def test_the_handle_is_shown_as_typed(db_client: TestClient) -> None:
    r = _signup(db_client, "北漂Lily")
    assert r.status_code == 201
    assert r.json()["handle"] == "北漂Lily"
    assert db_client.get(f"/v1/accounts/{r.json()['id']}").json()["handle"] == "北漂Lily"


def test_a_look_alike_of_a_handle_is_taken_on_rename(db_client: TestClient) -> None:
    for original, _ in LOOK_ALIKES:
        sign_up(db_client, handle=original)
    renaming = sign_up(db_client, handle="想改名的人")
    for original, look_alike in LOOK_ALIKES:
        _taken(db_client.patch("/v1/me", json={"handle": look_alike}, headers=renaming.headers))
        assert db_client.get("/v1/me", headers=renaming.headers).json()["handle"] == "想改名的人"
        assert _signs_in(db_client, original)
    r = db_client.patch("/v1/me", json={"handle": "carol_adv2"}, headers=renaming.headers)
    assert r.status_code == 200, r.text
    assert r.json()["handle"] == "carol_adv2"


def test_a_member_may_change_the_case_of_their_own_handle(db_client: TestClient) -> None:
    alice = sign_up(db_client, handle="alice_adv")
    r = db_client.patch("/v1/me", json={"handle": "Alice_Adv"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["handle"] == "Alice_Adv"
    assert _signs_in(db_client, "Alice_Adv")
    _taken(_signup(db_client, "alice_adv"))


def test_the_database_judges_look_alikes_written_at_once(db_client: TestClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # As if a second sign-up had checked before the first committed: the unique key refuses it.
    sign_up(db_client, handle="美记")
    other = sign_up(db_client, handle="另一个会员")

    async def never_taken(handle: str, *, account_id: int | None = None) -> bool:
        return False

    monkeypatch.setattr(services, "handle_taken", never_taken)
    _taken(_signup(db_client, "美記"))
    _taken(db_client.patch("/v1/me", json={"handle": "美記"}, headers=other.headers))
    assert db_client.get("/v1/me", headers=other.headers).json()["handle"] == "另一个会员"


def test_a_departed_members_handle_is_held_from_look_alikes(db_client: TestClient, restore_clock: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    leaving = sign_up(db_client, handle="carol_adv")
    r = db_client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"},
                          headers=leaving.headers)
    assert r.status_code == 204

    for look_alike in ("CAROL_ADV", "cаrol_adv", "ｃａｒｏｌ_ａｄｖ"):
        _taken(_signup(db_client, look_alike))
    other = sign_up(db_client, handle="旁观者")
    _taken(db_client.patch("/v1/me", json={"handle": "cаrol_adv"}, headers=other.headers))
    assert _signup(db_client, "carol_adv2").status_code == 201

    # The hold is checked in the transaction that writes the account, too.
    async def never_taken(handle: str, *, account_id: int | None = None) -> bool:
        return False

    with monkeypatch.context() as m:
        m.setattr(services, "handle_taken", never_taken)
        _taken(_signup(db_client, "Carol_Adv"))
        _taken(db_client.patch("/v1/me", json={"handle": "Carol_Adv"}, headers=other.headers))

    clock.advance(days=30, hours=1)
    r = _signup(db_client, "CAROL_ADV")
    assert r.status_code == 201, r.text
    assert r.json()["id"] != leaving.id


def test_a_handle_like_an_erased_accounts_is_refused(db_client: TestClient) -> None:
    for handle in ("deleted-9-abcd", "Deleted_12", "deleted.3", "ԁeleted-9-abcd", "deleted-"):
        r = _signup(db_client, handle)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == ["handle"]


def test_renaming_to_a_handle_like_an_erased_accounts_is_refused(db_client: TestClient) -> None:
    member = sign_up(db_client, handle="小雨")
    r = db_client.patch("/v1/me", json={"handle": "deleted-9-abcd"}, headers=member.headers)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["handle"]
    assert db_client.get("/v1/me", headers=member.headers).json()["handle"] == "小雨"
    # Words that only begin the same way are handles like any other.
    for handle in ("deletedfan", "deleted9"):
        assert db_client.patch("/v1/me", json={"handle": handle}, headers=member.headers).status_code == 200


# --- the migration ---------------------------------------------------------------------------

BEFORE = "meiji.0006_rate_windows"


async def _sql(url: str, data_dir: Path, statements: list[tuple[str, list[Any]]]) -> list[list[dict[str, Any]]]:
    await db.open_database(base_settings(data_dir, database_url=url))
    try:
        mark = "?" if db.dialect() == "sqlite" else "$"
        out = []
        for sql, values in statements:
            if mark == "$":
                for n in range(1, len(values) + 1):
                    sql = sql.replace("?", f"${n}", 1)
            out.append(list(await db.connection().execute_query_dict(sql, values)))
        return out
    finally:
        await db.close_database()


def test_accounts_from_before_get_their_key(tmp_path: Path, database_url: str) -> None:
    settings = base_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        sign_up(client, handle="carol_adv")
        leaving = sign_up(client, handle="美记日记")
        r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"},
                           headers=leaving.headers)
        assert r.status_code == 204

    # Back to the version without keys, where a look-alike could still sign up.
    migrate_to(database_url, tmp_path, BEFORE)
    # Two accounts made then, with carol_adv's password and dates.
    copy = ("INSERT INTO account (handle, password_hash, birth_date, guardian_consent, bio, created_at) "
            "SELECT ?, password_hash, birth_date, guardian_consent, bio, created_at FROM account WHERE handle = ?")
    asyncio.run(_sql(database_url, tmp_path, [(copy, ["CAROL_ADV", "carol_adv"]), (copy, ["小美", "carol_adv"])]))

    migrate_to(database_url, tmp_path, None)
    [accounts, holds] = asyncio.run(_sql(database_url, tmp_path, [
        ("SELECT handle, handle_key, status FROM account ORDER BY id", []),
        ("SELECT handle, handle_key FROM account_handle_hold", []),
    ]))
    keys = {a["handle"]: a["handle_key"] for a in accounts}
    assert keys["carol_adv"] == "carol_adv"
    assert keys["小美"] == "小美"
    assert keys["CAROL_ADV"] is None  # the older carol_adv keeps the key
    [erased] = [a for a in accounts if a["status"] == "deleted"]
    assert erased["handle_key"] == lookalike_key(erased["handle"])
    assert holds == [{"handle": "美记日记", "handle_key": "美记日记"}]

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        _taken(_signup(client, "cаrol_adv"))
        _taken(_signup(client, "美記日记"))
        _taken(_signup(client, "小美"))
        assert _signs_in(client, "carol_adv") and _signs_in(client, "CAROL_ADV") and _signs_in(client, "小美")
        # The later look-alike may move to a handle of its own, which then has its key.
        token = client.post("/v1/sessions", json={"handle": "CAROL_ADV", "password": PASSWORD}).json()["token"]
        r = client.patch("/v1/me", json={"handle": "carol_的新名字"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        _taken(_signup(client, "CAROL_的新名字"))
