"""Test material: what this project keeps in ``tests/corpus``, and the larger corpora of ``../shared``.

The project's own material is always there, so a clone of this repository tests itself:

- ``zh/reviews_pos.txt``, ``zh/reviews_neg.txt``: Chinese reviews of clinics, doctors and
  procedures written for these tests (one per line, praise and complaint);
- ``xss/hostile_html.jsonl``: hostile and awkward HTML for the sanitizer, written for these tests;
- ``tests.corpus.images``: unusual and hostile images, generated with Pillow when a test asks.

The corpora beside the project (``../shared/corpora``: ~17,000 real shopping reviews, ~2,200 XSS
and parser cases of OWASP, bleach, html5lib, ammonia and nh3, Pillow's and libjpeg-turbo's hostile
images) are used when present; a test that needs them skips with a reason naming them otherwise.
They are never copied here (their README asks not to).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Literal

import pytest

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "corpora"

Tone = Literal["pos", "neg"]

WHAT = {
    "zh": "~17,000 real Chinese shopping reviews",
    "xss": "~2,200 XSS and HTML parser cases",
    "images": "Pillow's and libjpeg-turbo's hostile images",
}


def shared(name: str) -> Path | None:
    """``../shared/corpora/<name>`` when it is there, else None."""
    path = SHARED / name
    return path if path.exists() else None


def absent_reason(name: str) -> str:
    return (f"../shared/corpora/{name} ({WHAT[name]}) is absent: only this project's own material in "
            f"tests/corpus is used")


def need_shared(name: str) -> Path:
    """The shared corpus, or skip the test with a reason naming it."""
    path = shared(name)
    if path is None:
        pytest.skip(absent_reason(name))
    return path


@cache
def own_reviews(tone: Tone) -> tuple[str, ...]:
    """The reviews written for this project, in file order (tests index them: keep the order)."""
    text = (HERE / "zh" / f"reviews_{tone}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@cache
def shared_reviews(tone: Tone) -> tuple[str, ...]:
    """The real shopping reviews of ``../shared``, or nothing when they are absent."""
    root = shared("zh")
    if root is None:
        return ()
    text = (root / f"reviews_{tone}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def all_reviews() -> list[str]:
    """Every review at hand: ours, then the shared ones when present."""
    return [*own_reviews("pos"), *own_reviews("neg"), *shared_reviews("pos"), *shared_reviews("neg")]


def _cases(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if "payload_repeat" in case:
            yield case["payload_repeat"]["unit"] * case["payload_repeat"]["times"]
        else:
            value = case.get("payload", case.get("data", case.get("input")))
            if isinstance(value, str):
                yield value


def own_html() -> list[str]:
    """The hostile HTML written for this project."""
    return list(_cases(HERE / "xss" / "hostile_html.jsonl"))


def shared_html() -> list[str]:
    """Every payload of the shared XSS corpora, or nothing when they are absent."""
    root = shared("xss")
    if root is None:
        return []
    return [payload for path in sorted(root.glob("*.jsonl")) for payload in _cases(path)]
