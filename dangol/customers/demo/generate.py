"""A realistic demo shop: customers, products and two years of orders.

Customers buy as the BG/NBD model describes: while "alive", each buys at their
own Poisson rate (gamma-distributed across customers) and after each purchase
drops out with their own probability (beta-distributed); order times follow the
seasons of a Korean shop. The same seed on the same day gives the same shop.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from faker import Faker

from dangol.accounts.actors import SYSTEM
from dangol.customers.demo.catalogue import CHANNELS, MONTH_WEIGHTS, PRODUCTS, REGIONS, STORES
from dangol.customers.services import (
    bulk_upsert_customers,
    bulk_upsert_orders,
    bulk_upsert_products,
)

# Purchase process parameters (per week), close to those published for
# CDNOW-like retail: most customers buy rarely, a few buy often.
RATE_SHAPE, RATE_SCALE = 0.9, 1 / 9.0
DROPOUT_A, DROPOUT_B = 0.8, 4.0
HISTORY_DAYS = 730
BATCH = 1000


@dataclass
class DemoResult:
    customers: int
    products: int
    orders: int


def _korean_phone(rng: np.random.Generator) -> str:
    return f"010-{rng.integers(2000, 9999)}-{rng.integers(0, 9999):04d}"


def _customers(rng: np.random.Generator, count: int, now: datetime) -> list[dict[str, Any]]:
    fake_ko, fake_en = Faker("ko_KR"), Faker("en_US")
    fake_ko.seed_instance(int(rng.integers(1 << 31)))
    fake_en.seed_instance(int(rng.integers(1 << 31)))
    regions, weights = zip(*REGIONS, strict=True)
    region_p = np.array(weights) / sum(weights)
    rows = []
    for number in range(1, count + 1):
        english = rng.random() < 0.08
        female = rng.random() < 0.58
        fake = fake_en if english else fake_ko
        name = fake.name_female() if female else fake.name_male()
        age = int(np.clip(rng.normal(38, 11), 18, 79))
        birthday = (now - timedelta(days=age * 365 + int(rng.integers(0, 365)))).date()
        joined = now - timedelta(days=float(rng.uniform(0, HISTORY_DAYS)))
        consent = rng.random() < 0.62
        rows.append({
            "external_id": f"C{number:07d}",
            "name": name,
            "email": f"user{number}.{fake_en.user_name()}@example.com",
            "phone": _korean_phone(rng) if not english or rng.random() < 0.4 else "",
            "birthday": birthday,
            "gender": "female" if female else "male",
            "region": "" if english and rng.random() < 0.5 else str(rng.choice(regions,
                                                                                p=region_p)),
            "language": "en" if english else "ko",
            "joined_at": joined,
            "consents": [
                {"channel": "email", "purpose": "ad", "granted": consent, "at": joined,
                 "source": "signup"},
                {"channel": "sms", "purpose": "ad", "granted": consent and rng.random() < 0.8,
                 "night": rng.random() < 0.1, "at": joined, "source": "signup"},
            ],
        })
    return rows


def _order_times(rng: np.random.Generator, joined: datetime, now: datetime) -> list[datetime]:
    """Purchase times of one customer from joining until now or until they drop out."""
    rate = rng.gamma(RATE_SHAPE, RATE_SCALE)  # purchases per week while alive
    dropout = rng.beta(DROPOUT_A, DROPOUT_B)
    weeks_left = (now - joined).total_seconds() / (7 * 86400)
    times, t = [0.0], 0.0  # the first purchase comes with joining
    while True:
        if rng.random() < dropout:
            break
        t += rng.exponential(1 / max(rate, 1e-6))
        if t >= weeks_left:
            break
        times.append(t)
    result = []
    for week in times:
        at = joined + timedelta(weeks=week)
        # Thinning by month keeps the seasonal shape without changing the order.
        if rng.random() < MONTH_WEIGHTS[at.month - 1] / max(MONTH_WEIGHTS):
            result.append(at)
    return result or [joined]


def _lines(rng: np.random.Generator, products: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    count = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
    picks = rng.choice(len(products), size=count, replace=False)
    return [{"product_id": f"P{int(i) + 1:04d}", "quantity": int(rng.choice([1, 1, 1, 2, 3])),
             "unit_price": products[int(i)][2]} for i in picks]


def generate_demo(*, customers: int, seed: int) -> DemoResult:
    """Create the demo shop through the normal services (so it obeys every rule)."""
    rng = np.random.default_rng(seed)
    now = timezone.now()
    bulk_upsert_products(actor=SYSTEM, audit_each=False, rows=[
        {"external_id": f"P{i:04d}", "name": name, "category": category, "price": price}
        for i, (category, name, price) in enumerate(PRODUCTS, start=1)
    ])
    people = _customers(rng, customers, now)
    for start in range(0, len(people), BATCH):
        bulk_upsert_customers(actor=SYSTEM, rows=people[start:start + BATCH], audit_each=False)
    channels, channel_w = zip(*CHANNELS, strict=True)
    order_count = 0
    batch: list[dict[str, Any]] = []
    for person in people:
        for at in _order_times(rng, person["joined_at"], now):
            channel = str(rng.choice(channels, p=channel_w))
            order_count += 1
            batch.append({
                "external_id": f"O{order_count:08d}",
                "customer_id": person["external_id"],
                "ordered_at": at,
                "channel": channel,
                "store": str(rng.choice(STORES)) if channel == "store" else "",
                "status": "refunded" if rng.random() < 0.03 else "placed",
                "lines": _lines(rng, PRODUCTS),
            })
            if len(batch) >= BATCH:
                bulk_upsert_orders(actor=SYSTEM, rows=batch, audit_each=False)
                batch = []
    if batch:
        bulk_upsert_orders(actor=SYSTEM, rows=batch, audit_each=False)
    return DemoResult(customers=len(people), products=len(PRODUCTS), orders=order_count)
