"""The feed (``GET /v1/me/feed``) of a member following 200 sources over 170,000 posts, over HTTP.

Run: ``.venv/bin/python bench/feed.py [--seconds 5] [--posts 170000]``. Builds an embedded-default
data directory (SQLite), writes the posts straight into the database (diaries, entries, reviews,
questions and answers by 2,000 authors over a year, a fifth anonymous), signs a member up and
follows 200 sources through the API (100 diaries, 40 accounts, 5 of 20 procedures, 20 clinics, 20
doctors, 15 questions), then drives the first page and a page ten pages deep with wrk at 8
connections on one uvicorn worker, beside the bare floor and a one-row Tortoise read of the same
run, and the same two pages from a second server on the same data that computes every answer
(", computed"), where the first gives a page asked again with nothing written since from its kept
answer (``MEIJI_LISTS_KEPT``). Prints a Markdown table; the goal is p99 under 30 ms at 8 connections.
Then what fan-out on write costs on the same data: a page's SQL, a post's writes
(``bench/feed_fanout.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feed_fanout import compare
from bench.harness import (
    PYTHON,
    ROOT,
    Measure,
    bench_env,
    get_json,
    interleaved,
    load,
    post_json,
    report,
    serve,
    serve_computing,
)

PASSWORD = "bench-password-1"
SENTENCES = ["术后第三天还是有点肿，每天冰敷三次。", "医生很耐心，把风险都讲清楚了。",
             "恢复期比想象中短，两周基本自然了。", "价格有点贵，但效果我很满意。",
             "拆线的时候有点疼，忍一下就过去了。", "建议大家多对比几家医院再决定。",
             "第一个月不要吃辛辣的，也别熬夜。", "术前一定要和医生沟通好想要的效果。"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(SENTENCES) for _ in range(3))


def seed(db: Path, posts: int, rng: random.Random) -> dict[str, list[str]]:
    """Write reference data, authors and ``posts`` posts; returns the candidate sources to follow."""
    con = sqlite3.connect(db)
    start = datetime.now(UTC) - timedelta(days=365)
    moment = lambda: start + timedelta(seconds=rng.uniform(0, 365 * 86400))  # noqa: E731
    stamp = start.isoformat(" ")
    con.executemany("INSERT INTO content_procedure (slug, name, aliases, created_at, updated_at, version) "
                    "VALUES (?, ?, '[]', ?, ?, 1)", [(f"p{i}", f"项目{i}", stamp, stamp) for i in range(20)])
    con.executemany("INSERT INTO content_clinic (name, city, created_at, updated_at) VALUES (?, '成都', ?, ?)",
                    [(f"第{i}整形医院", stamp, stamp) for i in range(200)])
    con.executemany("INSERT INTO content_doctor (name, clinic_id, title, created_at, updated_at) "
                    "VALUES (?, ?, '主治医师', ?, ?)", [(f"医生{i}", 1 + i % 200, stamp, stamp) for i in range(600)])
    con.executemany("INSERT INTO account (handle, password_hash, birth_date, guardian_consent, bio, created_at) "
                    "VALUES (?, 'x', '1990-01-01', 0, '', ?)", [(f"作者{i}", stamp) for i in range(2000)])
    authors = [r[0] for r in con.execute("SELECT id FROM account")]
    counts = {"diary": posts * 18 // 100, "entry": posts * 47 // 100, "review": posts * 18 // 100,
              "question": posts * 11 // 100}
    counts["answer"] = posts - sum(counts.values())

    def common() -> tuple[int, int, str]:
        at = moment().isoformat(" ")
        return rng.choice(authors), int(rng.random() < 0.2), at

    diaries = []
    for _ in range(counts["diary"]):
        author, anonymous, at = common()
        diaries.append((author, anonymous, at, at, "双眼皮恢复日记", f"p{rng.randrange(20)}", "2026-01-01",
                        1 + rng.randrange(200), 1 + rng.randrange(600)))
    diaries.sort(key=lambda r: r[2])
    con.executemany("INSERT INTO content_diary (author_id, anonymous, created_at, updated_at, title, procedure, "
                    "operated_on, clinic_id, doctor_id, before_media_ids, after_media_ids) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]')", diaries)
    diary_rows = con.execute("SELECT id, author_id, anonymous FROM content_diary").fetchall()
    entries = []
    for _ in range(counts["entry"]):
        d = rng.choice(diary_rows)
        at = moment().isoformat(" ")
        entries.append((d[1], d[2], at, at, _text(rng), _text(rng), "2026-01-08", 7, d[0]))
    entries.sort(key=lambda r: r[2])
    con.executemany("INSERT INTO content_diary_entry (author_id, anonymous, created_at, updated_at, body, text, "
                    "happened_on, day, media_ids, diary_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)", entries)
    reviews = []
    for _ in range(counts["review"]):
        author, anonymous, at = common()
        on_doctor = rng.random() < 0.5
        reviews.append((author, anonymous, at, at, "doctor" if on_doctor else "clinic",
                        1 + rng.randrange(600 if on_doctor else 200), f"p{rng.randrange(20)}",
                        1 + rng.randrange(5), _text(rng), _text(rng)))
    reviews.sort(key=lambda r: r[2])
    con.executemany("INSERT INTO content_review (author_id, anonymous, created_at, updated_at, target_type, "
                    "target_id, procedure, rating, body, text, media_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')",
                    reviews)
    questions = []
    for _ in range(counts["question"]):
        author, anonymous, at = common()
        questions.append((author, anonymous, at, at, "术后多久可以化妆？", _text(rng), _text(rng),
                          f"p{rng.randrange(20)}"))
    questions.sort(key=lambda r: r[2])
    con.executemany("INSERT INTO content_question (author_id, anonymous, created_at, updated_at, title, body, "
                    "text, procedure) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", questions)
    question_ids = [r[0] for r in con.execute("SELECT id FROM content_question")]
    answers = []
    for _ in range(counts["answer"]):
        author, anonymous, at = common()
        answers.append((author, anonymous, at, at, _text(rng), _text(rng), rng.choice(question_ids)))
    answers.sort(key=lambda r: r[2])
    con.executemany("INSERT INTO content_answer (author_id, anonymous, created_at, updated_at, body, text, "
                    "question_id) VALUES (?, ?, ?, ?, ?, ?, ?)", answers)
    con.commit()
    con.execute("ANALYZE")  # what a long-running database has; the planner reads it
    con.close()
    return {"diary": [str(r[0]) for r in rng.sample(diary_rows, 100)],
            "account": [str(a) for a in rng.sample(authors, 40)],
            "procedure": [f"p{i}" for i in rng.sample(range(20), 5)],
            "clinic": [str(1 + i) for i in rng.sample(range(200), 20)],
            "doctor": [str(1 + i) for i in rng.sample(range(600), 20)],
            "question": [str(q) for q in rng.sample(question_ids, 15)]}


def put(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as r:
        return int(r.status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=170_000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-feed-"))
    env = bench_env(data)
    subprocess.run([PYTHON, "-m", "meiji", "db", "migrate"], cwd=ROOT, env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    began = time.monotonic()
    sources = seed(data / "meiji.sqlite3", args.posts, random.Random(16))
    print(f"seeded {args.posts} posts in {time.monotonic() - began:.1f} s", file=sys.stderr)
    connections = (8,)
    ours: dict[str, Measure] = {}
    with serve(env=env) as (base, _), serve_computing(env) as (computed, _):
        post_json(base + "/v1/accounts", {"handle": "关注者", "password": PASSWORD, "birth_date": "1995-03-08"})
        token = post_json(base + "/v1/sessions", {"handle": "关注者", "password": PASSWORD})["token"]
        me = {"Authorization": f"Bearer {token}"}
        member_id = int(get_json(base + "/v1/me", me)["id"])
        followed = 0
        for target_type, keys in sources.items():
            for key in keys:
                followed += put(base + f"/v1/follows/{target_type}/{key}", me) == 204
        assert followed == 200, followed
        first = get_json(base + "/v1/me/feed?limit=20", me)
        assert len(first["items"]) == 20, json.dumps(first)[:300]
        cursor = first["next_cursor"]
        for _ in range(9):
            cursor = get_json(base + f"/v1/me/feed?limit=20&cursor={cursor}", me)["next_cursor"]
        kinds = sorted({i["because"]["type"] for i in first["items"]})
        print(f"first page brought by: {', '.join(kinds)}", file=sys.stderr)
        ours = {
            "GET /v1/me/feed (first page, 20 items)": lambda c, s: load(base + "/v1/me/feed?limit=20", c, s,
                                                                         headers=me),
            "GET /v1/me/feed (11th page, 20 items)": lambda c, s: load(
                base + f"/v1/me/feed?limit=20&cursor={cursor}", c, s, headers=me),
            # The same pages computed for every request, as they are while members write.
            "GET /v1/me/feed (first page, 20 items), computed": lambda c, s: load(
                computed + "/v1/me/feed?limit=20", c, s, headers=me),
            "GET /v1/me/feed (11th page, 20 items), computed": lambda c, s: load(
                computed + f"/v1/me/feed?limit=20&cursor={cursor}", c, s, headers=me),
        }
        runs = interleaved(data, ours, connections, args.seconds, args.rounds)
    report(runs)
    print("\nWhat fan-out on write costs here, as SQL on one connection (bench/feed_fanout.py):\n")
    for line in compare(data / "meiji.sqlite3", data, member_id, token):
        print(line)


if __name__ == "__main__":
    main()
