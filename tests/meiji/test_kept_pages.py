"""``kernel.web.kept.KeptPages``: what a process keeps of list answers, and when it lets them go."""

from __future__ import annotations

from kernel.web.kept import KEPT_BYTES, KeptPages

PAGE = '{"items": [{"title": "全切双眼皮第7天，终于消肿了"}], "next_cursor": null}'.encode()


def test_a_page_is_given_again_only_at_the_state_it_was_computed_from() -> None:
    pages = KeptPages(4)
    assert pages.get("diaries", (1, 7)) is None  # first asked: computed
    pages.put("diaries", (1, 7), PAGE)
    assert pages.get("diaries", (1, 7)) == PAGE
    assert pages.get("diaries", (1, 8)) is None  # a commit since: computed again
    pages.put("diaries", (1, 7), PAGE)  # finished after the commit: not kept under the old state
    assert pages.get("diaries", (1, 8)) is None
    assert pages.get("diaries", None) is None  # a database that cannot tell keeps nothing
    assert pages.outcomes == {"kept": 1, "computed": 3}


def test_full_by_count_or_by_bytes_drops_them_all() -> None:
    pages = KeptPages(2)
    mark = (1, 1)
    pages.get("a", mark)
    pages.put("a", mark, PAGE)
    pages.put("b", mark, PAGE)
    pages.put("c", mark, PAGE)  # a third page: the two before go
    assert pages.get("a", mark) is None and pages.get("b", mark) is None and pages.get("c", mark) == PAGE

    roomy = KeptPages(256)
    half = b"x" * (KEPT_BYTES // 2)
    roomy.get("first", mark)
    roomy.put("first", mark, half)
    roomy.put("second", mark, half)
    assert roomy.get("first", mark) == half
    roomy.put("third", mark, half)  # past the byte budget: the others go
    assert roomy.get("first", mark) is None and roomy.get("third", mark) == half


def test_none_kept_when_the_operator_says_so() -> None:
    pages = KeptPages(0)
    pages.put("diaries", (1, 1), PAGE)
    assert pages.get("diaries", (1, 1)) is None and pages.outcomes == {}
