"""Shared fixtures for the statistics tests: the CDNOW files from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dangol.stats.purchases import PurchaseSummary
from tests.conftest import shared_data


def cdnow_file(name: str) -> Path:
    """A CDNOW file of the shared data folder (see tests.conftest.shared_data)."""
    return shared_data("cdnow", name)


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
