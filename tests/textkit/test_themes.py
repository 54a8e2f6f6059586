"""Theme taxonomy: loading, overriding, matching and per-theme sentiment."""

import json
from pathlib import Path

import pytest

from dangol.textkit import Taxonomy, TaxonomyError, analyze, default_taxonomy, themes

DEFAULT_NAMES = [
    "delivery",
    "price",
    "quality",
    "size",
    "colour",
    "packaging",
    "returns",
    "staff",
    "app",
    "store",
]


def _theme_map(text: str, taxonomy: Taxonomy | None = None) -> dict[str, str]:
    return {t.name: t.sentiment for t in themes(text, taxonomy)}


def test_default_taxonomy_has_the_ten_themes_with_both_languages() -> None:
    tax = default_taxonomy()
    assert tax.names == DEFAULT_NAMES
    for theme in tax.themes:
        assert theme.cues["ko"] and theme.cues["en"]
        assert theme.labels["ko"] and theme.labels["en"]


def test_taxonomy_round_trips_through_dict_and_json(tmp_path: Path) -> None:
    tax = default_taxonomy()
    again = Taxonomy.from_dict(tax.to_dict())
    assert again.to_dict() == tax.to_dict()
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(tax.to_dict(), ensure_ascii=False), "utf-8")
    assert Taxonomy.from_json(path).names == DEFAULT_NAMES


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "themes"),
        ({"themes": [{"labels": {}}]}, "themes[0].name"),
        ({"themes": [{"name": "a", "cues": {"ko": "배송"}}]}, "themes[0].cues.ko"),
        ({"themes": [{"name": "a"}, {"name": "a"}]}, "unique"),
    ],
)
def test_malformed_taxonomy_names_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(TaxonomyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Taxonomy.from_dict(data)


def test_invalid_json_reports_the_line() -> None:
    with pytest.raises(TaxonomyError, match="line 2"):
        Taxonomy.from_json('{\n"themes": [,]}')


def test_mixed_review_gets_a_sentiment_per_theme_korean() -> None:
    got = _theme_map("옷 품질은 정말 좋은데 배송이 너무 느려요")
    assert got == {"quality": "positive", "delivery": "negative"}


def test_mixed_review_gets_a_sentiment_per_theme_english() -> None:
    got = _theme_map("I love the quality but the delivery was terribly slow.")
    assert got == {"quality": "positive", "delivery": "negative"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("당일배송이라 좋았어요", "delivery"),
        ("가성비 최고", "price"),
        ("사이즈가 작아요", "size"),
        ("색감이 예뻐요", "colour"),
        ("포장이 꼼꼼해요", "packaging"),
        ("환불 처리가 늦어요", "returns"),
        ("고객센터 연결이 안 돼요", "staff"),
        ("앱이 자꾸 튕겨요", "app"),
        ("매장이 깨끗해요", "store"),
        ("The app keeps crashing", "app"),
        ("Runs small, order a size up", "size"),
        ("Customer service was helpful", "staff"),
    ],
)
def test_each_default_theme_is_found(text: str, name: str) -> None:
    assert name in _theme_map(text)


def test_cue_inside_a_word_does_not_match() -> None:
    # 색 (colour) must not fire inside 검색 (search).
    assert "colour" not in _theme_map("검색해서 찾았어요")


def test_business_taxonomy_overrides_the_default() -> None:
    cafe = Taxonomy.from_dict(
        {
            "themes": [
                {
                    "name": "coffee",
                    "labels": {"ko": "커피"},
                    "cues": {"ko": ["커피", "원두", "라떼"], "en": ["coffee", "latte"]},
                },
                {"name": "wait", "cues": {"ko": ["대기", "웨이팅"], "en": ["wait", "queue"]}},
            ]
        }
    )
    got = _theme_map("라떼는 맛있는데 웨이팅이 너무 길어요", cafe)
    assert got == {"coffee": "positive", "wait": "negative"}
    result = analyze("The latte was great", cafe)
    assert [t.name for t in result.themes] == ["coffee"]
