"""Demo surveys: a relationship NPS survey and a post-purchase CSAT survey with answers.

Scores follow the customers' behaviour (frequent buyers recommend more), and
comments are built from Korean and English phrases about delivery, price,
quality, size, packaging, returns, staff and the app, so the text analytics
have something real-looking to find. The same seed gives the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.customers.models import Customer
from dangol.surveys.definition import Definition
from dangol.surveys.models import Answer, Response, Survey
from dangol.surveys.services.responses import answer_rows, drop_hidden
from dangol.surveys.services.surveys import create_survey
from dangol.surveys.starters import starter

PHRASES: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    # theme: {language: (positive phrases, negative phrases)}
    "delivery": {
        "ko": (["배송이 정말 빨라요", "주문 다음 날 바로 받았어요", "배송 기사님이 친절하셨어요"],
               ["배송이 너무 늦어요", "배송이 일주일이나 걸렸어요", "택배가 엉뚱한 곳에 왔어요"]),
        "en": (["Delivery was really fast", "Arrived the next day"],
               ["Delivery took far too long", "The parcel was left at the wrong door"]),
    },
    "price": {
        "ko": (["가격이 착해요", "이 가격에 이 품질이면 만족합니다"],
               ["가격이 너무 비싸요", "할인이 거의 없어서 아쉬워요"]),
        "en": (["Great value for the price"], ["Too expensive for what you get"]),
    },
    "quality": {
        "ko": (["품질이 정말 좋아요", "마감이 꼼꼼하고 튼튼해요", "원단이 부드럽고 좋아요"],
               ["품질이 기대 이하예요", "한 번 빨았더니 보풀이 생겼어요", "실밥이 풀려 있었어요"]),
        "en": (["The quality is excellent", "Well made and sturdy"],
               ["Quality is poor", "It broke after a week"]),
    },
    "size": {
        "ko": (["사이즈가 딱 맞아요", "정사이즈로 잘 맞아요"],
               ["사이즈가 너무 작아요", "치수가 안내와 달라요"]),
        "en": (["The size fits perfectly"], ["Runs small, the size is wrong"]),
    },
    "packaging": {
        "ko": (["포장이 꼼꼼해서 좋았어요"], ["포장이 찢어져서 왔어요", "상자가 찌그러져 왔어요"]),
        "en": (["Nicely packaged"], ["The box arrived crushed"]),
    },
    "returns": {
        "ko": (["교환이 빠르게 처리됐어요"], ["환불이 너무 오래 걸려요", "반품 절차가 복잡해요"]),
        "en": (["The exchange was quick"], ["The refund is taking forever"]),
    },
    "staff": {
        "ko": (["상담원분이 친절하게 해결해 주셨어요", "매장 직원분이 친절해요"],
               ["고객센터 연결이 안 돼요", "상담원이 불친절했어요"]),
        "en": (["Support staff were very helpful"], ["Customer service never answered"]),
    },
    "app": {
        "ko": (["앱이 편하고 빨라요"], ["앱이 자꾸 멈춰요", "결제 페이지에서 오류가 나요"]),
        "en": (["The app is easy to use"], ["The app keeps crashing at checkout"]),
    },
}

CSAT_TEXTS = {
    "title": {"ko": "구매 만족도 조사", "en": "How was your order?"},
}


@dataclass
class SurveyDemoResult:
    surveys: int
    responses: int


def demo_comment(rng: np.random.Generator, language: str, mood: float) -> str:
    """One or two phrases; ``mood`` in [0, 1] is the chance that each phrase is positive."""
    themes = list(PHRASES)
    picked = rng.choice(len(themes), size=int(rng.integers(1, 3)), replace=False)
    parts = []
    for index in picked:
        positive, negative = PHRASES[themes[index]][language]
        pool = positive if rng.random() < mood else negative
        parts.append(str(pool[int(rng.integers(len(pool)))]))
    joiner = " 그리고 " if language == "ko" else ". "
    text = joiner.join(parts)
    if language == "ko" and rng.random() < 0.2:
        text += " ㅠㅠ" if mood < 0.5 else " ^^"
    return text


def generate_survey_demo(*, seed: int = 1, responses: int = 3000,
                         now: datetime | None = None) -> SurveyDemoResult:
    """Create the two demo surveys and about ``responses`` completed responses."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed + 101)
    nps = create_survey(actor=SYSTEM, name="관계 NPS 조사 / Relationship NPS", kind="nps",
                        title={"ko": "단골 고객 만족도 조사", "en": "Customer satisfaction survey"},
                        definition=starter("nps", ["ko", "en"]), publish=True,
                        thank_you={"ko": "소중한 의견 감사합니다!",
                                   "en": "Thank you for your feedback!"})
    csat = create_survey(actor=SYSTEM, name="구매 후 CSAT / Post-purchase CSAT", kind="csat",
                         title=CSAT_TEXTS["title"], definition=starter("csat", ["ko", "en"]),
                         publish=True, one_per_page=False)
    customers = list(
        Customer.objects.annotate(orders_n=Count("orders"), last=Max("orders__ordered_at"))
        .filter(orders_n__gt=0).values_list("pk", "language", "orders_n", "last"))
    if not customers:
        return SurveyDemoResult(2, 0)
    made = 0
    with transaction.atomic():
        for survey, share in ((nps, 0.6), (csat, 0.4)):
            count = int(responses * share)
            made += _answer(survey, customers, count, rng, now)
    return SurveyDemoResult(2, made)


def _answer(survey: Survey, customers: list[tuple[int, str, int, datetime]], count: int,
            rng: np.random.Generator, now: datetime) -> int:
    definition = Definition.model_validate(survey.current_version.definition)  # type: ignore[union-attr]
    picks = rng.choice(len(customers), size=min(count, len(customers)), replace=False)
    made: list[Response] = []
    for index in picks:
        pk, language, orders_n, last = customers[int(index)]
        language = language if language in ("ko", "en") else "ko"
        loyalty = min(orders_n / 6, 1.0)
        completed = min(last + timedelta(days=float(rng.uniform(2, 20))), now) \
            if survey.kind == "csat" else now - timedelta(days=float(rng.uniform(0, 365)))
        if survey.kind == "nps":
            score = int(np.clip(np.round(rng.normal(6.2 + 3.2 * loyalty, 2.2)), 0, 10))
            mood = score / 10
            answers: dict[str, object] = {"nps": score}
            if score <= 6 and rng.random() < 0.7:
                answers["why_low"] = demo_comment(rng, language, mood * 0.5)
            if rng.random() < 0.45:
                answers["comment"] = demo_comment(rng, language, mood)
        else:
            score = int(np.clip(np.round(rng.normal(3.6 + 1.0 * loyalty, 0.9)), 1, 5))
            answers = {"csat": score}
            if rng.random() < 0.55:
                answers["comment"] = demo_comment(rng, language, (score - 1) / 4)
        made.append(Response(
            survey=survey, version=survey.current_version, customer_id=pk, language=language,
            channel=str(rng.choice(["email", "sms", "link", "kakao"], p=[.5, .2, .2, .1])),
            status=Response.Status.COMPLETED, answers=drop_hidden(definition, answers),
            completed_at=completed))
    Response.objects.bulk_create(made, batch_size=1000)
    rows: list[Answer] = []
    for response in made:
        rows += answer_rows(response, definition)
    Answer.objects.bulk_create(rows, batch_size=2000)
    Survey.objects.filter(pk=survey.pk).update(completed_count=len(made))
    return len(made)
