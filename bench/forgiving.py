"""Search that forgives: how often pinyin and homophone typos find the post they mean, and what it costs.

Run: ``.venv/bin/python bench/forgiving.py`` (tantivy and PostgreSQL, a few minutes; ``--whoosh`` adds
Whoosh, ~4 minutes more; ``--backends tantivy`` for one).

The labelled set (``bench/forgiving_set.json``): 87 queries (exact names, tone-less pinyin, pinyin with
tone marks, digits or spaces, homophone typos, near misses), each with the one post it means. Those
22 posts are indexed among the ~17,000 real reviews of ``shared/corpora/zh``. For each backend the
same documents are indexed twice, in the same run: as today's engine (no sound field, no search by
sound) and with it. Printed: the share of queries whose post is in the top 10, per category; index
size and build time; query p50/p99 (in-process, snippets included) over 500 ordinary queries (those
of ``bench/search.py``) and over the labelled ones.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import dir_size, percentile, queries, reviews

SET = Path(__file__).with_name("forgiving_set.json")
TOP = 10
BASE = datetime(2025, 1, 1, tzinfo=UTC)
CATEGORIES = ("exact", "pinyin", "pinyin-marked", "homophone", "near-miss")


def labelled() -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    data = json.loads(SET.read_text(encoding="utf-8"))
    return data["posts"], [tuple(q) for q in data["queries"]]


def documents(count: int | None = None) -> list[Any]:
    from search.interfaces import Document

    posts, _ = labelled()
    texts = reviews()[:count] if count else reviews()
    docs = [Document("review", f"r{i}", "", text, BASE + timedelta(seconds=i), clinic_id=str(i % 50),
                     popularity=float(i % 7)) for i, text in enumerate(texts)]
    docs.extend(Document("diary", key, title, text, BASE + timedelta(days=1)) for key, (title, text) in posts.items())
    return docs


def vocabulary() -> list[Any]:
    """The procedures' names, as the app loads them (their words join the segmenter's dictionary)."""
    from search.interfaces import Term

    names: list[str] = json.loads(SET.read_text(encoding="utf-8"))["procedures"]
    return [Term(name, "procedure") for name in names]


async def measure(kind: str, sound: bool, docs: list[Any], work: Path, pg_url: str = "") -> dict[str, Any]:
    from search.engine import EngineIndex
    from search.interfaces import Query

    index: EngineIndex
    if kind == "tantivy":
        from search.tantivy_index import TantivyIndex

        index = TantivyIndex(work, sound=sound)
    elif kind == "whoosh":
        from search.whoosh_index import WhooshIndex

        index = WhooshIndex(work, sound=sound)
    else:
        from kernel import db
        from kernel.settings import Settings
        from search.postgres_index import PostgresIndex

        settings = Settings(data_dir=work, database_url=pg_url, search_url="postgres")
        await db.migrate(settings)
        await db.open_database(settings)
        index = PostgresIndex(sound=sound)
    await index.set_vocabulary(vocabulary())

    async def batches() -> AsyncIterator[list[Any]]:
        for start in range(0, len(docs), 2000):
            yield docs[start:start + 2000]

    started = time.perf_counter()
    await index.rebuild(batches())
    build_seconds = time.perf_counter() - started
    if kind == "postgres":
        from kernel import db

        rows = await db.connection().execute_query_dict(
            "SELECT pg_total_relation_size('search_document') AS n")
        size = int(rows[0]["n"])
    else:
        size = dir_size(work)
    gc.collect()

    _, asked = labelled()
    found: dict[str, list[bool]] = {c: [] for c in CATEGORIES}
    misses: list[str] = []
    for category, q, key in asked:
        result = await index.search(Query(q, limit=TOP))
        ranks = [i for i, h in enumerate(result.hits) if h.id == key]
        found[category].append(bool(ranks))
        if not ranks:
            misses.append(f"{q} ({category})")

    ordinary = queries(reviews())
    for q in ordinary[:50]:  # warm caches and the segmenter
        await index.search(Query(q, limit=20))

    async def timed(texts: list[str], rounds: int = 1) -> list[float]:
        out = []
        for _ in range(rounds):
            for q in texts:
                t = time.perf_counter()
                await index.search(Query(q, limit=20))
                out.append((time.perf_counter() - t) * 1000)
        return out

    plain = await timed(ordinary)
    forgiving = await timed([q for _, q, _ in asked], rounds=5)
    await index.close()
    if kind == "postgres":
        from kernel import db

        await db.close_database()
    return {"kind": kind, "sound": sound, "docs": len(docs), "size_mb": size / 1e6, "build_s": build_seconds,
            "found": {c: (sum(v), len(v)) for c, v in found.items()}, "misses": misses,
            "plain_p50": percentile(plain, 0.5), "plain_p99": percentile(plain, 0.99),
            "labelled_p50": percentile(forgiving, 0.5), "labelled_p99": percentile(forgiving, 0.99)}


def share(pair: tuple[int, int]) -> str:
    hit, total = pair
    return f"{hit}/{total} ({100 * hit / total:.0f}%)" if total else "-"


def report(results: list[dict[str, Any]]) -> None:
    print("\n| backend | search by sound | " + " | ".join(CATEGORIES) + " | all | index MB | build s "
          "| p50 / p99 ms, 500 ordinary queries | p50 / p99 ms, labelled queries |")
    print("|---|---|" + "---|" * (len(CATEGORIES) + 5))
    for r in results:
        total = Counter[str]()
        for hit, count in r["found"].values():
            total["hit"] += hit
            total["count"] += count
        print(f"| {r['kind']} ({r['docs']:,} docs) | {'on' if r['sound'] else 'off (as before)'} | "
              + " | ".join(share(r["found"][c]) for c in CATEGORIES)
              + f" | {share((total['hit'], total['count']))} | {r['size_mb']:.1f} | {r['build_s']:.1f} | "
              f"{r['plain_p50']:.2f} / {r['plain_p99']:.2f} | {r['labelled_p50']:.2f} / {r['labelled_p99']:.2f} |")
    for r in results:
        if r["sound"]:
            print(f"\n{r['kind']} with search by sound, not in the top {TOP}: {', '.join(r['misses']) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="tantivy,postgres", help="comma-separated: tantivy,whoosh,postgres")
    parser.add_argument("--whoosh", action="store_true", help="also Whoosh (pure Python: minutes to index)")
    parser.add_argument("--whoosh-docs", type=int, default=3000, help="reviews indexed on Whoosh (a sample)")
    args = parser.parse_args()
    wanted = args.backends.split(",") + (["whoosh"] if args.whoosh else [])
    docs = documents()
    root = Path(tempfile.mkdtemp(prefix="meiji-bench-forgiving-"))
    print(f"{len(docs):,} documents ({len(labelled()[0])} labelled posts), {len(labelled()[1])} labelled "
          f"queries, top {TOP}; work in {root}", flush=True)
    results: list[dict[str, Any]] = []
    cluster = None
    try:
        for kind in ("tantivy", "whoosh", "postgres"):
            if kind not in wanted:
                continue
            for sound in (False, True):
                pg_url = ""
                if kind == "postgres":
                    from tests.servers import postgres_bin, postgres_cluster

                    if not postgres_bin():
                        print("(no PostgreSQL binaries: PostgreSQL left out)")
                        break
                    if cluster is None:
                        cluster = postgres_cluster()
                        pg = cluster.__enter__()
                    pg_url = asyncio.run(_database(pg, f"forgiving_{int(sound)}"))
                kind_docs = documents(args.whoosh_docs) if kind == "whoosh" else docs
                result = asyncio.run(measure(kind, sound, kind_docs, root / f"{kind}-{int(sound)}", pg_url))
                results.append(result)
                print(json.dumps(result, ensure_ascii=False), flush=True)
        report(results)
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
        shutil.rmtree(root, ignore_errors=True)


async def _database(pg: Any, name: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(pg.url("postgres"))
    await conn.execute(f"DROP DATABASE IF EXISTS {name}")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    url: str = pg.url(name)
    return url


if __name__ == "__main__":
    main()
