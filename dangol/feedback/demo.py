"""Demo feedback-hub items: reviews, app-store reviews, posts, chats and interview notes.

Built from the same phrase pool as the demo survey comments, with ratings that
follow each item's mood, some of them matched to demo customers; ``dangol demo``
stores them through the normal intake and analyses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.customers.models import Customer
from dangol.feedback.item_analysis import analyse_pending_items
from dangol.feedback.items import MAX_BATCH, receive_items
from dangol.surveys.demo import demo_comment

# (source, channel, language, share of items, rated)
CHANNELS = (
    ("review", "네이버 스마트스토어", "ko", 0.35, True),
    ("review", "쿠팡", "ko", 0.2, True),
    ("app_store", "Google Play", "ko", 0.1, True),
    ("app_store", "App Store", "en", 0.05, True),
    ("social", "Instagram", "ko", 0.1, False),
    ("conversation", "고객센터 채팅", "ko", 0.12, False),
    ("web_form", "문의하기", "en", 0.05, False),
    ("interview", "고객 인터뷰 2026-10", "ko", 0.03, False),
)


@dataclass
class FeedbackDemoResult:
    items: int
    analysed: int


def generate_feedback_demo(*, seed: int = 1, items: int = 300,
                           now: datetime | None = None) -> FeedbackDemoResult:
    """Store about ``items`` demo feedback items and analyse them."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed + 7)
    customer_ids = list(
        Customer.objects.order_by("pk").values_list("external_id", flat=True)[:2000]
    )
    shares = np.array([c[3] for c in CHANNELS])
    picks = rng.choice(len(CHANNELS), size=items, p=shares / shares.sum())
    rows = []
    for n, pick in enumerate(picks):
        source, channel, language, _share, rated = CHANNELS[int(pick)]
        mood = float(rng.beta(2.5, 1.5))
        row: dict[str, object] = {
            "source": source,
            "channel": channel,
            "external_id": f"demo-{n:05d}",
            "text": demo_comment(rng, language, mood),
            "occurred_at": (now - timedelta(days=float(rng.uniform(0, 90)))).isoformat(),
        }
        if rated:
            row["rating"] = int(np.clip(round(1 + 4 * mood + rng.normal(0, 0.6)), 1, 5))
            row["rating_scale"] = 5
        if customer_ids and rng.random() < 0.4:
            row["customer_id"] = customer_ids[int(rng.integers(len(customer_ids)))]
        if source == "interview":
            row["tags"] = ["인터뷰", "배송" if "배송" in str(row["text"]) else "일반"]
        rows.append(row)
    stored = 0
    for start in range(0, len(rows), MAX_BATCH):
        stored += receive_items(actor=SYSTEM, rows=rows[start : start + MAX_BATCH]).created_count
    return FeedbackDemoResult(items=stored, analysed=analyse_pending_items().analysed)
