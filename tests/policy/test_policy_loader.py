"""Policy validation: every error is a PolicyError at the line and column of the bad key or value."""

from __future__ import annotations

import pytest

from accelerator.errors import PolicyError
from accelerator.policy import default_policy, parse_policy

from .conftest import line_of, policy_from

BAD_CASE = """
version: 1
rules:
  naming:
    table:
      max_length: 64
      case: snakecase
"""


def raised(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        policy_from(text)
    return caught.value


def test_bad_enum_value_is_located_with_allowed_values_and_hint() -> None:
    error = raised(BAD_CASE)
    assert (error.file, error.line, error.column) == (
        "policies/governance.yaml",
        line_of(BAD_CASE, "case:"),
        13,
    )
    assert error.message == (
        "rules.naming.table.case: expected one of snake_case, camelCase, PascalCase, UPPER_SNAKE, kebab-case, "
        "got 'snakecase'"
    )
    assert error.hint == "did you mean 'snake_case'?"
    formatted = error.format()
    assert formatted.startswith(f"policies/governance.yaml:{error.line}:13: error: rules.naming.table.case")
    assert "case: snakecase" in formatted and "hint: did you mean 'snake_case'?" in formatted


def test_unknown_key_names_the_allowed_keys() -> None:
    text = """
    rules:
      naming:
        table: {case: snake_case, prefx: tbl_}
    """
    error = raised(text)
    assert (error.line, error.column) == (line_of(text, "prefx"), 31)
    assert error.message.startswith(
        "rules.naming.table: unknown key 'prefx'; allowed keys: case, pattern, prefix"
    )
    assert error.hint == "did you mean 'prefix'?"


def test_unknown_top_level_key() -> None:
    error = raised("version: 1\ngrant:\n  - {}\n")
    assert (error.line, error.column) == (2, 1)
    assert "(top level): unknown key 'grant'" in error.message and error.hint == "did you mean 'grants'?"


def test_invalid_yaml_is_located_at_the_parser_mark() -> None:
    error = raised("rules:\n  naming: [a, b\nseverity: {}\n")
    assert error.message.startswith("invalid YAML:")
    assert error.line == 3


def test_duplicate_keys_are_errors() -> None:
    error = raised("grants: []\nseverity: {}\ngrants: []\n")
    assert (error.line, error.column, error.message) == (3, 1, "duplicate key 'grants'")


def test_wrong_type_and_missing_key() -> None:
    text = """
    grants:
      - {on: table, name: 'sales.*', privileges: SELECT}
    """
    error = raised(text)
    assert error.line == 2
    # Two problems: privileges is not a list, principal is missing; the first in the file is reported.
    assert "grants[0]" in error.message
    assert "more problem(s)" in (error.hint or "")


def test_missing_required_key_points_at_its_mapping() -> None:
    error = raised("classification:\n  - name: pii.email\n    tags: {pii: email}\n")
    assert error.message == "classification[0]: missing required key 'match'"
    assert (error.line, error.column) == (2, 5)


def test_invalid_regex_and_placeholder_and_privilege_type() -> None:
    assert "invalid regular expression" in raised("rules: {naming: {column: {pattern: '[a-z'}}}\n").message
    error = raised("environments:\n  prod: {catalog: '{environment}_{domain}'}\n")
    assert error.message.startswith("environments.prod.catalog: unknown placeholder {environment}")
    assert (error.line, error.column) == (2, 19)
    assert (
        "not a Databricks SQL type"
        in raised(
            "rules: {types: {forbidden: [{name: money, columns: price, types: [DOUBLE], replacement: 'decimal 18'}]}}\n"
        ).message
    )


def test_grant_environment_must_be_defined() -> None:
    text = """
    environments: {dev: {}, prod: {}}
    grants:
      - {on: catalog, principal: analysts, privileges: [USE_CATALOG], environments: [prd]}
    """
    error = raised(text)
    assert error.message == "grants[0]: environment 'prd' is not defined"
    assert error.line == line_of(text, "prd") and error.hint == "did you mean 'prod'?"


def test_severity_must_name_a_known_rule() -> None:
    error = raised("severity:\n  naming.table.cases: off\n")
    assert (error.line, error.column) == (2, 3)
    assert error.hint == "did you mean 'naming.table.case'?"
    assert raised("severity: {naming.tables.*: off}\n").message == "severity: unknown rule 'naming.tables.*'"
    assert "expected one of error, warn, info, off" in raised("severity: {keys.primary_key: fatal}\n").message


def test_yaml_on_off_words_are_not_booleans() -> None:
    policy = policy_from(
        "grants:\n  - {on: table, principal: a, privileges: [SELECT]}\nseverity: {keys.*: off}\n"
    )
    assert policy.spec.grants[0].on == "table"
    assert policy.severity("keys.primary_key") is None


def test_top_level_must_be_a_mapping_and_empty_is_allowed() -> None:
    assert raised("- a\n- b\n").line == 1
    assert parse_policy("", "empty.yaml").spec.grants == []


def test_string_values_accept_yaml_scalars() -> None:
    policy = policy_from("table_defaults:\n  properties: {delta.enableChangeDataFeed: true, delta.x: 3}\n")
    assert policy.spec.table_defaults.properties == {"delta.enableChangeDataFeed": "true", "delta.x": "3"}
    assert (
        policy_from("classification: [{name: a.b, match: {names: [x]}, mask: {strategy: null}}]\n")
        .spec.classification[0]
        .mask.strategy
        == "null"
    )  # type: ignore[union-attr]


def test_classification_match_needs_a_criterion() -> None:
    error = raised("classification:\n  - name: pii.x\n    match: {}\n")
    assert error.message == "classification[0].match: give at least one of names, regex or tags"
    assert error.line == 3


def test_default_policy_is_valid_and_documented() -> None:
    policy = default_policy()
    assert [c.name for c in policy.spec.classification] == [
        "pii.email", "pii.phone", "pii.national_id", "pii.birth_date", "pii.address", "pii.ip_address",
        "pii.name", "pii.credit_card",
    ]  # fmt: skip
    assert policy.spec.rules.naming.column.case == "snake_case"
    assert policy.severity("types.money") == "error"
    assert "# " in policy.source  # the default is commented


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("version: 2\n", 1, 10, "version: expected one of 1, got 2"),
        (
            "grants: [{on: table, principal: 1, privileges: [SELECT]}]\n",
            1,
            33,
            "grants[0].principal: expected a string",
        ),
        ("severity: [a]\n", 1, 11, "severity: expected a mapping"),
        ("environments: {dev: null}\n", 1, 21, "environments.dev: expected a mapping"),
        ("rules:\n\tnaming: {}\n", 2, 1, "invalid YAML"),
        (
            "table_defaults: {cluster_by: yes}\n",
            1,
            30,
            "table_defaults.cluster_by: expected one of auto, none",
        ),
        (
            "grants: [{on: table, principal: x, privileges: []}]\n",
            1,
            48,
            "grants[0].privileges: list should have",
        ),
        (
            "table_defaults: {owner: '{schem}_team'}\n",
            1,
            25,
            "table_defaults.owner: unknown placeholder {schem}",
        ),
        (
            "classification: [{name: PII, match: {names: [a]}}]\n",
            1,
            25,
            "classification[0].name: 'PII' is not",
        ),
    ],
)
def test_bad_inputs_are_located_with_a_hint(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.yaml")
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.message.startswith(message)
    assert error.hint
