"""The Chinese analyzer shared by every backend: folding, segmentation, bigrams, query plans, snippets.

Matching never depends on the dictionary: text is indexed as character bigrams (``grams``), so any
substring of two or more characters finds the post, and a query of several characters is a phrase
of its bigrams (玻尿酸 = 玻尿 尿酸 in a row, never 尿酸 alone). Segmentation with jieba in search
mode (rjieba, with the domain dictionary added) fills a second field (``words``) that only ranks:
a post where the query is a whole word scores above one where it is part of another word.

A third field (``sound``) holds what the text sounds like (``_pinyin.py``): pairs of tone-less
readings, as ``grams`` holds pairs of characters. A query is read the same way, so pinyin
(``shuangyanpi``) and homophone typos (双眼脾) find 双眼皮; such posts come after every post that
contains the query itself (``Plan.loose``).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import rjieba

from kernel.caches import MISSING, Kept
from search import _pinyin
from search._fold import fold, pattern, variants
from search.interfaces import Document, Term

T = TypeVar("T")

# A run is a maximal sequence of letters and digits of any script (CJK, latin, kana...), or of
# other visible symbols (punctuation, emoji); whitespace and control characters separate runs.
RUNS = re.compile(r"(?P<word>[^\W_]+)|(?P<symbol>(?:[^\w\s\x00-\x1f\x7f]|_)+)")
MAX_SNIPPET = 100
MAX_WORD = 40  # jieba words longer than this (a long URL) are cut to this many characters
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # newlines and control characters become spaces (one for one)


def runs(folded: str) -> list[tuple[str, bool]]:
    """The runs of ``folded`` text: ``(run, is_words)`` (False: a run of symbols)."""
    return [(m.group(), m.lastgroup == "word") for m in RUNS.finditer(folded)]


def gram_tokens(folded: str) -> list[str]:
    """The bigrams of each run followed by its last character.

    Bigrams make every substring of two or more characters findable as a phrase; the trailing
    single character makes a one-character query findable (each character starts a bigram or ends
    a run) and separates runs, so a phrase never spans two runs.
    """
    out: list[str] = []
    for run, _ in runs(folded):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return out


# --- what a query means ----------------------------------------------------------------------

@dataclass(frozen=True)
class Sub:
    """The folded text of one run must occur in the document."""

    text: str

    @property
    def grams(self) -> list[str]:
        """The bigrams of the run (a phrase), or its one character."""
        if len(self.text) > 1:
            return [self.text[i:i + 2] for i in range(len(self.text) - 1)]
        return [self.text]


@dataclass(frozen=True)
class Sound:
    """The document must read these syllables in a row (two or more)."""

    said: tuple[str, ...]

    @property
    def grams(self) -> list[str]:
        """The pairs of readings, in a row (a phrase)."""
        return _pinyin.pairs(self.said)


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Match, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Match, ...]


Match = Sub | Sound | AllOf | AnyOf


@dataclass(frozen=True)
class Plan:
    """A query as the backends compile it: what must match, and words that raise the score.

    ``loose`` is the same query where each part may also match by sound (None when no part can:
    a single character or syllable, latin that is not pinyin). A search runs ``match`` first, then
    ``loose`` with ``exclude=match`` for the posts that only sound like the query, ranked after.
    """

    match: Match
    boosts: tuple[str, ...]
    needles: tuple[str, ...]  # folded strings to mark in snippets, longest first
    loose: Match | None = None
    sounds: tuple[tuple[str, ...], ...] = ()  # syllables to mark in snippets of posts found by sound
    exclude: Match | None = None  # documents this matches are left out (they were found before)
    excluded: int = 0  # how many documents ``exclude`` matches, when known (0: not known)

    def by_sound(self) -> Plan | None:
        """The plan of the second search: what only sounds like the query."""
        if self.loose is None:
            return None
        loose = self.loose
        if isinstance(loose, AnyOf) and self.match in loose.parts:
            # (match or sound) and not match: sound and not match, which an index can serve alone.
            loose = _any([part for part in loose.parts if part != self.match])
        # Names found through their reading (重睑术 for chongjianshu) are marked in snippets too.
        needles = tuple(sorted({*self.needles, *needles_of(loose)}, key=len, reverse=True))
        return Plan(loose, self.boosts, needles, None, self.sounds, exclude=self.match)


def _all(parts: Sequence[Match]) -> Match:
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _any(parts: Sequence[Match]) -> Match:
    unique = tuple(dict.fromkeys(parts))
    return unique[0] if len(unique) == 1 else AnyOf(unique)


def _subs(folded: str) -> list[Match]:
    """One clause per run; symbol runs count only when there is nothing else (a query of emoji)."""
    found = runs(folded)
    words = [run for run, is_words in found if is_words]
    return [Sub(run) for run in (words or [run for run, _ in found])]


def needles_of(match: Match) -> list[str]:
    if isinstance(match, Sub):
        return [match.text]
    if isinstance(match, Sound):
        return []
    return [n for part in match.parts for n in needles_of(part)]


def sounds_of(match: Match) -> list[tuple[str, ...]]:
    if isinstance(match, Sound):
        return [match.said]
    if isinstance(match, Sub):
        return []
    return [s for part in match.parts for s in sounds_of(part)]


def has_sound(match: Match) -> bool:
    return bool(sounds_of(match))


def _sound(parts: Sequence[str]) -> Match | None:
    """What runs of folded query text sound like, read in a row, in each way they read; None when
    some run cannot be read or there are fewer than two syllables (one syllable is too many words)."""
    ways: list[tuple[str, ...]] = [()]
    for part in parts:
        options = _pinyin.spoken(part)
        if not options:
            return None
        ways = [(*way, *option) for way in ways for option in options][:_pinyin.MAX_PARSES]
    found = [Sound(said) for said in ways if len(said) > 1]
    return _any(found) if found else None


# --- the vocabulary: dictionary words and alias groups -----------------------------------------

@dataclass
class Vocabulary:
    """Procedures and wiki titles with their aliases, folded, as the analyzer uses them."""

    terms: list[Term] = field(default_factory=list)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # folded member -> its group
    # Every reading of a Chinese member (each reading of its heteronyms) -> the members that read so.
    spelled: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, terms: Sequence[Term]) -> Vocabulary:
        groups: dict[str, tuple[str, ...]] = {}
        for term in terms:
            members = tuple(dict.fromkeys(m for m in (_normal(t) for t in (term.text, *term.aliases)) if m))
            for member in members:
                # A name in two groups (an alias shared by two procedures) expands to both.
                groups[member] = tuple(dict.fromkeys((*groups.get(member, ()), *members)))
        spelled: dict[tuple[str, ...], tuple[str, ...]] = {}
        for member in groups:
            if len(member) > 1 and all(_CJK.match(ch) for ch in member):
                for said in _pinyin.spellings(member):
                    spelled[said] = (*spelled.get(said, ()), member)
        return cls(list(terms), groups, spelled)

    def words(self) -> list[str]:
        """Dictionary words for the segmenter: every CJK run of every name."""
        return sorted({run for member in self.groups for run, is_words in runs(member)
                       if is_words and len(run) > 1 and _CJK.search(run)})


def _normal(text: str) -> str:
    """Folded text with runs separated by single spaces (how names and queries are compared)."""
    return " ".join(run for run, _ in runs(fold(text)))


class Segmenter:
    """jieba (rjieba) with the domain words added: one per process, shared by every ``Analyzer``.

    Importing rjieba loads jieba's dictionary (about 33 MB) into its default instance; a second
    instance would hold a second copy, so domain words are added to that one, in place. jieba cannot
    take a word out: a name removed from the vocabulary stays a word until the process restarts,
    which changes ranking only (matching uses bigrams).

    rjieba releases the GIL while it cuts, and refuses to add a word meanwhile ("Already borrowed"):
    adding waits for a moment without cuts, so cutting (on the event loop, for queries) never waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one adder at a time
        self._added: set[str] = set()
        self.generation = 0  # how many times words were added: cached words older than it are stale

    def add(self, words: Iterable[str]) -> bool:
        """Add the words not added before; whether there was any (blocking: run it off the event loop)."""
        with self._lock:
            new = [word for word in words if word not in self._added]
            for word in new:
                _retry(partial(rjieba.add_word, word, None, None))
            self._added.update(new)
            if new:
                self.generation += 1
        return bool(new)

    def cut_for_search(self, text: str) -> list[str]:
        return _retry(lambda: list(rjieba.cut_for_search(text, True)))

    def cut(self, text: str) -> list[str]:
        return _retry(lambda: list(rjieba.cut(text, True)))


def _retry(call: Callable[[], T]) -> T:
    """``call()``, again while rjieba says another thread holds its dictionary."""
    while True:
        try:
            return call()
        except RuntimeError as exc:
            if "borrowed" not in str(exc):
                raise
            time.sleep(0.0005)


SEGMENTER = Segmenter()
LINE_CACHE = 10_000
PLAN_CACHE = 2_000  # query texts whose plans are kept: a community searches the same names again and again


class Analyzer:
    """Turns documents into index tokens and user text into a ``Plan``; thread-safe."""

    def __init__(self, *, sound: bool = True, lines: int = LINE_CACHE) -> None:
        self.vocabulary = Vocabulary()
        # False: no sound field, no search by sound (the engine as it was, for the benchmark).
        self.sound = sound
        # Tokens of recently analysed lines (``lines`` of them at most, ``MEIJI_SEARCH_LINES_KEPT``).
        # A diary's document is all its entries: when one entry is added, only that entry's line is
        # new, so re-indexing the diary costs one entry's work while its other lines are still kept.
        self._lines: OrderedDict[str, tuple[str, str, str]] = OrderedDict()
        self._lines_kept = lines
        # Lines of documents taken from the kept tokens or analysed, for /metrics.
        self.lines = {"kept": 0, "analysed": 0}
        self._lines_lock = threading.Lock()
        self._generation = SEGMENTER.generation
        # Plans of recent query texts, for the vocabulary and dictionary they were made with.
        self._plans: Kept[tuple[str, bool], Plan | None] = Kept(PLAN_CACHE)
        self._plans_made_with: tuple[Vocabulary, int] = (self.vocabulary, SEGMENTER.generation)

    def set_terms(self, terms: Sequence[Term]) -> None:
        """Replace the alias groups and add the domain words (blocking: run it off the event loop)."""
        vocabulary = Vocabulary.of(terms)
        SEGMENTER.add(vocabulary.words())
        if self.sound:
            _pinyin.syllables()  # read pypinyin's syllables now (~0.1 s), not in the first pinyin search
        self.vocabulary = vocabulary

    def words(self, folded: str) -> list[str]:
        """jieba's search-mode words of folded text: CJK words of 2+ characters and latin/digit words."""
        # jieba's tokens are words, runs of punctuation or spaces: keep words, but no lone CJK character.
        return [token[:MAX_WORD] for token in SEGMENTER.cut_for_search(folded)
                if token.isalnum() and (len(token) > 1 or not _CJK.match(token))]

    def index_fields(self, doc: Document) -> tuple[str, str, str]:
        """``(grams, words, sound)`` of a document, each as space-separated tokens."""
        # A line break ends every run and every word, so a document's tokens are its lines' tokens.
        grams: list[str] = []
        words: list[str] = []
        sound: list[str] = []
        for line in fold(f"{doc.title}\n{doc.text}").split("\n"):
            line_grams, line_words, line_sound = self._line_tokens(line)
            if line_grams:
                grams.append(line_grams)
            if line_words:
                words.append(line_words)
            if line_sound:
                sound.append(line_sound)
        return " ".join(grams), " ".join(words), " ".join(sound)

    def _line_tokens(self, folded: str) -> tuple[str, str, str]:
        generation = SEGMENTER.generation
        with self._lines_lock:
            if self._generation != generation:
                self._lines.clear()  # words depend on the dictionary
                self._generation = generation
            found = self._lines.get(folded)
            if found is not None:
                self._lines.move_to_end(folded)
                self.lines["kept"] += 1
                return found
            self.lines["analysed"] += 1
        tokens = (" ".join(gram_tokens(folded)), " ".join(self.words(folded)),
                  " ".join(_pinyin.sound_tokens(folded)) if self.sound else "")
        with self._lines_lock:
            if self._generation != generation:
                return tokens  # words were added meanwhile: not worth keeping
            self._lines[folded] = tokens
            while len(self._lines) > self._lines_kept:
                self._lines.popitem(last=False)
        return tokens

    def plan(self, text: str, *, relaxed: bool = False) -> Plan | None:
        """What ``text`` asks for; None when it holds no letter, digit or character to look for.

        Each run of the query must occur (a name of the vocabulary may be replaced by any name
        of its group). ``relaxed``: each jieba word of the query must occur instead, for a
        second try when the whole runs find nothing.
        """
        vocabulary, generation = self._plans_made_with
        if vocabulary is not self.vocabulary or generation != SEGMENTER.generation:
            self._plans.clear()  # new names or dictionary words: every plan may change
            self._plans_made_with = (self.vocabulary, SEGMENTER.generation)
        kept = self._plans.get((text, relaxed))
        if kept is not MISSING:
            return kept
        return self._plans.put((text, relaxed), self._plan(text, relaxed))

    def _plan(self, text: str, relaxed: bool) -> Plan | None:
        query = _normal(text)
        if not query:
            return None
        clauses: list[Match] = []
        loose: list[Match] = []  # each clause, or its sound
        rest = query
        for member in sorted(self.vocabulary.groups, key=len, reverse=True):
            start = rest.find(member)
            while start >= 0 and not _bounded(rest, start, start + len(member)):
                start = rest.find(member, start + 1)
            if start < 0:
                continue
            group = self.vocabulary.groups[member]
            clauses.append(_any([_all(_subs(m)) for m in group]))
            loose.append(self._loosened(clauses[-1], [member]))
            rest = f"{rest[:start]} {rest[start + len(member):]}"
        for sub in _subs(rest) if rest.strip() else []:
            assert isinstance(sub, Sub)
            if relaxed and len(sub.text) > 2:
                words = [w for w in SEGMENTER.cut(sub.text) if len(w.strip()) > 1]
                clauses.extend(Sub(w) for w in words or [sub.text])
            else:
                clauses.append(sub)
                loose.append(self._loosened(sub, [sub.text]))
        if not clauses:
            return None
        match = _all(clauses)
        boosts = tuple(dict.fromkeys(self.words(query)))
        needles = tuple(sorted(set(needles_of(match)), key=len, reverse=True))
        if relaxed or not self.sound:
            return Plan(match, boosts, needles)
        loosened = _all(loose)
        found = runs(query)
        words = [run for run, is_words in found if is_words]
        if len(words) > 1 and all(is_words or set(run) <= {"'", "’"} for run, is_words in found):
            # Pinyin typed with spaces or apostrophes (shuang yan pi, xi'an): the runs also read as one.
            together = self._loosened(loosened, words)
            if together != loosened:
                loosened = together
        if loosened == match:
            return Plan(match, boosts, needles)
        sounds = tuple(sorted(set(sounds_of(loosened)), key=len, reverse=True))
        return Plan(match, boosts, needles, loosened, sounds)

    def _loosened(self, clause: Match, typed: Sequence[str]) -> Match:
        """``clause``, or what the runs ``typed`` (as the user wrote them) sound like, or a name of
        the vocabulary that reads so in any of its readings (chongjianshu: 重睑术, and its group)."""
        sound = _sound(typed)
        if sound is None:
            return clause
        options = [clause, sound]
        for said in sounds_of(sound):
            for member in self.vocabulary.spelled.get(said, ()):
                options.append(_any([_all(_subs(m)) for m in self.vocabulary.groups[member]]))
        return _any(options)

    def relaxable(self, text: str) -> bool:
        """Whether ``plan(text, relaxed=True)`` can differ: a run of three or more characters."""
        return any(is_words and len(run) > 2 for run, is_words in runs(fold(text)))


def _bounded(text: str, start: int, end: int) -> bool:
    """A latin name matches whole words only (``ok`` is not in ``look``); CJK names match anywhere."""
    def wordy(ch: str) -> bool:
        return ch.isalnum() and not _CJK.match(ch)

    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not ((wordy(before) and wordy(text[start])) or (wordy(after) and wordy(text[end - 1])))


# --- snippets --------------------------------------------------------------------------------

FOLD_CHARS = 4_000  # how much of a document is read by sound to place its snippet
FIRST_CHARS = 600  # read by sound first: the rest up to FOLD_CHARS only when nothing there reads so

def snippet(title: str, text: str, needles: Sequence[str], size: int = MAX_SNIPPET,
            sounds: Sequence[tuple[str, ...]] = ()) -> str:
    """A window of ``text`` around the first match, HTML-escaped, with matches in ``<em>``.

    When only the title matches, the snippet is the marked title followed by the start of the text.
    ``needles`` are folded strings, longest first (as ``Plan.needles``); ``sounds`` syllables
    (``Plan.sounds``), marked where the text reads them when no needle is found (a post found by sound).
    """
    if text.strip():
        marked, matched = _window(text, needles, size, sounds)
        if matched or not title.strip():
            return marked
        head, matched = _window(title, needles, size, sounds)
        if matched:
            rest, _ = _window(text, (), max(0, size - len(title)))
            return f"{head} · {rest}" if rest else head
        return marked
    return _window(title, needles, size, sounds)[0]


def _window(body: str, needles: Sequence[str], size: int,
            sounds: Sequence[tuple[str, ...]] = ()) -> tuple[str, bool]:
    """The marked, escaped window of ``body`` and whether it holds a match."""
    # Needles are folded; the text is not. Most text is simplified already: lower() (in C) finds
    # the needles. Otherwise each is looked for through a pattern of every character that folds to
    # its own (one character for one, so offsets are the text's), anywhere in the text, in C too.
    # A needle without cased letters (Chinese) is looked for in the text as written, without
    # lowering a whole diary first; one the text holds in no other form skips the pattern.
    whole = len(body)
    low = ""
    found = []
    for n in needles:
        if n and n.upper() == n:
            at = body.find(n)
        elif n:
            low = low or body.lower()
            at = low.find(n) if len(low) == whole else -1
        else:
            continue
        if at >= 0:
            found.append(at)
    patterns = [pattern(n) for n in needles if n]
    if not found:
        found = [m.start() for m in (pattern(n).search(body) for n in needles
                                     if n and (n.upper() != n or any(v in body for v in variants(n))))
                 if m is not None]
    if sounds:
        # Found by sound: mark what reads like the query too (双眼皮 for shuangyanpi or 双眼脾).
        # Only the start of a long document (a diary's 20,000 characters) is read so, and a match
        # past it shows the start.
        heard = _pinyin.spans(body[:FIRST_CHARS], *sounds)
        if not heard and len(body) > FIRST_CHARS:
            heard = _pinyin.spans(body[:FOLD_CHARS], *sounds)
        if heard:
            said = {fold(body[a:b]) for a, b in heard}
            patterns = [pattern(n) for n in sorted({*needles, *said}, key=len, reverse=True) if n]
            found = [*found, heard[0][0]]
    first = min(found, default=0)
    begin = max(0, min(first - size // 4, whole - size))
    end = min(whole, begin + size)
    window = body[begin:end]
    marks = [False] * len(window)
    spans: list[tuple[int, int]] = []
    for each in patterns:
        for match in each.finditer(window):
            at, stop = match.span()
            if stop > at and not any(marks[at:stop]):
                spans.append((at, stop))
                marks[at:stop] = [True] * (stop - at)
    # Mark with control characters (removed from the text first), escape once, then turn into tags.
    clean = _CONTROL.sub(" ", window)
    for at, stop in sorted(spans, reverse=True):
        clean = f"{clean[:at]}\x01{clean[at:stop]}\x02{clean[stop:]}"
    html_text = html.escape(clean, quote=False).replace("\x01", "<em>").replace("\x02", "</em>")
    return ("…" if begin > 0 else "") + html_text + ("…" if end < whole else ""), bool(spans)
