"""Customer-value models by name, as the command line and jobs choose them."""

from __future__ import annotations

from typing import Any, Literal

from dangol.stats._mle import ModelFit
from dangol.stats.bgnbd import fit_bgnbd
from dangol.stats.errors import StatsError
from dangol.stats.gammagamma import fit_gamma_gamma
from dangol.stats.paretonbd import fit_pareto_nbd
from dangol.stats.purchases import MIN_REPEAT_BUYERS, PurchaseSummary

ModelName = Literal["bgnbd", "pareto", "gammagamma"]
MODEL_NAMES: tuple[ModelName, ...] = ("bgnbd", "pareto", "gammagamma")


def fit_model(
    name: str, summary: PurchaseSummary, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS
) -> ModelFit[Any]:
    """Fit the model called ``name`` (bgnbd, pareto or gammagamma) to a summary."""
    if name == "bgnbd":
        return fit_bgnbd(summary, min_repeat_buyers=min_repeat_buyers)
    if name == "pareto":
        return fit_pareto_nbd(summary, min_repeat_buyers=min_repeat_buyers)
    if name == "gammagamma":
        return fit_gamma_gamma(summary, min_repeat_buyers=min_repeat_buyers)
    raise StatsError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
