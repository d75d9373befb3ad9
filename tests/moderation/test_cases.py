"""The legal case's transition table: the room guide draws it, every move obeys it, and a case with
two authors walks its rows over HTTP; the guide also lists the actions each kind of queue item takes."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from kernel.clock import clock
from moderation.models import Notice
from moderation.services import cases
from moderation.services.cases import TABLE, Event
from moderation.vocabulary import ACTIONS, Action, CaseState, ItemKind
from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, tick
from tests.moderation.test_notices import COUNTER, case

GUIDE = Path(__file__).resolve().parents[2] / "moderation" / "README.md"
Arrow = tuple[str, str, str]


def _guide_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## The legal process")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def guide_arrows() -> set[Arrow]:
    """``(from, event, to)`` for each state of each row of the guide's table of the legal process."""
    arrows: set[Arrow] = set()
    for line in _guide_section().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] == "from" or set(cells[0]) <= {"-"}:
            continue
        sources, [event], [target] = (re.findall(r"`([a-z_]+)`", cell) for cell in cells[:3])
        assert sources, line
        arrows.update((source, event, target) for source in sources)
    return arrows


def guide_finals() -> set[str]:
    sentence = re.search(r"Final states[^:]*:(.*?)\n\(", _guide_section(), re.DOTALL)
    assert sentence is not None
    return set(re.findall(r"`([a-z_]+)`", sentence.group(1)))


def test_every_arrow_of_the_guide_is_in_the_table_and_every_entry_in_the_guide() -> None:
    table = {(str(state), str(event), str(target)) for (state, event), target in TABLE.items()}
    drawn = guide_arrows()
    assert drawn - table == set(), "drawn in moderation/README.md, missing from cases.TABLE"
    assert table - drawn == set(), "in cases.TABLE, missing from moderation/README.md"


def test_the_guide_names_the_final_states_of_the_table() -> None:
    assert guide_finals() == {str(state) for state in cases.FINAL}
    assert cases.FINAL == {CaseState.REJECTED, CaseState.WITHDRAWN, CaseState.CLOSED, CaseState.RESTORED,
                           CaseState.LITIGATION_HOLD}


def test_the_guide_lists_the_actions_each_kind_of_item_takes() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("| item kind | actions it takes |"):]
    listed: dict[str, set[str]] = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        kind, actions = line.strip("|").split("|")[:2]
        [name] = re.findall(r"`([a-z_]+)`", kind)
        listed[name] = set(re.findall(r"`([a-z_]+)`", actions)) & {str(a) for a in Action}
    assert listed == {str(kind): {str(a) for a in ACTIONS[kind]} for kind in ItemKind}


def test_every_state_is_reached_from_a_new_notice_and_every_event_is_used() -> None:
    reached, frontier = {CaseState.RECEIVED}, [CaseState.RECEIVED]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TABLE.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseState)
    assert {event for _, event in TABLE} == set(Event)


def test_a_move_goes_where_the_table_says_and_nowhere_else(client: TestClient, member: Member) -> None:
    case_id, _ = file_notice(client, [{"type": "question", "id": ask(client, member)}])
    portal = client.portal
    assert portal is not None

    async def attempt(state: CaseState, event: Event) -> tuple[CaseState | None, str]:
        await Notice.filter(id=case_id).update(status=state)
        moved = await cases.move(case_id, event)
        return moved, (await Notice.get(id=case_id)).status

    for state in CaseState:
        for event in Event:
            moved, stored = portal.call(attempt, state, event)
            allowed = TABLE.get((state, event))
            assert moved == allowed, (state, event)
            assert stored == (allowed or state), (state, event)


def test_two_authors_answer_a_forwarded_case_and_one_is_restored_first(client: TestClient,
                                                                      moderator: Member) -> None:
    first, second, reader = sign_up(client), sign_up(client), sign_up(client)
    mine = ask(client, first, body="<p>自体脂肪填充苹果肌三个月，照片是在医院门口自己拍的。</p>")
    theirs = ask(client, second, body="<p>同一家医院做的脂肪填充，分享一下恢复期的注意事项。</p>")
    case_id, token = file_notice(client, [{"type": "question", "id": mine}, {"type": "question", "id": theirs}])
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "remove", "两处均使用了原图")

    # measures_taken -counter_notice-> counter_received -forward_counter-> counter_forwarded
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=first.headers).status_code == 201
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "forward_counter", "要素齐全")
    forwarded = case(client, case_id, token)
    assert forwarded["status"] == "counter_forwarded" and forwarded["restore_at"] is not None

    # Another author's answer joins the case as it stands.
    other = {**COUNTER, "name": "赵敏", "signature": "赵敏", "phone": "+86 137-2222-3333"}
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=other,
                       headers=second.headers).status_code == 201
    assert case(client, case_id, token)["status"] == "counter_forwarded"

    # The first author's wait ends without legal action; the second's answer still waits for a moderator.
    clock.advance(days=16)
    assert tick(client)["cases_restored"] == 1
    seen = case(client, case_id, token)
    assert seen["status"] == "counter_received" and seen["restore_at"] is None
    assert [c["name"] for c in seen["counter_notices"]] == ["王悦"]  # the claimant never sees the unforwarded one
    assert client.get(f"/v1/questions/{mine}", headers=reader.headers).status_code == 200
    assert client.get(f"/v1/questions/{theirs}", headers=reader.headers).status_code == 451
    assert client.get(f"/v1/questions/{theirs}").status_code == 451
    assert client.get(f"/v1/questions/{theirs}", headers=second.headers).json()["status"] == "removed"
    assert item_of(client, moderator, "question", theirs)["kind"] == "counter_notice"

    # Not a move of this state: nothing changes.
    r = client.post(f"/v1/notices/{case_id}/supplements", json={"description": "补充原图的拍摄时间"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 409
    assert case(client, case_id, token)["status"] == "counter_received"

    # counter_received -legal_action-> litigation_hold: the second author's post stays down, the first's up.
    r = client.post(f"/v1/notices/{case_id}/legal-action", json={"description": "已向法院提起诉讼"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "litigation_hold"
    assert client.get(f"/v1/questions/{theirs}", headers=reader.headers).status_code == 451
    assert client.get(f"/v1/questions/{mine}", headers=reader.headers).status_code == 200
