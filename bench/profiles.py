"""Where each endpoint's time goes: every list apps page through, the diary detail, the writes, and
an upload of a phone-sized photo (its rendering in the image workers counts as the loop's idle time).

Run: ``.venv/bin/python bench/profiles.py [--calls 300]``. Builds the embedded default (SQLite) in a
temporary directory, fills it through the API (a diary of 30 entries among 60, reviews of a clinic,
questions and answers, comments, a member's follows), then calls each endpoint ``--calls`` times in
this process, with no socket, once timed and once under cProfile; lists are computed for every
call (``MEIJI_LISTS_KEPT=0``), as they are while members write. Prints, per endpoint, the
microseconds one request costs beside the strict floor's (``bench/floors.py``: one three-column
row read through Tortoise, measured in a child process the same way), the SQL statements it runs
(reads, writes, BEGIN and COMMIT) and the share of its time in:

- **idle**: the event loop waiting (for a search in the index's thread, another process's write lock);
- **SQL**: building queries (Tortoise, PyPika) and SQLite answering them (on the loop's own thread,
  ``kernel/sqlite.py``);
- **row decoding**: rows turned into model instances and Python values;
- **serialization**: JSON out (orjson), pydantic validation in;
- **middleware**: Starlette's routing and middlewares and the kernel's (access log, headers, auth, limits);
- **asyncio**: tasks, futures and the loop's own work;
- **our code**: the rooms' own functions (visibility, authors, photos, marks...);
- **other**: the rest (the standard library, builtins not named above).

It also lists the rooms' functions that take the most time, cumulative (author lookups, photo views,
like and follow marks), so a slow endpoint names what to change.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.asgi import InProcess
from bench.harness import PYTHON, ROOT, bench_env, chinese_reviews, small_jpeg

PASSWORD = "bench-password-1"
CORPUS = chinese_reviews("reviews_pos.txt")
ROOMS = ("/content/", "/media/", "/search/", "/moderation/", "/meiji/", "/kernel/rows", "/kernel/clock")
# What SQLite is asked on the loop's thread (kernel/sqlite.py): each is one statement, BEGIN and COMMIT included.
STATEMENTS = frozenset({"<method 'execute' of 'sqlite3.Connection' objects>",
                        "<method 'executemany' of 'sqlite3.Connection' objects>",
                        "<method 'commit' of 'sqlite3.Connection' objects>"})
BUCKETS = ("idle", "SQL", "row decoding", "serialization", "middleware", "asyncio", "our code", "other")


def bucket(filename: str, name: str) -> str:
    """The share of the profile a function's own time belongs to."""
    if filename == "~":
        if "epoll" in name or "select" in name:
            return "idle"
        if "sqlite3" in name:
            return "SQL"
        if "orjson" in name or "pydantic" in name or "json" in name:
            return "serialization"
        if "_asyncio" in name or "Future" in name or "Task" in name or "Context" in name:
            return "asyncio"
        return "other"
    if "/selectors.py" in filename:
        return "idle"
    if ("/tortoise/models.py" in filename and name in ("_init_from_db", "__init__", "_set_kwargs")) \
            or "/tortoise/fields/" in filename or "/tortoise/converters" in filename:
        return "row decoding"
    if "/tortoise/" in filename or "/pypika" in filename or "/aiosqlite/" in filename or "/asyncpg/" in filename:
        return "SQL"
    if "/pydantic" in filename or "/json/" in filename or "/kernel/web/bodies.py" in filename:
        return "serialization"
    if "/starlette/" in filename or "/kernel/web/" in filename or "/anyio/" in filename:
        return "middleware"
    if "/asyncio/" in filename:
        return "asyncio"
    if any(room in filename for room in ROOMS):
        return "our code"
    return "other"


async def seed(app: InProcess) -> dict[str, Any]:
    """Fill the service through its API; returns what the endpoints need (ids, headers)."""

    async def post(path: str, body: object, headers: dict[str, str] | None = None, method: str = "POST") -> Any:
        status, data = await app.call(method, path, body, headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data}")
        return data

    async def member(handle: str) -> dict[str, str]:
        await post("/v1/accounts", {"handle": handle, "password": PASSWORD, "birth_date": "1994-03-08"})
        token = (await post("/v1/sessions", {"handle": handle, "password": PASSWORD}))["token"]
        return {"Authorization": f"Bearer {token}"}

    texts = [t for t in CORPUS.read_text(encoding="utf-8").splitlines() if 20 < len(t) < 300 and "<" not in t]
    token = (await post("/v1/sessions", {"handle": "资料编辑", "password": PASSWORD}))["token"]
    editor = {"Authorization": f"Bearer {token}"}
    author, reader = await member("日记作者"), await member("读者")
    account = (await post("/v1/accounts", {"handle": "路人", "password": PASSWORD, "birth_date": "1990-01-01"}))["id"]
    await post("/v1/procedures", {"slug": "shuang-yan-pi", "name": "双眼皮", "aliases": ["重睑术", "割双眼皮"]}, editor)
    clinic = (await post("/v1/clinics", {"name": "上海华美医疗美容医院", "city": "上海"}, editor))["id"]
    # Diaries of another procedure as an app lists them, with two before photos each: a page of them
    # shows 40 photos. Written first and without entries (which add to popularity), so the lists of the
    # newest and the most popular diaries show the 60 below, without photos, as they always have.
    await post("/v1/procedures", {"slug": "re-ma-ji", "name": "热玛吉", "aliases": ["Thermage"]}, editor)

    async def photo(seed: int) -> str:
        status, body = await app.raw("POST", "/v1/media", photo_form(small_jpeg(seed)), author, content_type=FORM_TYPE)
        if status != 201:
            raise RuntimeError(f"POST /v1/media: {status} {body[:200]!r}")
        return str(json.loads(body)["id"])

    for i in range(20):
        await post("/v1/diaries", {
            "title": f"热玛吉第{i + 1}次", "procedure": "re-ma-ji", "operated_on": "2026-09-01",
            "clinic_id": clinic, "anonymous": i % 3 == 0,
            "before_media_ids": [await photo(2 * i), await photo(2 * i + 1)]}, author)
    diaries = [(await post("/v1/diaries", {
        "title": f"双眼皮恢复日记 第{i}本", "procedure": "shuang-yan-pi", "operated_on": "2026-09-01",
        "clinic_id": clinic, "anonymous": i % 3 == 0}, author))["id"] for i in range(60)]
    big = diaries[-1]
    entries = [(await post(f"/v1/diaries/{big}/entries", {
        "body": f"<p>{texts[day]}</p>", "happened_on": f"2026-09-{day + 1:02d}",
        "scores": {"swelling": 5, "pain": 2, "satisfaction": 8}}, author))["id"] for day in range(30)]
    for i in range(25):
        await post("/v1/comments", {"target_type": "diary", "target_id": big, "body": texts[60 + i],
                                    "anonymous": i % 4 == 0}, reader)
    for i in range(25):
        reviewer = await member(f"评价者{i}")
        await post("/v1/reviews", {"target_type": "clinic", "target_id": clinic, "procedure": "shuang-yan-pi",
                                   "rating": 1 + i % 5, "body": texts[100 + i], "anonymous": i % 3 == 0}, reviewer)
    questions = [(await post("/v1/questions", {"title": f"第{i}个问题：双眼皮多久消肿？", "body": texts[140 + i],
                                               "procedure": "shuang-yan-pi", "anonymous": i % 3 == 0}, reader))["id"]
                 for i in range(40)]
    for i in range(25):
        await post(f"/v1/questions/{questions[0]}/answers", {"body": texts[200 + i], "anonymous": i % 2 == 0},
                   author)
    for kind, key in (("diary", big), ("diary", diaries[1]), ("procedure", "shuang-yan-pi"),
                      ("clinic", clinic), ("question", questions[0])):
        await post(f"/v1/follows/{kind}/{key}", None, reader, "PUT")
    await asyncio.sleep(2)  # the indexer's round over what was just written
    return {"account": account, "author": author, "reader": reader, "big": big, "diaries": diaries, "entries": entries,
            "clinic": clinic, "question": questions[0], "texts": texts}


Call = Callable[[int], Awaitable[tuple[int, Any]]]


def endpoints(app: InProcess, s: dict[str, Any]) -> list[tuple[str, Call]]:
    """(name, call of the i-th request) for every endpoint profiled."""
    big, reader, author, texts = s["big"], s["reader"], s["author"], s["texts"]
    photos = [small_jpeg(seed) for seed in range(16)]

    def get(path: str, headers: dict[str, str] | None = None) -> Call:
        return lambda i: app.raw("GET", path, None, headers)

    return [
        # One account row, like the floors: what the kernel around every handler costs.
        ("GET /v1/accounts/{id}", get(f"/v1/accounts/{s['account']}")),
        ("GET /v1/diaries/{id} (30 entries)", get(f"/v1/diaries/{big}", reader)),
        ("GET /v1/diaries (20)", get("/v1/diaries?limit=20")),
        ("GET /v1/diaries?sort=popular (20)", get("/v1/diaries?limit=20&sort=popular")),
        ("GET /v1/diaries?procedure= (20, 40 photos)", get("/v1/diaries?limit=20&procedure=re-ma-ji")),
        ("GET /v1/diaries/{id}/entries (20)", get(f"/v1/diaries/{big}/entries?limit=20")),
        ("GET /v1/reviews (20)", get(f"/v1/reviews?target_type=clinic&target_id={s['clinic']}&limit=20")),
        ("GET /v1/questions (20)", get("/v1/questions?limit=20")),
        ("GET /v1/questions/{id}/answers (20)", get(f"/v1/questions/{s['question']}/answers?limit=20")),
        ("GET /v1/comments (20)", get(f"/v1/comments?target_type=diary&target_id={big}&limit=20")),
        ("GET /v1/me/feed (20)", get("/v1/me/feed?limit=20", reader)),
        ("GET /v1/search?q=双眼皮 (kept page)", get("/v1/search?q=双眼皮")),
        ("GET /v1/search?q=双眼皮 (first since a change)", first_since_a_change(app, "/v1/search?q=双眼皮")),
        ("POST /v1/diaries/{id}/entries", lambda i: app.raw(
            "POST", f"/v1/diaries/{s['diaries'][i % 59]}/entries",
            {"body": f"<p>{texts[40 + i % 20]}</p>", "happened_on": "2026-10-01"}, author)),
        ("POST /v1/comments", lambda i: app.raw(
            "POST", "/v1/comments", {"target_type": "diary", "target_id": s["diaries"][i % 59],
                                     "body": texts[80 + i % 20], "anonymous": False}, reader)),
        ("PUT /v1/likes/diary_entry/{id}", lambda i: app.raw(
            "PUT", f"/v1/likes/diary_entry/{s['entries'][i % 30]}", None, [reader, author][i // 30 % 2])),
        # Rendered in the image workers: 'idle' is the loop waiting for them, the rest its own work.
        ("POST /v1/media (640x480 JPEG)", lambda i: app.raw(
            "POST", "/v1/media", photo_form(photos[i % len(photos)]), author, content_type=FORM_TYPE)),
    ]


FORM_TYPE = "multipart/form-data; boundary=meiji-bench-form"


def photo_form(jpeg: bytes) -> bytes:
    """A multipart form with one photo, as the app sends it."""
    return (b'--meiji-bench-form\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n--meiji-bench-form--\r\n")


def first_since_a_change(app: InProcess, path: str) -> Call:
    """A search asked as if for the first time since the index changed: its kept pages forgotten first."""
    def call(i: int) -> Any:
        app.app.state.services.search._changed()  # what every change to the index does
        return app.raw("GET", path, None, None)

    return call


def floor_micros() -> float:
    """The strict floor's cost per request, in a child process (it has a Tortoise of its own)."""
    data = tempfile.mkdtemp(prefix="meiji-bench-floor-")
    out = subprocess.run([PYTHON, "bench/floors.py"], cwd=ROOT, env={**os.environ, **bench_env(Path(data))},
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


async def run(calls: int) -> list[tuple[str, float, float, dict[str, float], list[tuple[str, float]]]]:
    from meiji.app import create_app

    results = []
    async with InProcess(create_app()) as app:
        state = await seed(app)
        for name, call in endpoints(app, state):
            for i in range(min(50, calls)):  # warm up: first queries, caches
                status, body = await call(i)
                if status >= 300 and not (name.startswith("PUT") and status == 409):
                    raise RuntimeError(f"{name}: {status} {body}")
            start = time.perf_counter()
            for i in range(calls):
                await call(1000 + i)
            micros = (time.perf_counter() - start) / calls * 1e6
            profile = cProfile.Profile()
            profile.enable()
            for i in range(calls):
                await call(5000 + i)
            profile.disable()
            stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
            shares: dict[str, float] = defaultdict(float)
            ours: list[tuple[str, float]] = []
            total = statements = 0.0
            for (filename, _, function), (_, count, own, cumulative, _) in stats.items():
                if function in STATEMENTS:
                    statements += count / calls
                shares[bucket(filename, function)] += own
                total += own
                if any(room in filename for room in ROOMS[:5]) and function not in ("<lambda>", "<genexpr>",
                                                                                     "<listcomp>", "<dictcomp>"):
                    where = filename.split(str(ROOT) + "/")[-1]
                    ours.append((f"{where}:{function}", cumulative / calls * 1e6))
            ours.sort(key=lambda x: -x[1])
            results.append((name, micros, statements, {k: v / total for k, v in shares.items()}, ours[:12]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--functions", type=int, default=6, help="the rooms' costliest functions to list")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-profiles-"))
    # The author uploads more photos than a person's daily quota allows.
    # Every list computed for every call: a kept answer (MEIJI_LISTS_KEPT) would profile nothing.
    os.environ.update(bench_env(data, MEIJI_UPLOADS_PER_DAY="100000000", MEIJI_UPLOAD_BYTES_PER_DAY="1000000000000",
                                MEIJI_LISTS_KEPT="0"))
    subprocess.run([PYTHON, "-m", "meiji", "accounts", "create", "资料编辑", "--role", "editor", "--password",
                    PASSWORD], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    floor = floor_micros()
    results = asyncio.run(run(args.calls))
    print(f"strict floor (one three-column row through Tortoise, in process): {floor:.0f} µs a request\n")
    print("| endpoint | µs/request | floor/endpoint | SQL statements | " + " | ".join(BUCKETS) + " |")
    print("|---|---|---|---|" + "---|" * len(BUCKETS))
    for name, micros, statements, shares, _ in results:
        cells = " | ".join(f"{shares.get(b, 0):.0%}" for b in BUCKETS)
        print(f"| {name} | {micros:,.0f} | {floor / micros:.2f}× | {statements:.1f} | {cells} |")
    print()
    for name, _, _, _, ours in results:
        top = ", ".join(f"{where} {us:,.0f}" for where, us in ours[:args.functions])
        print(f"- {name}: {top} (µs cumulative, profiled)")


if __name__ == "__main__":
    main()
