"""Korean morpheme handling (Kiwi) and English token handling."""

from dangol.textkit import english, korean
from dangol.textkit.morph import get_kiwi, morphemes, morphemes_many


def _negated_forms(text: str) -> list[str]:
    ms = morphemes(text)
    return [m.form for m, f in zip(ms, korean.negated(ms), strict=True) if f]


def test_kiwi_is_loaded_once() -> None:
    assert get_kiwi() is get_kiwi()


def test_morphemes_many_lines_up_with_input_including_blanks() -> None:
    out = list(morphemes_many(["배송 빨라요", "", "   ", "좋아요"]))
    assert len(out) == 4
    assert out[1] == [] and out[2] == []
    assert out[0][0].form == "배송" and out[0][0].tag == "NNG"


def test_irregular_tags_are_reduced_to_base_tags() -> None:
    assert all("-" not in m.tag for m in morphemes("가볍고 무거워요 들었어요"))


def test_negation_before_and_after_the_predicate() -> None:
    assert _negated_forms("사이즈가 안 맞아요") == ["맞"]
    assert _negated_forms("품질이 좋지 않아요") == ["좋"]
    assert _negated_forms("못 먹겠어요") == ["먹"]
    assert _negated_forms("안 친절해요") == ["친절"]
    assert _negated_forms("배송이 빨라요") == []


def test_feature_keys_add_negated_variants() -> None:
    keys, bag = korean.feature_keys(morphemes("좋지 않아요"))
    assert keys[0] == "좋/VA"
    assert bag == ["~좋/VA"]


def test_clause_spans_split_at_contrast() -> None:
    ms = morphemes("옷은 예쁜데 배송이 너무 느려요")
    spans = korean.clause_spans(ms)
    assert len(spans) == 2
    first = ms[spans[0][0] : spans[0][1]]
    assert [m.form for m in first][:1] == ["옷"]


def test_clause_spans_do_not_split_before_auxiliary() -> None:
    ms = morphemes("사고 싶어요")
    assert len(korean.clause_spans(ms)) == 1


def test_noun_phrases_merge_written_together_nouns() -> None:
    text = "고객센터 연결이 안 되고 배송 지연도 심해요 ㅠㅠ"
    phrases = korean.noun_phrases(morphemes(text), text)
    assert "고객센터" in phrases
    assert "배송" in phrases and "지연" in phrases
    assert "ㅠㅠ" not in phrases


def test_noun_phrases_skip_placeholders_and_stop_nouns() -> None:
    text = "[PHONE] 으로 연락 주신 것 감사해요"
    phrases = korean.noun_phrases(morphemes(text), text)
    assert "PHONE" not in phrases and "phone" not in phrases and "것" not in phrases


def test_english_tokenize_negation_and_keywords() -> None:
    words = english.tokenize("The battery life isn't great, but the screen is sharp :)")
    forms = [w.form for w in words]
    assert "isnt" in forms and ":)" in forms
    flags = english.negated(words)
    assert flags[forms.index("great")]
    assert not flags[forms.index("screen")]
    assert english.keyword_phrases(words) == ["battery life", "screen", "sharp"]


def test_english_clauses_and_sentences() -> None:
    words = english.tokenize("Love the fit but shipping was slow")
    assert len(english.clause_spans(words)) == 2
    assert english.sentence_spans("One. Two! Three") == [(0, 4), (5, 9), (10, 15)]
