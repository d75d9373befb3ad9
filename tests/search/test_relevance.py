"""What people find, on Chinese reviews, with tantivy (every review) and Whoosh (a sample)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any, TypeVar

from search._fold import fold
from search.interfaces import Document, Query, Results
from tests.corpus import need_shared
from tests.search.conftest import Built

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def find(built: Built, text: str, **options: Any) -> Results:
    options.setdefault("limit", 100_000)
    return run(built.index.search(Query(text, **options)))


def ids(results: Results) -> set[str]:
    return {h.id for h in results.hits}


def exact(results: Results) -> set[str]:
    """The hits that contain the query (those found only by sound come after them)."""
    return {h.id for h in results.hits if h.match == "exact"}


def containing(docs: list[Document], needle: str) -> set[str]:
    return {d.id for d in docs if needle in fold(f"{d.title}\n{d.text}")}


def test_every_review_containing_quality_is_found_by_it(built: Built) -> None:
    expected = containing(built.docs, "质量")
    assert len(expected) >= 5

    found = find(built, "质量")

    # Every review that says 质量 comes first, then those that only sound like it (zhi liang).
    assert {h.id for h in found.hits[:len(expected)]} == expected
    assert exact(found) == expected
    heard = found.hits[len(expected):]
    assert all(h.match == "sound" and "质量" not in fold(h.snippet) for h in heard)
    assert found.total == len(found.hits)


def test_two_to_four_character_substrings_find_their_review(built: Built) -> None:
    rng = random.Random(2024)
    reviews = [d for d in built.docs if d.type == "review" and len(d.text) >= 4]
    sample = rng.sample(reviews, min(200, len(reviews)))
    assert len(sample) >= 100
    hits = 0
    for doc in sample:
        size = rng.randint(2, 4)
        start = rng.randrange(len(doc.text) - size + 1)
        if doc.id in ids(find(built, doc.text[start:start + size])):
            hits += 1

    assert hits / len(sample) >= 0.95


def test_a_word_inside_a_longer_word_is_found(built: Built) -> None:
    # 割双眼皮 is found by 双眼皮 and by 眼皮.
    assert "eyelid" in ids(find(built, "双眼皮"))
    assert "eyelid" in ids(find(built, "眼皮"))


def test_a_dictionary_word_stays_whole(built: Built) -> None:
    found = ids(find(built, "玻尿酸"))

    assert "filler" in found
    assert "uric" not in found  # says 尿酸, not 玻尿酸


def test_aliases_find_each_other(built: Built) -> None:
    thermage = ids(find(built, "热玛吉"))
    assert {"thermage", "rf", "fullwidth"} <= thermage
    assert "eyelid" in ids(find(built, "重睑术"))
    assert "rf" in ids(find(built, "Thermage"))


def test_traditional_full_width_and_case_fold(built: Built) -> None:
    assert "eyelid_tw" in ids(find(built, "双眼皮"))
    assert "eyelid" in ids(find(built, "雙眼皮"))
    assert "fullwidth" in ids(find(built, "thermage"))
    assert "thermage" in ids(find(built, "ＴＨＥＲＭＡＧＥ"))


def test_operators_quotes_wildcards_sql_and_emoji_are_plain_text(built: Built) -> None:
    for text in ['"质量" OR 1=1', "质量*", "'; DROP TABLE search_document; --", "😀😀", "a\\b(", "NOT 质量",
                 "质量 AND", "title:质量", "[质量 TO 价格]", "~", "*", "?", ".*", "(", '"']:
        found = find(built, text, limit=5)
        assert found.total >= len(found.hits)
    # A quoted word finds what the word finds: quotes are not syntax.
    assert ids(find(built, '"质量"')) == ids(find(built, "质量"))


def test_several_words_must_all_occur(built: Built) -> None:
    expected = containing(built.docs, "质量") & containing(built.docs, "价格")
    assert expected

    assert ids(find(built, "质量 价格")) == expected


def test_a_long_query_falls_back_to_its_words(built: Built) -> None:
    # No review says 价格和质量都 as such; its words 价格 and 质量 occur together in some.
    assert not containing(built.docs, "价格和质量都")

    found = find(built, "价格和质量都")

    assert ids(found) == containing(built.docs, "质量") & containing(built.docs, "价格")


def test_snippets_mark_matches_and_escape_the_rest(built: Built) -> None:
    hit = next(h for h in find(built, "担心").hits if h.id == "html")

    assert "<em>担心</em>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet


def test_filters_by_type_procedure_and_clinic(built: Built) -> None:
    diaries = find(built, "医生", types=("diary",))
    assert diaries.hits and all(h.type == "diary" for h in diaries.hits)
    assert not find(built, "医生", types=("wiki", "answer")).hits

    by_procedure = find(built, "质量", procedure="双眼皮")
    expected = {d.id for d in built.docs if d.procedure == "双眼皮"} & containing(built.docs, "质量")
    assert ids(by_procedure) == expected

    by_clinic = find(built, "质量", clinic_id="3")
    assert ids(by_clinic) == {d.id for d in built.docs if d.clinic_id == "3"} & containing(built.docs, "质量")


def test_recent_sort_is_newest_first(built: Built) -> None:
    hits = find(built, "质量", sort="recent", limit=30).hits

    assert [h.created_at for h in hits] == sorted((h.created_at for h in hits), reverse=True)


def test_pages_do_not_repeat_or_skip(built: Built) -> None:
    everything = [h.id for h in find(built, "质量", limit=60).hits]

    paged: list[str] = []
    for offset in range(0, 60, 20):
        paged.extend(h.id for h in find(built, "质量", limit=20, offset=offset).hits)

    assert paged == everything


def test_a_single_character_finds_it_anywhere_in_a_run(built: Built) -> None:
    expected = containing(built.docs, "肿")

    assert ids(find(built, "肿")) == expected


def test_the_full_shared_review_corpus_is_searched(built: Built) -> None:
    need_shared("zh")
    reviews = [d for d in built.docs if d.type == "review"]
    if built.kind == "tantivy":
        assert len(reviews) > 17_000
    # Among thousands of real shopping reviews, 质量 is everywhere: every one is found, none else
    # (but after them, those that sound like it).
    expected = containing(built.docs, "质量")
    assert len(expected) >= (100 if built.kind == "tantivy" else 5)
    assert exact(find(built, "质量")) == expected


def test_hits_carry_no_author() -> None:
    assert not {"author", "author_id", "handle", "anonymous"} & set(Document.__dataclass_fields__)


def test_random_user_text_never_fails(built: Built) -> None:
    rng = random.Random(99)
    alphabet = "".join({ch for d in built.docs[:300] for ch in d.text}) + "\"'*?~^:()[]{}!+-&|\\/ 😀\u200b\t"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        found = find(built, text, limit=3)
        assert len(found.hits) <= 3
