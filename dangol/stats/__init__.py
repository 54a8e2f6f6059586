"""Statistics for Dangol, in plain numpy/scipy (no Django, no other Dangol apps).

Customer value (buy-till-you-die models, fitted by maximum likelihood on
grouped data, with vectorised predictions):

* :func:`fit_bgnbd` → :class:`BGNBDParams` (Fader, Hardie & Lee 2005)
* :func:`fit_pareto_nbd` → :class:`ParetoNBDParams` (Schmittlein et al. 1987)
* :func:`fit_gamma_gamma` → :class:`GammaGammaParams` (spend per purchase)
* :func:`customer_lifetime_value`, from a purchase model and a spend model
* :func:`summarize_transactions`: transaction log → :class:`PurchaseSummary`

Survey statistics: :func:`nps`, :func:`knps`, :func:`csat`, :func:`ces`,
:func:`compare_nps`, :func:`compare_means`, :func:`wilson_interval`,
:func:`uplift` (difference of two proportions, Newcombe's interval).

Key drivers: :func:`attribute_drivers` (Johnson's relative weights with
bootstrap intervals), :func:`theme_drivers` (score gap and impact of themes
mentioned negatively), :func:`priority_quadrants` (importance vs performance).

Every error is a :class:`StatsError` (a :class:`ValueError`) naming the problem.
"""

from dangol.stats._mle import ModelFit
from dangol.stats.bgnbd import BGNBDParams, fit_bgnbd
from dangol.stats.clv import customer_lifetime_value, discounted_expected_purchases
from dangol.stats.drivers import (
    AttributeDriver,
    AttributeDrivers,
    Quadrant,
    ThemeDriver,
    ThemeDrivers,
    TooFewResponsesError,
    attribute_drivers,
    priority_quadrants,
    relative_weights,
    theme_drivers,
)
from dangol.stats.errors import (
    ConvergenceError,
    InvalidSummaryError,
    NotEnoughDataError,
    StatsError,
)
from dangol.stats.gammagamma import GammaGammaParams, fit_gamma_gamma
from dangol.stats.paretonbd import ParetoNBDParams, fit_pareto_nbd
from dangol.stats.proportions import Uplift, uplift
from dangol.stats.purchases import PurchaseSummary
from dangol.stats.registry import fit_model
from dangol.stats.summary import summarize_transactions
from dangol.stats.survey import (
    ChangeTest,
    Interval,
    NPSResult,
    Proportion,
    ScaleSummary,
    ces,
    compare_means,
    compare_nps,
    csat,
    knps,
    nps,
    nps_from_counts,
    scale_summary,
    scale_summary_from_counts,
    wilson_interval,
)

__all__ = [
    "AttributeDriver",
    "AttributeDrivers",
    "BGNBDParams",
    "ChangeTest",
    "ConvergenceError",
    "GammaGammaParams",
    "Interval",
    "InvalidSummaryError",
    "ModelFit",
    "NPSResult",
    "NotEnoughDataError",
    "ParetoNBDParams",
    "Proportion",
    "PurchaseSummary",
    "Quadrant",
    "ScaleSummary",
    "StatsError",
    "ThemeDriver",
    "ThemeDrivers",
    "TooFewResponsesError",
    "Uplift",
    "attribute_drivers",
    "ces",
    "compare_means",
    "compare_nps",
    "csat",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_model",
    "fit_pareto_nbd",
    "knps",
    "nps",
    "nps_from_counts",
    "priority_quadrants",
    "relative_weights",
    "scale_summary",
    "scale_summary_from_counts",
    "summarize_transactions",
    "theme_drivers",
    "uplift",
    "wilson_interval",
]
