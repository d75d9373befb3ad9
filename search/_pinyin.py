"""Tone-less pinyin: of Chinese characters (what a text sounds like) and of typed pinyin.

Both sides of a search meet here. A document's Chinese characters are read with pypinyin's first
(most common) reading, without tones: 双眼皮 sounds ``shuang yan pi``, and so does the typo 双眼脾.
What a user types as pinyin (``shuangyanpi``, ``shuāng yǎn pí``, ``shuang1yan3pi2``) is cut into
the syllables pypinyin knows. Characters are read one by one (pypinyin's phrase tables are not
loaded, see ``suggestions.py``), so a character with several readings is read its first way:
重 is ``zhong`` in 重睑术 too.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from itertools import pairwise

# Before pypinyin is first imported (``suggestions.py`` says why).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from search._fold import TABLE as FOLDS

CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
MAX_SYLLABLE = 6  # zhuang, shuang
MAX_PARSES = 4  # ways to cut one typed run into syllables (xian: xian; fangan: fang an, fan gan)
# Spellings pypinyin does not write but people type: ü as yu (lyu: 绿), lue/nue for lüe/nüe.
TYPED = {"lyu": "lv", "nyu": "nv", "lue": "lve", "nue": "nve"}
# Readings that are interjections (嗯 n, 呣 m, 哼 hng) or not typable (ê): never cut from typed text,
# or any latin word ending in n or m would read as pinyin.
UNTYPED = {"n", "m", "ng", "hm", "hng", "ê"}
_TONE_DIGIT = re.compile(r"(?<=[a-zv])[0-5]")

_readings: dict[str, str | None] = {}  # every character seen (None: not Chinese), at most ~100,000
_syllables: frozenset[str] | None = None
_hearing: dict[str, str] | None = None  # syllable -> the characters that read it, built on first use
_lock = threading.Lock()


def reading(ch: str) -> str | None:
    """The tone-less first reading of one Chinese character (``v`` for ü); None for any other character."""
    try:
        return _readings[ch]
    except KeyError:
        entry = pinyin_dict.get(ord(ch))
        found = to_normal(entry.split(",")[0]) if entry is not None else None
        _readings[ch] = found
        return found


def syllables() -> frozenset[str]:
    """Every tone-less syllable of pypinyin's dictionary that can be typed (about 420)."""
    global _syllables
    if _syllables is None:
        with _lock:
            if _syllables is None:
                # ~1,500 distinct toned readings among 42,000 characters: tones are taken off each once.
                toned = {r for entry in pinyin_dict.values() for r in entry.split(",")}
                _syllables = frozenset({to_normal(r) for r in toned} - UNTYPED)
    return _syllables


def sound_tokens(folded: str) -> list[str]:
    """Index tokens of what ``folded`` text sounds like: for each run of Chinese characters, the
    pairs of consecutive readings (``shuang_yan yan_pi``) followed by its last reading.

    Pairs make a query of two or more syllables a phrase of pairs, as character bigrams do for
    text; the last reading ends the run, so a phrase never joins two runs.
    """
    out: list[str] = []
    run: list[str] = []
    for ch in folded:
        said = reading(ch)
        if said is not None:
            run.append(said)
            continue
        if run:
            _close(run, out)
            run = []
    if run:
        _close(run, out)
    return out


def _close(run: list[str], out: list[str]) -> None:
    out.extend(f"{a}_{b}" for a, b in pairwise(run))
    out.append(run[-1])


def pairs(said: tuple[str, ...]) -> list[str]:
    """The index tokens a run of syllables must have in a row."""
    return [f"{a}_{b}" for a, b in pairwise(said)]


def typed(text: str) -> list[tuple[str, ...]]:
    """The ways typed latin text cuts into syllables, fewest syllables first; [] when it is not pinyin.

    Tone marks and tone digits are dropped, ü may be typed v, u: or yu.
    """
    plain = _plain(text)
    if not plain or not plain.isascii() or not plain.isalpha():
        return []
    return list(_cuts(plain))[:MAX_PARSES]


def _plain(text: str) -> str:
    text = text.lower().replace("ü", "v").replace("u:", "v")
    for accented in "ǖǘǚǜ":
        text = text.replace(accented, "v")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return _TONE_DIGIT.sub("", text)


def _cuts(plain: str) -> Iterator[tuple[str, ...]]:
    """Every cut of ``plain`` into syllables with the fewest syllables, then the others."""
    known = syllables()
    size = len(plain)
    # fewest[i]: the fewest syllables that spell plain[i:] (None: it cannot be spelt).
    fewest: list[int | None] = [None] * size + [0]
    for i in range(size - 1, -1, -1):
        best = None
        for j in range(i + 1, min(size, i + MAX_SYLLABLE) + 1):
            piece, rest = plain[i:j], fewest[j]
            if rest is not None and (piece in known or piece in TYPED) and (best is None or rest + 1 < best):
                best = rest + 1
        fewest[i] = best
    if fewest[0] is None:
        return

    def walk(i: int, done: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if i == size:
            yield done
            return
        for j in range(i + 1, min(size, i + MAX_SYLLABLE) + 1):
            piece, rest = plain[i:j], fewest[j]
            if rest is not None and rest + 1 == fewest[i] and (piece in known or piece in TYPED):
                yield from walk(j, (*done, TYPED.get(piece, piece)))

    yield from walk(0, ())


def spoken(run: str) -> list[tuple[str, ...]]:
    """What a query run sounds like, in each way it can be read; [] when some part of it cannot.

    Chinese characters are read as in documents; latin parts are cut as typed pinyin
    (``shuangyan皮``: shuang yan pi).
    """
    ways: list[tuple[str, ...]] = [()]
    options: list[tuple[str, ...]]
    for part in re.findall(f"{CJK.pattern}|(?:(?!{CJK.pattern}).)+", run):
        if CJK.match(part):
            said = reading(part)
            if said is None:
                return []
            options = [(said,)]
        else:
            options = typed(part)
            if not options:
                return []
        ways = [(*way, *option) for way in ways for option in options][:MAX_PARSES]
    return [way for way in ways if way]


def spellings(name: str, limit: int = 16) -> set[tuple[str, ...]]:
    """Every way a Chinese name reads, with each reading of a character that has several (重睑术:
    zhong jian shu, chong jian shu...), at most ``limit``; empty when a character is not Chinese."""
    ways: list[tuple[str, ...]] = [()]
    for ch in name:
        entry = pinyin_dict.get(ord(ch))
        if entry is None:
            return set()
        readings = list(dict.fromkeys(to_normal(r) for r in entry.split(",")))[:3]
        ways = [(*way, said) for way in ways for said in readings][:limit]
    return set(ways)


def spans(text: str, *ways: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``text`` reads any of ``ways`` in a row: (start, stop) offsets, in order.

    ``text`` may be folded or not: a traditional character reads as its simplified form (雙 as
    双), as documents are indexed. The text is written once as the codes of what its characters
    read (``str.translate``, in C), and each way is then a plain substring of codes: reading it
    character by character cost up to a millisecond for 4,000 characters of a common syllable (yi),
    and a regular expression of each syllable's hundreds of characters was no faster.
    """
    table, codes = _codes()
    wanted = {"".join(codes[syllable] for syllable in way): len(way) for way in ways
              if way and all(syllable in codes for syllable in way)}
    if not wanted:
        return []
    said = text.translate(table)
    found: set[tuple[int, int]] = set()
    for needle, size in wanted.items():
        at = said.find(needle)
        while at >= 0:
            found.add((at, at + size))
            at = said.find(needle, at + 1)
    return sorted(found)


_CODES_FROM = 0x100  # syllables are written as characters from here on (Latin Extended and beyond)
_coding: tuple[dict[int, str], dict[str, str]] | None = None


def _codes() -> tuple[dict[int, str], dict[str, str]]:
    """The table that writes each character as the code of its reading (a character in the codes'
    own range as NUL, which no syllable is), and each syllable's code."""
    global _coding
    if _coding is None:
        heard = _heard()  # before the lock, which it takes itself
        with _lock:
            if _coding is None:
                codes = {syllable: chr(_CODES_FROM + n) for n, syllable in enumerate(sorted(heard))}
                table = {ord(code): "\x00" for code in codes.values()}
                table.update({ord(ch): codes[syllable] for syllable, characters in heard.items()
                              for ch in characters})
                _coding = (table, codes)
    return _coding


def _heard() -> dict[str, str]:
    """Each tone-less syllable and every character that reads it first (``reading``), its
    traditional forms included (the characters that fold to one that reads it)."""
    global _hearing
    if _hearing is None:
        with _lock:
            if _hearing is None:
                # Tones are taken off each of the ~1,500 distinct first readings once, not per character.
                by_toned: dict[str, list[str]] = {}
                for code, entry in pinyin_dict.items():
                    by_toned.setdefault(entry.split(",", 1)[0], []).append(chr(code))
                said_by: dict[str, str] = {}
                for toned, characters in by_toned.items():
                    said = to_normal(toned)
                    said_by.update(dict.fromkeys(characters, said))
                # A character that folds to another reads as that one, as documents are indexed.
                for source, target in FOLDS.items():
                    said_by.pop(chr(source), None)
                    if chr(target) in said_by:
                        said_by[chr(source)] = said_by[chr(target)]
                out: dict[str, str] = {}
                for ch, said in said_by.items():
                    out[said] = out.get(said, "") + ch
                _hearing = out
    return _hearing
