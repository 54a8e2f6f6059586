"""Ready-made questions a new survey starts from (the builder edits them freely)."""

from typing import Any

STARTERS: dict[str, dict[str, Any]] = {
    "nps": {"questions": [
        {"key": "nps", "type": "nps",
         "text": {"ko": "저희를 친구나 동료에게 추천할 가능성은 얼마나 되나요?",
                  "en": "How likely are you to recommend us to a friend or colleague?"}},
        {"key": "why_low", "type": "text", "required": False,
         "text": {"ko": "어떤 점이 아쉬우셨나요?", "en": "What went wrong?"},
         "show_if": [{"question": "nps", "op": "lte", "value": 6}]},
        {"key": "comment", "type": "text", "required": False,
         "text": {"ko": "더 하고 싶은 말씀이 있으신가요?",
                  "en": "Anything else you would like to tell us?"}},
    ]},
    "csat": {"questions": [
        {"key": "csat", "type": "csat",
         "text": {"ko": "이번 구매에 얼마나 만족하셨나요?",
                  "en": "How satisfied are you with your purchase?"}},
        {"key": "comment", "type": "text", "required": False,
         "text": {"ko": "이유를 알려 주세요.", "en": "Tell us why."}},
    ]},
    "ces": {"questions": [
        {"key": "ces", "type": "ces",
         "text": {"ko": "문제를 해결하기가 얼마나 쉬웠나요?",
                  "en": "How easy was it to get your issue resolved?"}},
        {"key": "comment", "type": "text", "required": False,
         "text": {"ko": "이유를 알려 주세요.", "en": "Tell us why."}},
    ]},
    "custom": {"questions": []},
}


def starter(kind: str, languages: list[str]) -> dict[str, Any]:
    """The starter questions of ``kind``, keeping only the survey's languages."""
    document = STARTERS.get(kind, STARTERS["custom"])
    questions = []
    for question in document["questions"]:
        copy = dict(question)
        copy["text"] = {k: v for k, v in question["text"].items() if k in languages}
        questions.append(copy)
    return {"questions": questions}
