"""`classified_columns`: a class decided for one column (qualified), winning over the name matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.errors import PolicyError
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.model.elements import Column

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"


def governed(extra: str, policy: str | None = None) -> Governed:
    text = (policy if policy is not None else (ROOT / POLICY).read_text()) + extra
    return govern_inputs(
        "retail", [ErdInput(ERD, (ROOT / ERD).read_text(), "retail")], PolicyInput(POLICY, text)
    )


def column(result: Governed, schema: str, table: str, name: str) -> Column:
    found = next(
        t for _, s, t in result.project.iter_tables() if s.name == schema and t.name == table
    ).column(name)
    assert found is not None
    return found


def test_an_entry_classifies_exactly_that_tables_column() -> None:
    result = governed("\nclassified_columns:\n  sales.orders.created_at: pii.email\n")
    orders = column(result, "sales", "orders", "created_at")
    assert orders.classification == "pii.email" and orders.mask is not None and orders.tags["pii"] == "email"
    customers = column(result, "crm", "customers", "created_at")
    assert customers.classification is None and customers.mask is None


def test_an_entry_wins_over_the_name_rules_and_may_name_the_catalog() -> None:
    result = governed(
        "\nclassified_columns:\n  retail.crm.customers.email: pii.name\n  CRM.Customers.Phone: pii.email\n"
    )
    assert column(result, "crm", "customers", "email").classification == "pii.name"
    assert column(result, "crm", "customers", "phone").classification == "pii.email"
    assert not [f for f in result.findings if f.rule == "classification.column"]


def test_an_entry_naming_no_column_is_a_located_error_with_the_closest_column() -> None:
    policy = (ROOT / POLICY).read_text()
    result = governed("\nclassified_columns:\n  crm.customers.full_nam: pii.name\n", policy)
    (finding,) = [f for f in result.findings if f.rule == "classification.column"]
    assert finding.severity == "error" and finding.object == "crm.customers.full_nam"
    assert "did you mean crm.customers.full_name?" in finding.message
    assert finding.span is not None and finding.span.file == POLICY
    assert finding.span.line == len(policy.splitlines()) + 3


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("  sales.orders: pii.email", "is not a column such as sales.orders.email"),
        ("  sales.orders.status: secret_stuff", "unknown class 'secret_stuff'"),
        ("  sales.orders.status: pii.emial", "did you mean 'pii.email'?"),
    ],
)
def test_malformed_entries_are_located_policy_errors(entry: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        governed(f"\nclassified_columns:\n{entry}\n")
    assert expected in caught.value.format()
    assert caught.value.file == POLICY


def test_confirm_weakening_names_defined_environments() -> None:
    policy = (
        (ROOT / POLICY)
        .read_text()
        .replace("  types:\n", "  governance:\n    confirm_weakening: [prdo]\n  types:\n", 1)
    )
    with pytest.raises(PolicyError) as caught:
        governed("", policy)
    assert "rules.governance.confirm_weakening: environment 'prdo'" in caught.value.message
    assert caught.value.hint == "did you mean 'prod'?"
