"""The analysis pipeline end to end, on good and bad input."""

import json
from pathlib import Path

import pytest

from dangol.textkit import analyze, analyze_many, iter_analyze, keywords, sentiment

DATA = Path(__file__).parent / "data"


def _load(name: str) -> list[tuple[str, str]]:
    lines = (DATA / name).read_text("utf-8").splitlines()[1:]
    return [(label, text) for label, text in (line.split("\t", 1) for line in lines)]


def _accuracy(rows: list[tuple[str, str]]) -> float:
    results = analyze_many([text for _, text in rows])
    hits = sum(
        (a.sentiment.score >= 0) == (label == "pos")
        for (label, _), a in zip(rows, results, strict=True)
    )
    return hits / len(rows)


def test_contract_fields_and_types() -> None:
    a = analyze("배송이 너무 늦어요. 김민수 고객님 010-1234-5678 로 연락 주세요")
    d = a.to_dict()
    assert d["lang"] == "ko"
    assert d["sentiment"]["label"] == "negative"
    assert -1.0 <= d["sentiment"]["score"] < 0
    assert {"name": "delivery", "sentiment": "negative"}.items() <= d["themes"][0].items()
    assert "배송" in d["keywords"]
    assert d["masked"] == "배송이 너무 늦어요. [NAME] 고객님 [PHONE] 로 연락 주세요"
    assert not any("민수" in k or "010" in k for k in d["keywords"])
    json.dumps(d, ensure_ascii=False)


def test_positive_korean_and_english() -> None:
    assert sentiment("배송 빠르고 옷도 너무 예뻐요 ㅎㅎ 재구매 의사 있어요").label == "positive"
    assert sentiment("Fast shipping and great quality, thank you!").label == "positive"
    assert sentiment("Terrible service, the food was cold.").label == "negative"


def test_negation_flips_sentiment() -> None:
    assert sentiment("품질이 좋아요").score > 0
    assert sentiment("품질이 좋지 않아요").score < 0
    assert sentiment("나쁘지 않아요 쓸 만해요").score > sentiment("나빠요 못 쓰겠어요").score


def test_keywords_korean_and_english() -> None:
    assert keywords("고객센터 상담원이 불친절했어요")[:2] == ["고객센터", "상담원"]
    assert "battery life" in keywords("The battery life is short")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ㅋㅋㅋㅋ",
        "ㅠㅠㅠ",
        "😊😊👍",
        "!!!???",
        "\x00\x01\x02\x7f",
        "12345",
        "\ufffd\ufffd",
        b"\xff\xfe\x00\x9c\x01".decode("utf-8", "surrogateescape"),
    ],
)
def test_no_content_gives_a_neutral_result(text: str) -> None:
    a = analyze(text)
    assert a.sentiment.label == "neutral" and a.sentiment.score == 0.0
    assert a.themes == () and a.keywords == ()
    json.dumps(a.to_dict(), ensure_ascii=False)


def test_binary_junk_and_mixed_scripts_do_not_crash() -> None:
    junk = bytes(range(256)).decode("latin-1") * 4
    mixed = "배송 fast 좋아요 配送 доставка 😊 ㅋㅋ café"
    for a in analyze_many([junk, mixed, "Très bien, livraison rapide"]):
        assert a.sentiment.label in {"positive", "neutral", "negative"}
        json.dumps(a.to_dict(), ensure_ascii=False)


def test_megabyte_text_is_analysed_truncated_and_fully_masked() -> None:
    text = ("배송이 빨라서 좋아요 010-1234-5678 " * 40000)[:1_000_000]
    a = analyze(text)
    assert a.truncated
    # Every phone number is masked, however far into the text it comes.
    assert a.masked.count("[PHONE]") >= 38000 and "010-1234-5678" not in a.masked
    assert a.sentiment.label == "positive"


def test_iter_analyze_streams_in_order() -> None:
    texts = ["좋아요", "Bad.", "", "최악이에요"] * 5
    labels = [a.sentiment.label for a in iter_analyze(iter(texts), batch_size=3)]
    assert labels[:4] == ["positive", "negative", "neutral", "negative"]
    assert len(labels) == 20


def test_korean_shopping_comments_accuracy() -> None:
    rows = _load("shopping_ko_eval.tsv")
    assert len(rows) >= 150
    assert _accuracy(rows) >= 0.85


def test_english_short_comments_accuracy() -> None:
    rows = _load("comments_en_eval.tsv")
    assert len(rows) >= 100
    assert _accuracy(rows) >= 0.85
