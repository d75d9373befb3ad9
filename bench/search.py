"""Search backends on real Chinese reviews, against a SQLite FTS5 (trigram) baseline in the same run.

Run: ``.venv/bin/python bench/search.py`` (about 10 minutes; ``--quick`` for 17k documents only).

For each backend and size (the ~17,000 reviews of ``shared/corpora/zh``, and 10x that by repetition
with new ids) a separate process indexes everything (segmentation included, as ``meiji search
reindex`` does), then runs 500 queries (250 real 2-4 character substrings, 250 two-word queries),
top 20 with the total count. It prints indexing docs/s, query p50/p99, index size and the process's
peak RSS. Then it serves the app with the 170k tantivy index under uvicorn and measures
``GET /v1/search`` with wrk, beside the bare-Starlette floor.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    POSTGRES_SETTINGS,
    PYTHON,
    ROOT,
    TABLE_HEAD,
    bench_env,
    chinese_reviews,
    cpu_seconds,
    load,
    row,
    serve,
    tree,
)

CORPUS = chinese_reviews("reviews_pos.txt").parent
BASE = datetime(2025, 1, 1, tzinfo=UTC)
QUERIES = 500
TOP = 20


def reviews() -> list[str]:
    out: list[str] = []
    for name in ("reviews_pos.txt", "reviews_neg.txt"):
        out.extend(line.strip() for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip())
    return out


def queries(texts: list[str], count: int = QUERIES) -> list[str]:
    """Half real 2-4 character substrings, half two jieba words of the same review."""
    import rjieba

    rng = random.Random(42)
    out: list[str] = []
    while len(out) < count // 2:
        text = rng.choice(texts)
        size = rng.randint(2, 4)
        if len(text) < size:
            continue
        start = rng.randrange(len(text) - size + 1)
        piece = text[start:start + size]
        if piece.strip() and len(piece.strip()) == size:
            out.append(piece)
    cjk = re.compile(r"^[\u4e00-\u9fff]{2,}$")
    while len(out) < count:
        words = list(dict.fromkeys(w for w in rjieba.cut(rng.choice(texts)) if cjk.match(w)))
        if len(words) >= 2:
            out.append(" ".join(rng.sample(words, 2)))
    return out


def documents(size: int) -> list[Any]:
    from search.interfaces import Document

    texts = reviews()
    return [Document("review", f"r{i}", "", texts[i % len(texts)], BASE + timedelta(seconds=i),
                     procedure=None, clinic_id=str(i % 50), popularity=float(i % 7)) for i in range(size)]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


# --- one backend, in its own process ------------------------------------------------------------

async def engine_child(kind: str, size: int, work: Path, database_url: str) -> dict[str, Any]:
    from search.engine import EngineIndex
    from search.interfaces import Query

    holder = {"docs": documents(size)}
    index: EngineIndex
    if kind == "tantivy":
        from search.tantivy_index import TantivyIndex

        index = TantivyIndex(work)
    elif kind == "whoosh":
        from search.whoosh_index import WhooshIndex

        index = WhooshIndex(work)
    else:
        from kernel import db
        from kernel.settings import Settings
        from search.postgres_index import PostgresIndex

        settings = Settings(data_dir=work, database_url=database_url, search_url="postgres")
        await db.migrate(settings)
        await db.open_database(settings)
        index = PostgresIndex()
    await index.set_vocabulary([])

    async def batches() -> AsyncIterator[list[Any]]:
        docs = holder["docs"]
        for start in range(0, len(docs), 2000):
            yield docs[start:start + 2000]

    started = time.perf_counter()
    await index.rebuild(batches())
    index_seconds = time.perf_counter() - started
    # Query like a server process would: without 170k source documents alive for the GC to walk.
    holder.clear()
    gc.collect()

    asked = queries(reviews())
    for q in asked[:50]:  # warm caches and the segmenter
        await index.search(Query(q, limit=TOP))
    times = []
    totals = 0
    for q in asked:
        t = time.perf_counter()
        result = await index.search(Query(q, limit=TOP))
        times.append((time.perf_counter() - t) * 1000)
        totals += result.total > 0
    explained = await explain(asked) if kind == "postgres" else []
    if kind == "postgres":
        from kernel import db

        rows = await db.connection().execute_query_dict("SELECT pg_total_relation_size('search_document') AS n")
        size_bytes = int(rows[0]["n"])
        await db.close_database()
    else:
        size_bytes = dir_size(work)
    await index.close()
    return {"backend": kind, "docs": size, "index_s": index_seconds, "docs_per_s": size / index_seconds,
            "p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99), "found": totals / len(asked),
            "size_mb": size_bytes / 1e6, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "explain": explained}


async def explain(asked: list[str]) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the PostgreSQL queries behind the slowest kinds of search.

    A one-character query (most documents match), a common bigram, and the longest query asked;
    each with the plan whose row estimate gives ``total`` above ``CANDIDATES`` matches.
    """
    from kernel import db
    from search.analyzer import Analyzer
    from search.interfaces import Query
    from search.postgres_index import CANDIDATES, ranked_sql, sql_text, tsquery

    analyzer = Analyzer()
    conn = db.connection()
    out = []
    for text in ("不", "效果", max(asked, key=len)):
        plan = analyzer.plan(text)
        if plan is None:
            continue
        matching = f"{sql_text(tsquery(plan.match))}::tsquery"
        values: list[Any] = []
        page = ranked_sql(plan, f"grams @@ {matching}", values, Query(text, limit=TOP))
        estimate = f"SELECT 1 FROM search_document WHERE grams @@ {matching}"
        for name, sql, args in (("page", page, values), (f"estimated total (above {CANDIDATES})", estimate, [])):
            how = "ANALYZE, BUFFERS" if name == "page" else "FORMAT TEXT"
            rows = await conn.execute_query_dict(f"EXPLAIN ({how}) {sql}", args)
            out.append(f"-- {name} of {text!r}\n" + "\n".join(r["QUERY PLAN"] for r in rows))
    return out


def fts5_child(size: int, work: Path) -> dict[str, Any]:
    """SQLite FTS5 with the trigram tokenizer over the same text: MATCH for 3+ characters, LIKE below."""
    texts = reviews()
    path = work / "fts.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, tokenize='trigram')")
    started = time.perf_counter()
    conn.executemany("INSERT INTO fts (rowid, body) VALUES (?, ?)",
                     ((i, texts[i % len(texts)]) for i in range(size)))
    conn.commit()
    index_seconds = time.perf_counter() - started

    def run(q: str) -> list[Any]:
        parts = q.split()
        long = [p for p in parts if len(p) >= 3]
        short = [p for p in parts if len(p) < 3]
        likes = " AND ".join("body LIKE ? ESCAPE '\\'" for _ in short)
        like_values = ["%" + re.sub(r"([%_\\])", r"\\\1", p) + "%" for p in short]
        if long:
            match = " ".join('"' + p.replace('"', '""') + '"' for p in long)
            sql = "SELECT rowid FROM fts WHERE fts MATCH ?" + (f" AND {likes}" if likes else "") + \
                  f" ORDER BY rank LIMIT {TOP}"
            return conn.execute(sql, [match, *like_values]).fetchall()
        return conn.execute(f"SELECT rowid FROM fts WHERE {likes} LIMIT {TOP}", like_values).fetchall()

    asked = queries(texts)
    for q in asked[:50]:
        run(q)
    times = []
    found = 0
    for q in asked:
        t = time.perf_counter()
        found += bool(run(q))
        times.append((time.perf_counter() - t) * 1000)
    conn.close()
    return {"backend": "fts5", "docs": size, "index_s": index_seconds, "docs_per_s": size / index_seconds,
            "p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99), "found": found / len(asked),
            "size_mb": path.stat().st_size / 1e6, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    if args.child == "fts5":
        result = fts5_child(args.size, work)
    else:
        result = asyncio.run(engine_child(args.child, args.size, work, args.database_url))
    print("RESULT " + json.dumps(result))


def measure(kind: str, size: int, work: Path, database_url: str = "") -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([PYTHON, __file__, "--child", kind, "--size", str(size), "--work", str(work),
                          "--database-url", database_url], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} at {size} failed:\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    print(f"  {kind:8} {size:>7,} docs: {result['docs_per_s']:>8,.0f} docs/s, p50 {result['p50_ms']:.2f} ms, "
          f"p99 {result['p99_ms']:.2f} ms", flush=True)
    for plan in result.pop("explain", []):
        print("\n".join("      " + line for line in plan.splitlines()), flush=True)
    return result


# --- HTTP -----------------------------------------------------------------------------------------

def served(proc: subprocess.Popen[bytes], url: str, connections: int, seconds: float, lua: str) -> dict[str, float]:
    """``load`` with the server's CPU beside it: ms of CPU a request, and cores used."""
    before = cpu_seconds(tree(proc.pid))
    result = load(url, connections, seconds, lua=lua)
    used = cpu_seconds(tree(proc.pid)) - before
    return {**result, "cpu_ms": 1000 * used / max(1.0, result["rps"] * seconds), "cores": used / seconds}


def http(data_dir: Path, asked: list[str], seconds: float,
         pg_url: str | None = None) -> list[tuple[str, dict[str, float]]]:
    paths = ["/v1/search?" + urllib.parse.urlencode({"q": q}) for q in asked]
    lua = ("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
           "local i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n")
    env = bench_env(data_dir, MEIJI_BACKGROUND="false")
    results = []
    with serve("bench.floors:bare_app", env, factory=False, ready_path="/", loop="uvloop") as (bare, _):
        for c in (8, 64):
            results.append((f"bare Starlette floor, {c} connections", load(bare + "/", c, seconds)))
    # The server keeps pages of hits until the index changes (MEIJI_SEARCH_RESULTS_KEPT): with no
    # writes during the run, every query is answered from its kept page after the first 500
    # requests. Measured with none kept too: what a query that was not asked since the last change costs.
    for kept, label in (("512", "tantivy"), ("0", "tantivy, nothing kept")):
        with serve(env={**env, "MEIJI_SEARCH_RESULTS_KEPT": kept}) as (base, proc):
            for c in (1, 8, 64):
                results.append((f"{label}: GET /v1/search at 170k docs, {c} connections",
                                served(proc, base + "/", c, seconds, lua)))
    if pg_url is not None:
        pg_env = bench_env(data_dir.parent / "pg-http", MEIJI_BACKGROUND="false", MEIJI_DATABASE_URL=pg_url,
                           MEIJI_SEARCH_URL="postgres")
        for kept, label in (("512", "PostgreSQL"), ("0", "PostgreSQL, nothing kept")):
            with serve(env={**pg_env, "MEIJI_SEARCH_RESULTS_KEPT": kept}) as (base, proc):
                for c in (1, 8, 64):
                    results.append((f"{label}: GET /v1/search at 170k docs, {c} connections",
                                    served(proc, base + "/", c, seconds, lua)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="17k documents only, no HTTP")
    parser.add_argument("--whoosh-170k", action="store_true", help="also index 170k documents with Whoosh (~15 min)")
    parser.add_argument("--million", action="store_true",
                        help="also 1,000,000 documents on tantivy and PostgreSQL (20 minutes more on 2 busy cores)")
    parser.add_argument("--no-http", action="store_true", help="engines only: no HTTP measurements")
    parser.add_argument("--million-only", action="store_true",
                        help="only the 1,000,000-document point (no FTS5, no HTTP)")
    parser.add_argument("--seconds", type=float, default=8, help="wrk duration per HTTP measurement")
    parser.add_argument("--backends", default="fts5,tantivy,whoosh,postgres",
                        help="comma-separated subset to measure (fts5 and tantivy are needed for the HTTP goals)")
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from tests.servers import postgres_bin, postgres_cluster

    root = Path(tempfile.mkdtemp(prefix="meiji-bench-search-"))
    base = len(reviews())
    sizes = [base] if args.quick else [base, base * 10]
    if args.million and not args.quick:
        sizes.append(1_000_000)
    if args.million_only:
        sizes = [1_000_000]
    results: list[dict[str, Any]] = []
    print(f"corpus: {base:,} reviews; {QUERIES} queries (top {TOP} with total); work in {root}", flush=True)
    wanted = set(args.backends.split(","))
    cluster = postgres_cluster(*POSTGRES_SETTINGS) if postgres_bin() and "postgres" in wanted else None
    pg = cluster.__enter__() if cluster else None
    urls: dict[int, str] = {}
    try:
        for size in sizes:
            if "fts5" in wanted and size <= base * 10:  # at a million documents: minutes of LIKE scans
                results.append(measure("fts5", size, root / f"fts5-{size}"))
            data_dir = root / f"data-{size}"
            if "tantivy" in wanted:
                results.append(measure("tantivy", size, data_dir / "search"))
            if "whoosh" in wanted and (size == base or args.whoosh_170k):
                results.append(measure("whoosh", size, root / f"whoosh-{size}"))
            if pg is not None:
                import asyncpg

                async def create(name: str) -> None:
                    conn = await asyncpg.connect(pg.url("postgres"))
                    await conn.execute(f"CREATE DATABASE {name}")
                    await conn.close()

                asyncio.run(create(f"bench_{size}"))
                urls[size] = pg.url(f"bench_{size}")
                results.append(measure("postgres", size, root / f"pg-{size}", urls[size]))
        report(args, results, sizes, root, urls.get(base * 10))
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
        shutil.rmtree(root, ignore_errors=True)


def report(args: argparse.Namespace, results: list[dict[str, Any]], sizes: list[int], root: Path,
           pg_url: str | None) -> None:

    print("\n| backend | docs | index docs/s | reindex s | query p50 ms | query p99 ms | size MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['docs']:,} | {r['docs_per_s']:,.0f} | {r['index_s']:.1f} | {r['p50_ms']:.3f} | "
              f"{r['p99_ms']:.2f} | {r['size_mb']:.0f} | {r['rss_mb']:.0f} |")
    print("\nratios against SQLite FTS5 (trigram) at the same size (>1: better than FTS5):")
    for r in results:
        if r["backend"] == "fts5":
            continue
        fts = next((f for f in results if f["backend"] == "fts5" and f["docs"] == r["docs"]), None)
        if fts is None:
            continue
        print(f"- {r['backend']} at {r['docs']:,}: indexing {r['docs_per_s'] / fts['docs_per_s']:.2f}x, "
              f"p50 {fts['p50_ms'] / r['p50_ms']:.1f}x, p99 {fts['p99_ms'] / r['p99_ms']:.1f}x faster, "
              f"size {r['size_mb'] / fts['size_mb']:.2f}x")
    for kind in ("whoosh", "postgres"):
        for size in sizes:
            other = [r for r in results if r["backend"] == kind and r["docs"] == size]
            tv = [r for r in results if r["backend"] == "tantivy" and r["docs"] == size]
            if other and tv:
                a, b = tv[0], other[0]
                print(f"- tantivy vs {kind} at {size:,}: indexing {a['docs_per_s'] / b['docs_per_s']:.0f}x, "
                      f"p50 {b['p50_ms'] / a['p50_ms']:.0f}x, p99 {b['p99_ms'] / a['p99_ms']:.0f}x faster")
    if args.quick or args.million_only:
        return

    big = sizes[1]
    at_big = {r["backend"]: r for r in results if r["docs"] == big}
    if "tantivy" in at_big and "fts5" in at_big:
        print(f"\ngoals at {big:,} documents on tantivy: full reindex {at_big['tantivy']['index_s']:.1f} s "
              f"(goal <= 60 s), engine p99 {at_big['tantivy']['p99_ms']:.2f} ms "
              f"vs FTS5 {at_big['fts5']['p99_ms']:.2f} ms (goal: no worse)")
    pgr = [r for r in results if r["backend"] == "postgres" and r["docs"] == big]
    if pgr:
        print(f"goals at {big:,} documents on PostgreSQL: full reindex {pgr[0]['index_s']:.1f} s (goal <= 120 s), "
              f"engine p99 {pgr[0]['p99_ms']:.2f} ms")
    if args.no_http:
        return
    print("\nHTTP (uvicorn, one worker, wrk cycling through the 500 queries):\n")
    print(TABLE_HEAD)
    floor = None
    measured = http(root / f"data-{big}", queries(reviews()), args.seconds, pg_url)
    for name, result in measured:
        if name.startswith("bare") and "8 " in name:
            floor = result
        print(row(name, result, floor if not name.startswith("bare") else None))
    assert floor is not None
    for name, result in measured:
        if name.endswith(" 8 connections") and not name.startswith("bare"):
            engine = name.split(":")[0]
            tantivy = engine.startswith("tantivy")
            print(f"goal {engine} at 8 connections: p99 {result['p99_ms']:.1f} ms (goal <= "
                  f"{20 if tantivy else 50} ms), {result['rps'] / floor['rps']:.0%} of the bare floor"
                  + (" (goal >= 15%)" if tantivy else ""))
            # What 15% of the floor would take at this cost (the app's process alone; PostgreSQL's
            # own CPU is not counted), against the cores of this machine, which also runs wrk.
            wanted = 0.15 * floor["rps"]
            print(f"  the server's CPU: {result['cpu_ms']:.2f} ms a search, {result['cores']:.2f} cores; "
                  f"15% of the floor ({wanted:,.0f} req/s) at that cost: {wanted * result['cpu_ms'] / 1000:.1f} "
                  f"cores, on a machine of {os.cpu_count()}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
