"""`dangol clv` through Django's call_command; no database is touched."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.stats.conftest import cdnow_file, same_3_significant

SUMMARY = "cdnow_customers_summary.csv"
WITH_SPEND = "cdnow_customers_summary_with_transactions.csv"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clv", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("model", "file", "published", "log_likelihood"),
    [
        ("bgnbd", SUMMARY, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, -9582.4),
        ("pareto", SUMMARY, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, -9595.0),
        ("gammagamma", WITH_SPEND, {"p": 6.25, "q": 3.74, "gamma": 15.44}, -4055.9),
    ],
)
def test_fit_prints_one_json_object(
    model: str, file: str, published: dict[str, float], log_likelihood: float
) -> None:
    result = json.loads(run("fit", "--model", model, "--summary", str(cdnow_file(file))))
    assert result["model"] == model
    for name, value in published.items():
        assert same_3_significant(result["params"][name], value)
        assert result[name] == result["params"][name]
        assert result["standard_errors"][name] > 0
    assert result["log_likelihood"] == pytest.approx(log_likelihood, abs=0.1)
    assert result["fit_seconds"] >= 0


def test_gammagamma_without_spend_names_the_column() -> None:
    with pytest.raises(CommandError, match="monetary column"):
        run("fit", "--model", "gammagamma", "--summary", str(cdnow_file(SUMMARY)))


def test_inconsistent_summary_names_line_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,frequency,recency,T\n1,2,30,38\n2,0,4,38\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"frequency is 0 but recency is 4.*\(line 3\)"):
        run("fit", "--model", "bgnbd", "--summary", str(path))


def test_too_few_repeat_buyers_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("id,frequency,recency,T\n1,2,30,38\n2,0,0,38\n", encoding="utf-8")
    with pytest.raises(CommandError, match="at least 10 customers with a repeat purchase"):
        run("fit", "--model", "pareto", "--summary", str(path))


def test_unknown_model_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        run("fit", "--model", "lifetimes", "--summary", str(cdnow_file(SUMMARY)))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("fit", "--model", "bgnbd", "--summary", str(tmp_path / "nope.csv"))


def test_summarize_writes_the_summary_csv(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "customer_id,date,amount\n"
        "1,2020-01-01,10\n1,2020-01-05,5\n1,2020-01-08,7\n2,2020-01-02,3\n3,2020-03-01,1\n",
        encoding="utf-8",
    )
    args = ["summarize", "--transactions", str(log), "--calibration-end", "2020-01-31"]
    printed = run(*args, "--monetary-col", "amount")
    # Customer 1: days 1, 5, 8 → x = 2, t_x = 7, T = 30, repeat spend (5 + 7)/2 = 6.
    # Customer 2: one purchase on day 2 → T = 29. Customer 3 starts after the end.
    assert printed.splitlines() == [
        "customer_id,frequency,recency,T,monetary",
        "1,2,7.0,30.0,6.0",
        "2,0,0.0,29.0,0.0",
    ]
    output = tmp_path / "summary.csv"
    run(*args, "--freq", "W", "--output", str(output))
    # Weeks from Monday: Jan 1 and 5 share the week of Dec 30, Jan 8 is in the next.
    assert output.read_text(encoding="utf-8").splitlines()[1] == "1,1,1.0,4.0"


def test_summarize_names_a_bad_date(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date\n1,2020-01-01\n2,01/02/2020\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 3, column 'date': '01/02/2020' is not a date"):
        run("summarize", "--transactions", str(log), "--calibration-end", "2020-01-31")


def test_summarize_needs_the_calibration_end(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--calibration-end"):
        run("summarize", "--transactions", str(tmp_path / "log.csv"))
