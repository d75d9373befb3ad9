"""The application's collaborators are one typed, frozen services object, and rooms take only that.

Every request reads ``app.state.services`` as it is now: a changed copy given to the app (the way
tests swap a collaborator) is what the next request's service functions use.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from content.interfaces import MemoryNotifier
from meiji.services import Services
from tests.conftest import sign_up

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "meiji", "content", "media", "search", "moderation")


def test_one_frozen_services_object_is_built_and_cannot_be_changed_in_place(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    services = state.services
    assert isinstance(services, Services)
    assert services.authors is services.accounts
    with pytest.raises(dataclasses.FrozenInstanceError):
        services.notifier = MemoryNotifier()  # type: ignore[misc]
    for name in ("media", "search", "documents", "settings", "rate_limiter", "notifier", "screener"):
        assert not hasattr(state, name), f"app.state.{name} is a collaborator outside the services object"


def test_an_answer_notifies_the_asker_through_the_services_notifier_and_never_names_an_anonymous_helper(
        client: TestClient) -> None:
    notifier = MemoryNotifier()
    app_state = client.app.state  # type: ignore[attr-defined]
    app_state.services = dataclasses.replace(app_state.services, notifier=notifier)
    asker, helper, stranger = sign_up(client), sign_up(client), sign_up(client)

    r = client.post("/v1/questions", headers=asker.headers, json={
        "title": "热玛吉做完脸有点红，多久能消？", "body": "<p>昨天做的热玛吉，今天脸颊还有点红，需要冰敷吗？</p>",
        "anonymous": False})
    assert r.status_code == 201, r.text
    question_id = r.json()["id"]
    r = client.post(f"/v1/questions/{question_id}/answers", headers=helper.headers,
                    json={"body": "一般两三天就消了，别用热水洗脸，多补水。", "anonymous": True})
    assert r.status_code == 201, r.text
    answer_id = r.json()["id"]

    [(account_id, kind, payload)] = notifier.sent
    assert (str(account_id), kind) == (asker.id, "answer")
    assert payload["answer_id"] == answer_id and payload["answerer"] is None
    assert helper.id not in str(payload) and helper.handle not in str(payload)

    # Others, and the asker, see the answer without its author; only the helper sees it as theirs.
    for viewer in (stranger, asker, None):
        headers: dict[str, Any] = viewer.headers if viewer else {}
        r = client.get(f"/v1/questions/{question_id}/answers", headers=headers)
        assert r.status_code == 200, r.text
        [shown] = r.json()["items"]
        assert shown["author"] is None and helper.handle not in r.text
    r = client.get(f"/v1/questions/{question_id}/answers", headers=helper.headers)
    assert r.json()["items"][0]["is_mine"] is True


def _seam_parameters() -> list[str]:
    """Parameters named ``state`` or ``services`` left untyped (``Any``) in the project's code."""
    found: list[str] = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} {a.arg}" for a in args
                              if a.arg in ("state", "services")
                              and (a.annotation is None or ast.unparse(a.annotation) == "Any")]
                if isinstance(node, ast.Attribute) and node.attr == "state" and ast.unparse(node.value) == "call":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} call.state")
    return found


def test_no_service_takes_an_untyped_bag_of_services() -> None:
    assert _seam_parameters() == []
