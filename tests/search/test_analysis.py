"""Folding, tokens, query plans and suggestions, without an index."""

from __future__ import annotations

from search._fold import fold
from search._pinyin import sound_tokens
from search.analyzer import Analyzer, AnyOf, Sub, gram_tokens, snippet
from search.suggestions import Suggester
from tests.search.conftest import VOCABULARY


def test_folding_is_one_character_for_one() -> None:
    text = "雙眼皮手術 ＴＨＥＲＭＡＧＥ　術後 İstanbul"

    folded = fold(text)

    assert folded == "双眼皮手术 thermage 术后 istanbul"
    assert len(folded) == len(text)


def test_tokens_are_bigrams_and_the_last_character_of_each_run() -> None:
    assert gram_tokens("割双眼皮，ok!") == ["割双", "双眼", "眼皮", "皮", "，", "ok", "k", "!"]


def test_queries_never_become_syntax() -> None:
    analyzer = Analyzer()

    plan = analyzer.plan('"质量" OR title:*')

    assert plan is not None
    assert {n for n in plan.needles} == {"质量", "or", "title"}
    assert analyzer.plan("   ") is None


def test_a_query_of_emoji_looks_for_the_emoji() -> None:
    plan = Analyzer().plan("😀")

    assert plan is not None and plan.match == Sub("😀")


def test_names_expand_to_their_group() -> None:
    analyzer = Analyzer()
    analyzer.set_terms(VOCABULARY)

    plan = analyzer.plan("热玛吉 价格")

    assert plan is not None
    first = plan.match.parts[0]  # type: ignore[union-attr]
    assert isinstance(first, AnyOf)
    assert {p.text for p in first.parts if isinstance(p, Sub)} == {"热玛吉", "thermage", "射频紧肤"}


def test_a_latin_alias_matches_whole_words_only() -> None:
    analyzer = Analyzer()
    analyzer.set_terms(VOCABULARY)

    plan = analyzer.plan("thermagex")

    assert plan is not None and plan.match == Sub("thermagex")


def test_snippets_escape_html_and_mark_matches() -> None:
    text = "前面很长的一段话。" * 10 + "医生说<b>不用担心</b>"

    html = snippet("", text, ["担心"])

    assert "<em>担心</em>" in html
    assert "&lt;b&gt;" in html
    assert html.startswith("…")


def test_a_match_in_the_title_only_is_shown_with_the_start_of_the_text() -> None:
    html = snippet("双眼皮拆线第七天", "眼睛还是肿得像核桃，有点担心。", ["双眼皮"])

    assert html.startswith("<em>双眼皮</em>拆线第七天 · 眼睛还是肿")


def test_suggestions_by_name_alias_pinyin_and_initials() -> None:
    suggester = Suggester(VOCABULARY)

    def texts(prefix: str) -> list[str]:
        return [s.text for s in suggester.suggest(prefix)]

    assert texts("双眼") == ["双眼皮", "双眼皮修复"]
    assert "双眼皮" in texts("sy")
    assert "双眼皮" in texts("shuangyanpi")
    assert texts("syp") == ["双眼皮", "双眼皮修复"]
    assert texts("therm") == ["Thermage"]
    assert "重睑术" in texts("cjs") and "重睑术" in texts("chongjian")  # 重 read chóng here, not zhòng
    assert texts("雙眼") == ["双眼皮", "双眼皮修复"]
    assert texts("SHUI") == ["水光针"]
    assert texts("，，") == []
    kinds = {s.text: s.type for s in suggester.suggest("双眼皮")}
    assert kinds == {"双眼皮": "procedure", "双眼皮修复": "wiki"}


def test_a_document_analysed_line_by_line_gives_the_same_tokens_as_whole() -> None:
    from datetime import UTC, datetime

    from search.interfaces import Document
    from tests.search.conftest import reviews

    analyzer = Analyzer()
    analyzer.set_terms(VOCABULARY)
    lines = reviews()[:300]
    doc = Document(type="diary", id="1", title="全切双眼皮 90 天真实记录", text="\n".join(lines),
                   created_at=datetime(2026, 11, 1, tzinfo=UTC))
    whole = fold(f"{doc.title}\n{doc.text}")
    expected = (" ".join(gram_tokens(whole)), " ".join(analyzer.words(whole)), " ".join(sound_tokens(whole)))
    assert analyzer.index_fields(doc) == expected
    # Again, from the lines already seen, with one new entry added at the end.
    longer = Document(type="diary", id="1", title=doc.title, text=doc.text + "\n第91天：玻尿酸也打完了",
                      created_at=doc.created_at)
    whole = fold(f"{longer.title}\n{longer.text}")
    assert analyzer.index_fields(longer) == (" ".join(gram_tokens(whole)), " ".join(analyzer.words(whole)),
                                             " ".join(sound_tokens(whole)))


def test_new_dictionary_words_reach_lines_analysed_before() -> None:
    from datetime import UTC, datetime

    from search.interfaces import Document, Term

    analyzer = Analyzer()
    # The segmenter is one per process: this word is added by this test alone.
    doc = Document(type="diary", id="2", title="日记", text="今天去做了黄金微针祛痘印",
                   created_at=datetime(2026, 11, 1, tzinfo=UTC))
    other = Analyzer()
    assert "黄金微针" not in analyzer.index_fields(doc)[1].split()
    assert "黄金微针" not in other.index_fields(doc)[1].split()
    analyzer.set_terms([Term("黄金微针", "procedure", ())])
    assert "黄金微针" in analyzer.index_fields(doc)[1].split()
    # Another analyzer that cached the line before sees the word too.
    assert "黄金微针" in other.index_fields(doc)[1].split()


def test_words_are_added_while_another_thread_cuts() -> None:
    import threading

    from search.analyzer import SEGMENTER

    text = "做完童颜针第三天，脸有点肿，医生说一周后就自然了。" * 20_000
    stop = threading.Event()
    cuts: list[int] = []

    def cut() -> None:
        while not stop.is_set():
            cuts.append(len(SEGMENTER.cut_for_search(text)))

    worker = threading.Thread(target=cut)
    worker.start()
    try:
        while not cuts:  # the first long cut is under way or done: adding must wait, not fail
            SEGMENTER.cut("等一等")
        assert SEGMENTER.add(["童颜针", "脸有点肿"]) is True
    finally:
        stop.set()
        worker.join()
    assert "童颜针" in SEGMENTER.cut("做完童颜针第三天")


def test_typed_pinyin_is_cut_into_syllables_however_it_is_written() -> None:
    from search._pinyin import spoken, typed

    expected = [("shuang", "yan", "pi")]
    for text in ("shuangyanpi", "shuang1yan3pi2", "shuāngyǎnpí", "SHUANGYANPI", "shuangyan皮"):
        assert spoken(fold(text)) == expected, text
    assert typed("fangan") == [("fan", "gan"), ("fang", "an")]  # both ways are tried
    assert typed("lyu") == typed("lü") == typed("lv") == [("lv",)]
    assert typed("thermage") == [] and typed("3d") == []


def test_a_query_that_sounds_like_a_word_may_also_match_by_sound() -> None:
    from search.analyzer import Sound

    analyzer = Analyzer()
    analyzer.set_terms(VOCABULARY)

    typo = analyzer.plan("双眼脾")
    spaced = analyzer.plan("shuang yan pi")
    single = analyzer.plan("皮")

    # 双眼脾 reads like the name 双眼皮: its group joins what may match by sound.
    eyelid = AnyOf((Sub("双眼皮"), Sub("重睑术"), Sub("割双眼皮")))
    assert typo is not None and typo.match == Sub("双眼脾")
    assert typo.loose == AnyOf((Sub("双眼脾"), Sound(("shuang", "yan", "pi")), eyelid))
    by_sound = typo.by_sound()
    assert by_sound is not None and by_sound.match == AnyOf((Sound(("shuang", "yan", "pi")), eyelid))
    assert by_sound.exclude == typo.match
    # Any reading of a name's characters finds it: 重 is chong in 重睑术 (zhong elsewhere).
    heteronym = analyzer.plan("chongjianshu")
    assert heteronym is not None and eyelid in heteronym.loose.parts  # type: ignore[union-attr]
    assert spaced is not None and Sound(("shuang", "yan", "pi")) in spaced.loose.parts  # type: ignore[union-attr]
    assert single is not None and single.loose is None  # one character: too many words sound like it
    assert Analyzer(sound=False).plan("双眼脾").loose is None  # type: ignore[union-attr]


def test_a_snippet_found_by_sound_marks_what_was_read() -> None:
    marked = snippet("", "朋友在这家做的双眼脾，价格不贵。", ("shuangyanpi",), sounds=[("shuang", "yan", "pi")])

    assert marked == "朋友在这家做的<em>双眼脾</em>，价格不贵。"


def test_snippets_of_a_long_diary_find_an_exact_match_anywhere_and_read_its_start_by_sound() -> None:
    day = "今天去复查，医生说恢复得不错，消肿比预期快。"
    diary_text = day * 900  # about 20,000 characters, as a diary's document holds at most
    late = diary_text + "最后一次复诊，双眼皮的疤痕基本看不出来了。"

    exact = snippet("", late, ("双眼皮",))
    assert "<em>双眼皮</em>" in exact and exact.startswith("…") and not exact.endswith("…")
    # In traditional characters or full-width letters too, anywhere, each marked as written.
    written = snippet("", diary_text + "最後一次複診，雙眼皮和ＡＣＥ的疤痕都看不出來了。", ("双眼皮", "ace"))
    assert "<em>雙眼皮</em>" in written and "<em>ＡＣＥ</em>" in written and written.startswith("…")

    heard = snippet("", "朋友在这家做的双眼脾。" + diary_text, ("shuangyanpi",), sounds=[("shuang", "yan", "pi")])
    assert heard.startswith("朋友在这家做的<em>双眼脾</em>") and heard.endswith("…")
    # Past the start, what only sounds like the query is not looked for: the snippet shows the start.
    unheard = snippet("", diary_text + "朋友在这家做的双眼脾。", ("shuangyanpi",), sounds=[("shuang", "yan", "pi")])
    assert unheard.startswith(day) and "<em>" not in unheard


def test_a_snippet_found_by_sound_reads_past_the_first_lines_and_traditional_forms() -> None:
    day = "今天去复查，医生说恢复得不错，消肿比预期快。"
    # 40 days (880 characters) before it: past the first reading, within the 4,000 read by sound.
    heard = snippet("", day * 40 + "朋友在台北做的雙眼脾，價格不貴。" + day * 10, ("shuangyanpi",),
                    sounds=[("shuang", "yan", "pi")])
    assert "<em>雙眼脾</em>" in heard and heard.startswith("…") and heard.endswith("…")
    # Letters of other alphabets read as nothing, whatever their code (Ā, ǎ): no mark.
    assert "<em>" not in snippet("", "ĀāǍǎ" * 50, ("yi",), sounds=[("yi",)])


def test_what_a_text_reads_is_found_at_every_place_overlapping_ones_too() -> None:
    from search import _pinyin

    assert _pinyin.spans("我的雙眼皮和双眼脾", ("shuang", "yan", "pi")) == [(2, 5), (6, 9)]
    assert _pinyin.spans("一一一", ("yi", "yi")) == [(0, 2), (1, 3)]
    assert _pinyin.spans("医生一生", ("yi", "sheng"), ("yi", "sheng")) == [(0, 2), (2, 4)]
    assert _pinyin.spans("医生", ("notasyllable",)) == []
