"""Language identification, clean-up and sentence splitting."""

import pytest

from dangol.textkit import clean_text, detect_language, split_sentences
from dangol.textkit.lang import has_content, sanitize


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("배송이 너무 느려요", "ko"),
        ("배송 fast 좋아요", "ko"),
        ("ㅋㅋㅋㅋ", "ko"),
        ("Galaxy S24 케이스 튼튼해요", "ko"),
        ("Fast delivery, great quality", "en"),
        ("The staff was rude", "en"),
        ("ok", "en"),
        ("Muy bueno el producto, pero la entrega fue lenta", "other"),
        ("C'est très bien et pas cher", "other"),
        ("配送が遅いです", "other"),
        ("质量很好", "other"),
        ("Отличный товар", "other"),
        ("", "other"),
        ("😊👍", "other"),
        ("12345 !!!", "other"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_clean_text_collapses_repeats_whitespace_and_controls() -> None:
    assert clean_text("좋아요ㅋㅋㅋㅋㅋ!!!!  \t 배송\x00빨라요") == "좋아요ㅋㅋ!! 배송 빨라요"


def test_clean_text_keeps_digit_runs() -> None:
    assert clean_text("1000000원") == "1000000원"


def test_sanitize_replaces_lone_surrogates() -> None:
    broken = b"ab\xffcd".decode("utf-8", "surrogateescape")
    assert sanitize(broken) == "ab?cd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ㅋㅋㅋㅋ", False), ("😊😊", False), ("...", False), ("좋아", True), ("ok", True)],
)
def test_has_content(text: str, expected: bool) -> None:
    assert has_content(text) is expected


def test_split_sentences_korean_without_punctuation() -> None:
    assert split_sentences("배송이 빨라요 옷도 너무 예뻐요 ㅎㅎ 재구매할게요") == [
        "배송이 빨라요",
        "옷도 너무 예뻐요 ㅎㅎ",
        "재구매할게요",
    ]


def test_split_sentences_english_and_lines() -> None:
    assert split_sentences("Great fit. Shipping was slow!\nWould buy again") == [
        "Great fit.",
        "Shipping was slow!",
        "Would buy again",
    ]


def test_split_sentences_empty() -> None:
    assert split_sentences("  \n ") == []
