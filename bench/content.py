"""Diaries over HTTP beside the floors: a diary with 30 entries, the diary lists, and the writes
members make most (entries, comments, likes).

Run: ``.venv/bin/python bench/content.py [--seconds 5] [--rounds 3] [--postgres]``. One uvicorn worker
(uvloop, httptools) on the embedded default (SQLite), or with ``--postgres`` on a throwaway PostgreSQL
started from the installed binaries; wrk in another process; floors and endpoints in interleaved
rounds. Goals at 8 connections: diary detail at least 0.9× the strict floor, the lists at least 0.7×
with p99 under 20 ms; entries, comments and likes at least 500 writes/s with p99 under 100 ms, their
outbox rows (search, notifications) included. Each list is measured twice: from the server as it
runs, where a page asked again with nothing written since is given from its kept answer
(``MEIJI_LISTS_KEPT``), and from a second server on the same data that computes every answer
(", computed"), as members writing meanwhile would have it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    PYTHON,
    ROOT,
    Measure,
    bench_env,
    chinese_reviews,
    get_json,
    interleaved,
    load,
    post_json,
    report,
    serve,
    serve_computing,
    throwaway_postgres,
)

CORPUS = chinese_reviews("reviews_pos.txt")
PASSWORD = "bench-password-1"
SPREAD = """
request = function()
  return wrk.format(nil, "/v1/diaries/" .. math.random(%d, %d) .. "/entries")
end
"""
# Comments go to the 60 diaries at random; each is a new row, a counter, and a notification to the author.
COMMENTS = """
request = function()
  local body = '{"target_type": "diary", "target_id": "' .. math.random(%d, %d) .. '", "body": "%s"}'
  return wrk.format("POST", "/v1/comments", nil, body)
end
"""
# Likes and unlikes in turn on the big diary's 30 entries: every request changes a row and a counter.
TOGGLE = """
local n = 0
request = function()
  n = n + 1
  local method = (n %% 2 == 1) and "PUT" or "DELETE"
  return wrk.format(method, "/v1/likes/diary_entry/" .. math.random(%d, %d))
end
"""


def settled(result: dict[str, float], env: dict[str, str]) -> dict[str, float]:
    """``result``, once the server has indexed what the writes put in the search outbox: the next run
    measures its own requests, not the indexing of the last one's."""
    subprocess.run([PYTHON, "-m", "meiji", "index", "run", "--once"], cwd=ROOT, env={**os.environ, **env},
                   check=True, stdout=subprocess.DEVNULL)
    return result


def sign_in(base: str, handle: str) -> dict[str, str]:
    token = post_json(base + "/v1/sessions", {"handle": handle, "password": PASSWORD})["token"]
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        database = {}
        if args.postgres:
            pg = stack.enter_context(throwaway_postgres())
            database["MEIJI_DATABASE_URL"] = pg.url("meiji") + "?minsize=2&maxsize=20"
        run(args, database)


def run(args: argparse.Namespace, database: dict[str, str]) -> None:
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-content-"))
    env = bench_env(data, **database)
    connections = (8, 64)
    if database:  # production migrates explicitly; the embedded default migrates itself
        subprocess.run([PYTHON, "-m", "meiji", "db", "migrate"], cwd=ROOT, env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "-m", "meiji", "accounts", "create", "资料编辑", "--role", "editor",
                    "--password", PASSWORD], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    texts = [t for t in CORPUS.read_text(encoding="utf-8").splitlines() if 20 < len(t) < 300 and "<" not in t]
    ours: dict[str, Measure] = {}
    with serve(env=env) as (base, _), serve_computing(env) as (computed, _):
        for handle in ("日记作者", "读者"):
            post_json(base + "/v1/accounts", {"handle": handle, "password": PASSWORD, "birth_date": "1995-06-01"})
        author, reader, editor = sign_in(base, "日记作者"), sign_in(base, "读者"), sign_in(base, "资料编辑")
        post_json(base + "/v1/procedures", {"slug": "shuang-yan-pi", "name": "双眼皮",
                                            "aliases": ["重睑术", "割双眼皮"]}, editor)
        clinic = post_json(base + "/v1/clinics", {"name": "上海华美医疗美容医院", "city": "上海"}, editor)["id"]
        diaries = []
        for i in range(60):
            diaries.append(post_json(base + "/v1/diaries", {
                "title": f"双眼皮恢复日记 第{i}本", "procedure": "shuang-yan-pi", "operated_on": "2026-09-01",
                "clinic_id": clinic, "anonymous": i % 3 == 0}, author)["id"])
        big = diaries[-1]
        entries = [post_json(base + f"/v1/diaries/{big}/entries", {
            "body": f"<p>{texts[day]}</p>", "happened_on": f"2026-09-{day + 1:02d}",
            "scores": {"swelling": 5, "pain": 2, "satisfaction": 8}}, author)["id"] for day in range(30)]
        assert get_json(base + f"/v1/diaries/{big}")["entry_count"] == 30
        assert len(get_json(base + "/v1/diaries?limit=20")["items"]) == 20
        write_target = diaries[0]
        # Warm up (first calls, the indexer's round over the set-up) before anything is measured.
        time.sleep(2)
        load(base + f"/v1/diaries/{big}", 8, 1, headers=reader)
        ours = {
            "GET /v1/diaries/{id} (30 entries)": lambda c, s: load(base + f"/v1/diaries/{big}", c, s,
                                                                   headers=reader),
            "GET /v1/diaries/{id}/entries (20 of 30)": lambda c, s: load(
                base + f"/v1/diaries/{big}/entries?limit=20", c, s),
            # Members read signed in: the page then shows which entries they liked.
            "GET /v1/diaries/{id}/entries (20 of 30, signed in)": lambda c, s: load(
                base + f"/v1/diaries/{big}/entries?limit=20", c, s, headers=reader),
            "GET /v1/diaries (20 items)": lambda c, s: load(base + "/v1/diaries?limit=20", c, s),
            "GET /v1/diaries?sort=popular (20 items)": lambda c, s: load(base + "/v1/diaries?limit=20&sort=popular",
                                                                         c, s),
            # The same lists computed for every request, as they are while members write.
            "GET /v1/diaries/{id}/entries (20 of 30), computed": lambda c, s: load(
                computed + f"/v1/diaries/{big}/entries?limit=20", c, s),
            "GET /v1/diaries/{id}/entries (20 of 30, signed in), computed": lambda c, s: load(
                computed + f"/v1/diaries/{big}/entries?limit=20", c, s, headers=reader),
            "GET /v1/diaries (20 items), computed": lambda c, s: load(computed + "/v1/diaries?limit=20", c, s),
            "GET /v1/diaries?sort=popular (20 items), computed": lambda c, s: load(
                computed + "/v1/diaries?limit=20&sort=popular", c, s),
            # Entries go to the author's 60 diaries at random, as many members writing at once would.
            "POST /v1/diaries/{id}/entries": lambda c, s: settled(load(
                base + f"/v1/diaries/{write_target}/entries", c, s, "POST",
                {"body": f"<p>{texts[40]}</p><p>{texts[41]}</p>", "happened_on": "2026-10-01"}, author,
                lua=SPREAD % (int(diaries[0]), int(diaries[-2]))), env),
            "POST /v1/comments": lambda c, s: settled(load(
                base + "/v1/comments", c, s, "POST", "", reader,
                lua=COMMENTS % (int(diaries[0]), int(diaries[-1]), texts[42].replace('"', "").replace("'", ""))),
                env),
            "PUT|DELETE /v1/likes/diary_entry/{id}": lambda c, s: settled(load(
                base + "/v1/likes/diary_entry/0", c, s, headers=reader,
                lua=TOGGLE % (int(entries[0]), int(entries[-1]))), env),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
        written = sum(get_json(base + f"/v1/diaries/{i}")["entry_count"] for i in diaries[:-1])
        comments = sum(get_json(base + f"/v1/diaries/{i}")["comment_count"] for i in diaries)
        notified = get_json(base + "/v1/me/notifications?limit=1", author).get("unread_count")

    print(f"database: {'PostgreSQL' if database else 'SQLite (embedded default)'}")
    report(runs)
    print(f"written under load: {written} entries (with their search outbox rows), {comments} comments "
          f"({notified} notifications to the diaries' author, with their delivery rows)")


if __name__ == "__main__":
    main()
