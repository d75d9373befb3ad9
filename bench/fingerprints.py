"""Perceptual hashes of removed photos: do altered copies still match, do distinct photos not, what
does hashing add to an upload, and how fast is a lookup among 1,000,000 stored hashes.

Every hash is the one an upload gets: ``media.images.render`` on the file, as ``POST /v1/media``
runs it. Originals are generated scenes (smooth colour fields with shapes, like a photo's broad
forms) plus every decodable image of ``../shared/corpora/images`` at least 64 px wide and high.

    .venv/bin/python bench/fingerprints.py [--images 120] [--stored 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media import fingerprints, images

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "images"
DISTANCE = 6
MAX_PIXELS = 40_000_000


def scene(seed: int, width: int = 1600, height: int = 1200) -> Image.Image:
    rng = random.Random(seed)
    grid = Image.new("RGB", (12, 9))
    grid.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12 * 9)])
    im = grid.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(60, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    return im


def corpus() -> list[Image.Image]:
    found = []
    for path in sorted(CORPORA.rglob("*")) if CORPORA.is_dir() else []:
        try:
            with Image.open(path) as im:
                im.load()
                if min(im.size) >= 64:
                    found.append(im.convert("RGB"))
        except Exception:  # the corpus holds deliberately broken files
            continue
    return found


def encode(im: Image.Image, fmt: str = "JPEG", **save: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def crop(im: Image.Image, share: float) -> Image.Image:
    dx, dy = int(im.width * share), int(im.height * share)
    return im.crop((dx, dy, im.width - dx, im.height - dy))


# What a re-uploader does to a removed photo.
VARIANTS: dict[str, Callable[[Image.Image], bytes]] = {
    "re-encoded (JPEG q60)": lambda im: encode(im, quality=60),
    "resized to 50%": lambda im: encode(im.resize((im.width // 2, im.height // 2)), quality=85),
    "recompressed (WebP q40)": lambda im: encode(im, "WEBP", quality=40),
    "cropped 2% a side": lambda im: encode(crop(im, 0.02), quality=85),
    "cropped 5% a side": lambda im: encode(crop(im, 0.05), quality=85),
    "brightness +15%": lambda im: encode(ImageEnhance.Brightness(im).enhance(1.15), quality=85),
    "resized 75% + q50 + brightness -10%": lambda im: encode(
        ImageEnhance.Brightness(im.resize((im.width * 3 // 4, im.height * 3 // 4))).enhance(0.9), quality=50),
}


def upload_hash(data: bytes) -> str:
    return images.render(io.BytesIO(data), MAX_PIXELS).phash


def matching(originals: list[Image.Image]) -> None:
    hashes = [upload_hash(encode(im, quality=92)) for im in originals]
    print(f"originals: {len(originals)} ({len(originals) - len(corpus_images)} generated, "
          f"{len(corpus_images)} from the corpus); threshold {DISTANCE} bits of 64\n")
    print("| variant | matched | median distance | worst |")
    print("|---|---|---|---|")
    for name, make in VARIANTS.items():
        distances = [fingerprints.distance(h, upload_hash(make(im))) for h, im in zip(hashes, originals, strict=True)]
        matched = sum(d <= DISTANCE for d in distances)
        print(f"| {name} | {matched}/{len(distances)} ({100 * matched / len(distances):.1f}%) | "
              f"{statistics.median(distances):g} | {max(distances)} |")
    generated = len(originals) - len(corpus_images)
    # The corpus holds the same few test pictures in many formats and sizes: its near pairs are
    # mostly true copies, so its rate is shown apart from the generated scenes'.
    for label, group in (("generated scenes", hashes[:generated]), ("generated + corpus", hashes)):
        pairs = [fingerprints.distance(a, b) for i, a in enumerate(group) for b in group[i + 1:]]
        if not pairs:
            continue
        false = sum(d <= DISTANCE for d in pairs)
        print(f"\n{label}: {len(pairs)} distinct pairs; within {DISTANCE} bits: {false} "
              f"({100 * false / len(pairs):.3f}%); closest pair {min(pairs)} bits, median {statistics.median(pairs):g}")


def cost() -> None:
    photo = scene(7, 4032, 3024)
    data = encode(photo, quality=92)
    runs = 8
    images.render(io.BytesIO(data), MAX_PIXELS)
    started = time.perf_counter()
    for _ in range(runs):
        rendered = images.render(io.BytesIO(data), MAX_PIXELS)
    whole = (time.perf_counter() - started) / runs
    thumb = Image.open(io.BytesIO(rendered.renditions[0].data))
    thumb.load()
    started = time.perf_counter()
    for _ in range(runs * 10):
        fingerprints.phash(thumb)
    hashing = (time.perf_counter() - started) / (runs * 10)
    print(f"\n12 MP JPEG (4032x3024, q92): pipeline {whole * 1000:.0f} ms of which pHash of the 320 px variant "
          f"{hashing * 1000:.2f} ms = {100 * hashing / whole:.1f}% of the pipeline")


async def _probe(db_url: str, values: list[str], rng: random.Random, label: str) -> None:
    from kernel import db
    from kernel.settings import Settings

    # Opened as the service opens it: the lookup's statements go through kernel.db's connection.
    await db.open_database(Settings(database_url=db_url))
    timings: list[float] = []
    hits = 0
    for n in range(300):
        if n % 2:
            base = int(rng.choice(values), 16)
            for bit in rng.sample(range(64), DISTANCE):
                base ^= 1 << bit
            value = f"{base:016x}"
        else:
            value = f"{rng.getrandbits(64):016x}"
        started = time.perf_counter()
        match = await fingerprints.closest(value, DISTANCE)
        timings.append(time.perf_counter() - started)
        hits += match is not None
    await db.close_database()
    timings.sort()
    print(f"{label}: 300 lookups (150 of a stored hash with {DISTANCE} bits flipped, found {hits}); "
          f"p50 {timings[150] * 1000:.1f} ms, p99 {timings[296] * 1000:.1f} ms")


async def _schema(db_url: str) -> None:
    from tortoise import Tortoise

    await Tortoise.init(db_url=db_url, modules={"media": ["media.models"]})
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()


def rows(values: list[str]) -> Iterator[tuple[object, ...]]:
    moment = datetime(2026, 11, 29, tzinfo=UTC)
    for n, v in enumerate(values):
        yield (v, *fingerprints.bands(v), "removed", "C", f"m{n}", "", moment)


COLUMNS = ["phash", "b0", "b1", "b2", "b3", "reason", "case_id", "media_id", "note", "created_at"]


def lookup_sqlite(values: list[str], rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fingerprints.sqlite3"
        asyncio.run(_schema(f"sqlite://{path}"))
        started = time.perf_counter()
        with sqlite3.connect(path) as db:
            db.executemany(f"INSERT INTO media_fingerprint ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 10)})",
                           ((*r[:-1], r[-1].isoformat()) for r in rows(values)))  # type: ignore[attr-defined]
        print(f"SQLite: {len(values):,} random hashes stored in {time.perf_counter() - started:.0f} s")
        asyncio.run(_probe(f"sqlite://{path}", values, rng, "SQLite"))


def lookup_postgres(values: list[str], rng: random.Random) -> None:
    import asyncpg  # type: ignore[import-untyped]

    from tests.servers import postgres_bin, postgres_cluster

    if postgres_bin() is None:
        print("PostgreSQL: not measured (no binaries under /usr/lib/postgresql)")
        return
    with postgres_cluster() as cluster:
        url = cluster.url("postgres")
        asyncio.run(_schema(url))

        async def load() -> None:
            connection = await asyncpg.connect(url)
            await connection.copy_records_to_table("media_fingerprint", records=list(rows(values)), columns=COLUMNS)
            await connection.execute("ANALYZE media_fingerprint")
            await connection.close()

        started = time.perf_counter()
        asyncio.run(load())
        print(f"PostgreSQL: {len(values):,} random hashes stored in {time.perf_counter() - started:.0f} s")
        asyncio.run(_probe(url, values, rng, "PostgreSQL"))


def lookup(stored: int) -> None:
    rng = random.Random(18)
    # Uniform random hashes: the worst case for the bands (real photos' hashes cluster, so a band
    # value is shared by more rows for some and fewer for most).
    values = [f"{rng.getrandbits(64):016x}" for _ in range(stored)]
    print()
    lookup_sqlite(values, rng)
    lookup_postgres(values, rng)


corpus_images: list[Image.Image] = []

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--stored", type=int, default=1_000_000)
    args = parser.parse_args()
    corpus_images = corpus()
    matching([scene(seed) for seed in range(args.images)] + corpus_images)
    cost()
    lookup(args.stored)
