"""Shared fixtures for the statistics tests: the CDNOW files from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dangol.stats.purchases import PurchaseSummary

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CDNOW = DATA / "cdnow"


def cdnow_file(name: str) -> Path:
    """A CDNOW file; a missing one fails the test (these results must be checked)."""
    path = CDNOW / name
    assert path.is_file(), (
        f"missing test data {path}: the shared data folder must sit beside the repo"
    )
    return path


@pytest.fixture(scope="session")
def cdnow() -> PurchaseSummary:
    """The 2,357-customer CDNOW sample, 39-week calibration (x, t_x, T in weeks, zbar)."""
    table = np.genfromtxt(
        cdnow_file("cdnow_customers_summary_with_transactions.csv"), delimiter=",", names=True
    )
    return PurchaseSummary(
        frequency=table["x"],
        recency=table["t_x"],
        T=table["T"],
        monetary=table["zbar"],
        customer_ids=table["ID"].astype(np.int64),
    )


def same_3_significant(value: float, published: float) -> bool:
    """True when both round to the same 3 significant figures."""
    return f"{value:.3g}" == f"{published:.3g}"
