"""``/metrics`` answers the scraper (a bearer token or an allowed network) and looks absent to everyone else."""

from __future__ import annotations

import ipaddress
import platform
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from meiji.app import create_app
from tests.conftest import base_settings, sign_up
from tests.content.factories import diary, drain, entry, reference

SCRAPER_TOKEN = "prometheus-scrape-0123456789abcdef"


@contextmanager
def app_from(tmp_path: Path, sqlite_url: str, address: str, **settings: Any) -> Iterator[TestClient]:
    """The app as seen from ``address`` (the TestClient's own address is not an IP)."""
    app = create_app(base_settings(tmp_path, database_url=sqlite_url, **settings))
    with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as client:
        yield client


def assert_absent(r: Any) -> None:
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "meiji_requests_total" not in r.text


def test_metrics_are_closed_to_the_public_by_default(tmp_path: Path, sqlite_url: str) -> None:
    with app_from(tmp_path, sqlite_url, "203.0.113.9") as client:
        member = sign_up(client)
        client.get("/v1/notices/1")
        assert_absent(client.get("/metrics"))
        assert_absent(client.get("/metrics", headers=member.headers))  # a member's token is no scraper's
        unknown = client.get("/no-such-route")
        assert client.get("/metrics").json()["detail"] == unknown.json()["detail"]
    # The same host (loopback) scrapes without a token.
    with app_from(tmp_path, sqlite_url, "127.0.0.1") as client:
        client.get("/healthz")
        r = client.get("/metrics")
        assert r.status_code == 200
        assert 'meiji_requests_total{method="GET",route="/healthz",status="200"}' in r.text


def test_the_scrapers_token_opens_metrics_from_anywhere(tmp_path: Path, sqlite_url: str) -> None:
    with app_from(tmp_path, sqlite_url, "198.51.100.20", metrics_token=SCRAPER_TOKEN) as client:
        client.get("/healthz")
        r = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})
        assert r.status_code == 200
        assert "meiji_request_seconds_bucket" in r.text
        assert_absent(client.get("/metrics", headers={"Authorization": "Bearer prometheus-guess-0123456789"}))
        assert_absent(client.get("/metrics"))


def test_allowed_networks_scrape_and_others_do_not(tmp_path: Path, sqlite_url: str) -> None:
    networks = (ipaddress.ip_network("10.20.0.0/16"),)
    with app_from(tmp_path, sqlite_url, "10.20.3.4", metrics_networks=networks) as client:
        assert client.get("/metrics").status_code == 200
    with app_from(tmp_path, sqlite_url, "10.21.3.4", metrics_networks=networks) as client:
        assert_absent(client.get("/metrics"))
    with app_from(tmp_path, sqlite_url, "127.0.0.1", metrics_networks=networks) as client:
        assert_absent(client.get("/metrics"))  # loopback is only the default, not always allowed


def test_the_scraper_sees_how_many_searches_kept_pages_answered(tmp_path: Path, sqlite_url: str) -> None:
    # An operator sizing MEIJI_SEARCH_RESULTS_KEPT reads how often a search was answered from a kept page.
    with app_from(tmp_path, sqlite_url, "127.0.0.1", search_url=f"tantivy://{tmp_path / 'index'}") as client:
        for q in ["双眼皮", "双眼皮", "热玛吉", "双眼皮"]:
            assert client.get("/v1/search", params={"q": q}).status_code == 200
        text = client.get("/metrics").text
        assert 'meiji_search_answers_total{answer="kept"} 2' in text
        assert 'meiji_search_answers_total{answer="searched"} 2' in text
    # An index that keeps no pages has no such counter.
    with app_from(tmp_path / "none", sqlite_url, "127.0.0.1", search_url=f"tantivy://{tmp_path / 'index2'}",
                  search_results_kept=0) as client:
        client.get("/v1/search", params={"q": "双眼皮"})
        assert "meiji_search_answers_total" not in client.get("/metrics").text


def indexed_lines(client: TestClient) -> dict[str, int]:
    text = client.get("/metrics").text
    return {kind: int(n) for kind, n in re.findall(r'meiji_search_lines_total\{line="(\w+)"\} (\d+)', text)}


def test_the_scraper_sees_how_much_of_a_growing_diary_was_analysed_again(tmp_path: Path, sqlite_url: str,
                                                                         sqlite_template: Path) -> None:
    # An operator sizing MEIJI_SEARCH_LINES_KEPT reads how many lines the indexer had to analyse anew.
    def story(client: TestClient) -> tuple[dict[str, int], dict[str, int], str]:
        member = sign_up(client)
        book = diary(client, member, reference(client))
        entry(client, member, book["id"], body="<p>术后第三天，眼睛肿得像核桃，冰敷以后好一点。</p>")
        drain(client)
        before = indexed_lines(client)
        entry(client, member, book["id"], body="<p>第七天拆线，医生说恢复得不错，内双的弧度出来了。</p>")
        drain(client)
        return before, indexed_lines(client), book["id"]

    with app_from(tmp_path, sqlite_url, "127.0.0.1", search_url=f"tantivy://{tmp_path / 'index'}") as client:
        before, after, book_id = story(client)
        assert before["analysed"] > 0
        # Indexed again with its new entry, the diary's title and first entry come from the kept
        # tokens: only the new entry's line is analysed.
        assert after["analysed"] - before["analysed"] == 1
        assert after["kept"] - before["kept"] == 2
        r = client.get("/v1/search", params={"q": "拆线"})
        assert [hit["id"] for hit in r.json()["items"]] == [book_id]  # the new entry is found
    # With no lines kept, the whole diary is analysed again.
    fresh = tmp_path / "none.sqlite3"
    shutil.copy(sqlite_template, fresh)
    with app_from(tmp_path / "none", f"sqlite://{fresh}", "127.0.0.1", search_url=f"tantivy://{tmp_path / 'index2'}",
                  search_lines_kept=0) as client:
        before, after, _ = story(client)
        assert after["analysed"] - before["analysed"] == 3
        assert after["kept"] == before["kept"] == 0


def test_probes_and_the_scraper_are_answered_when_their_address_is_out_of_requests(tmp_path: Path,
                                                                                    sqlite_url: str) -> None:
    from kernel.settings import parse_rate_limits

    # The orchestrator's node is also where busy clients come from: the address spends its requests.
    with app_from(tmp_path, sqlite_url, "127.0.0.1", rate_limits=parse_rate_limits("X", "ip=5/300")) as client:
        answered = [client.get("/v1/diaries").status_code for _ in range(6)]
        assert answered == [200] * 5 + [429]
        assert client.get("/v1/questions").status_code == 429
        for _ in range(10):
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/metrics").status_code == 200
        assert client.get("/readyz").status_code == 429  # it asks the database, storage and index: limited
        assert 'route="/healthz",status="200"} 10' in client.get("/metrics").text


def held(client: TestClient) -> dict[str, int]:
    r = client.get("/metrics")
    assert "# TYPE meiji_memory_bytes gauge" in r.text
    return {part: int(n) for part, n in re.findall(r'meiji_memory_bytes\{part="(\w+)"\} (\d+)', r.text)}


def test_the_operator_sees_what_the_c_allocator_holds_and_sqlite_s_share(tmp_path: Path, sqlite_url: str) -> None:
    """Where a server's private memory goes: C allocations in use and kept free, SQLite's share."""
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the parts are read from glibc's mallinfo2")
    with app_from(tmp_path, sqlite_url, "127.0.0.1") as client:
        before = held(client)
        assert set(before) == {"malloc_in_use", "malloc_free", "sqlite"}
        assert 0 < before["sqlite"] < before["malloc_in_use"]
        # A member writing 120 entries grows SQLite's page cache by what it reads back.
        member = sign_up(client)
        book = diary(client, member, reference(client), title="热玛吉第一次，记录一下恢复过程")["id"]
        for day in range(120):
            entry(client, member, book, body=f"<p>{f'术后第{day}天，脸还有点紧，按医生说的多喝水。' * 8}</p>")
        for _ in range(3):
            assert client.get(f"/v1/diaries/{book}/entries?limit=100").status_code == 200
        after = held(client)
        assert after["sqlite"] > before["sqlite"]


def test_every_series_the_scraper_sees_is_explained_in_the_operations_guide(tmp_path: Path, sqlite_url: str) -> None:
    """An operator who meets a series in their dashboard finds its meaning in docs/operations.md."""
    guide = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    with app_from(tmp_path, sqlite_url, "127.0.0.1") as client:
        client.get("/healthz")
        client.get("/v1/search", params={"q": "双眼皮"})
        series = re.findall(r"^# TYPE (\w+) (\w+)$", client.get("/metrics").text, flags=re.MULTILINE)
    assert {name for name, _ in series} >= {"meiji_requests_total", "meiji_list_answers_total", "meiji_memory_bytes"}
    for name, kind in series:
        assert f"| `{name}` | {kind}" in guide, f"{name} ({kind}) is not in docs/operations.md's table"
