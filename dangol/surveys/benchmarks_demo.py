"""Made-up benchmark figures for the demo shop, labelled as such in their source."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.surveys.benchmark_models import Benchmark
from dangol.surveys.benchmarks_services import record_benchmark

SOURCE = "데모용 가상 수치 (made-up demo figure)"


def generate_benchmark_demo() -> int:
    """Record a few competitor and industry figures over the last six months."""
    if Benchmark.objects.exists():
        return 0
    today = timezone.localdate()
    period = {"period_start": today - timedelta(days=180), "period_end": today}
    rows = [
        {"kind": "industry", "metric": "nps", "value": "-5", "n": "2400"},
        {"kind": "competitor", "competitor": "가나몰", "metric": "nps", "value": "-15",
         "n": "650"},
        {"kind": "competitor", "competitor": "다라마켓", "metric": "nps", "value": "8"},
        {"kind": "industry", "metric": "csat_top2", "value": "78.5", "ci_low": "76.9",
         "ci_high": "80.1"},
        {"kind": "industry", "metric": "csat_mean", "value": "4.1", "n": "1200"},
    ]
    for row in rows:
        record_benchmark(actor=SYSTEM, values={**row, **period, "source": SOURCE})
    return len(rows)
