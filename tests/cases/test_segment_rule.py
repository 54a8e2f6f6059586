"""The segment rule "open complaint cases" (open_cases) counts each customer's open cases."""

import pytest

from dangol.accounts.actors import Actor
from dangol.cases import services
from dangol.core.errors import ValidationFailed
from dangol.segments.rules import FIELDS, parse_definition
from dangol.segments.selectors import count_preview, customers_matching
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def members(*rules, match="all"):
    definition = {"match": match, "rules": list(rules)}
    return set(customers_matching(definition).values_list("external_id", flat=True))


def rule(op, value):
    return {"field": "open_cases", "op": op, "value": value}


@pytest.fixture
def customers(agent):
    actor = Actor(user=agent)
    none, one, two, done = (CustomerFactory(external_id=name)
                            for name in ("none", "one", "two", "done"))
    services.open_case(actor=actor, customer_pk=one.pk, subject="a")
    pending = services.open_case(actor=actor, customer_pk=two.pk, subject="b")
    services.change_status(actor=actor, case_pk=pending.pk, status="pending")
    services.open_case(actor=actor, customer_pk=two.pk, subject="c")
    resolved = services.open_case(actor=actor, customer_pk=one.pk, subject="d")
    services.resolve_case(actor=actor, case_pk=resolved.pk, resolution_code="fixed")
    for subject in ("e", "f"):
        case = services.open_case(actor=actor, customer_pk=done.pk, subject=subject)
        services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="fixed")
        services.close_case(actor=actor, case_pk=case.pk)
    return none, one, two, done


def test_field_is_offered_in_the_satisfaction_group():
    spec = FIELDS["open_cases"]
    assert spec.kind == "integer" and spec.minimum == 0
    assert spec.group == FIELDS["last_csat"].group


def test_open_cases_counts_only_cases_still_needing_work(customers):
    assert members(rule("gte", 1)) == {"one", "two"}
    assert members(rule("eq", 0)) == {"none", "done"}
    assert members(rule("eq", 2)) == {"two"}
    assert members(rule("between", [1, 1])) == {"one"}
    assert members(rule("neq", 1)) == {"none", "two", "done"}
    assert members(rule("lt", 2)) == {"none", "one", "done"}
    assert count_preview({"match": "all", "rules": [rule("gt", 0)]}) == 2


def test_open_cases_combines_with_other_rules(customers):
    assert members(rule("gte", 1), {"field": "region", "op": "eq", "value": "부산"},
                   match="any") == {"one", "two"}


def test_reopened_case_counts_again(customers, agent):
    done = customers[3]
    case = done.cases.first()
    services.reopen_case(actor=Actor(user=agent), case_pk=case.pk)
    assert members(rule("eq", 1)) == {"one", "done"}


@pytest.mark.parametrize("value", [-1, "many", 1.5, 10**20])
def test_bad_value_is_named(value):
    with pytest.raises(ValidationFailed) as error:
        parse_definition({"match": "all", "rules": [rule("gte", value)]})
    assert [p.field for p in error.value.problems] == ["rules.0.value"]
