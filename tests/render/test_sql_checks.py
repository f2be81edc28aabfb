"""render_sql: a table's CHECK constraints (`Table.checks`), beside the allowed-values ones."""

from __future__ import annotations

import pytest
import sqlglot

from accelerator.errors import ModelError
from accelerator.model import Project, Table
from accelerator.model.canonical import canonical_json
from accelerator.model.elements import Check
from accelerator.render import render_sql

from .render_fixtures import governed_project, span


def customers(project: Project) -> Table:
    return next(t for s in project.catalogs[0].schemas for t in s.tables if t.name == "customers")


def test_checks_are_added_after_the_allowed_values_ones_and_parse() -> None:
    project = governed_project()
    table = customers(project)
    table.checks = [Check(name="chk_named", expression="length(email) > 3"), Check(expression="id > 0")]
    text = render_sql(project, "dev")["dev_retail.sql"]
    path = "ALTER TABLE `dev_retail`.`crm`.`customers`"
    assert (
        f"{path} DROP CONSTRAINT IF EXISTS `chk_named`;\n{path} ADD CONSTRAINT `chk_named` CHECK (LENGTH(email) > 3);"
        in text
    )
    unnamed = [
        line
        for line in text.splitlines()
        if line.startswith(f"{path} ADD CONSTRAINT `chk_customers_") and "id > 0" in line
    ]
    assert len(unnamed) == 1 and unnamed[0].endswith("CHECK (id > 0);")
    assert text.index("`chk_customers_status`") < text.index("`chk_named`")
    assert all(sqlglot.parse(text, read="databricks"))


def test_an_unnamed_check_keeps_its_name_when_another_is_added_before_it() -> None:
    def name_of_positive_id(checks: list[Check]) -> str:
        project = governed_project()
        customers(project).checks = checks
        text = render_sql(project, "dev")["dev_retail.sql"]
        line = next(line for line in text.splitlines() if "CHECK (id > 0)" in line)
        return line.split("ADD CONSTRAINT ")[1].split(" ")[0]

    assert name_of_positive_id([Check(expression="id > 0")]) == name_of_positive_id(
        [Check(expression="id < 100"), Check(expression="id > 0")]
    )


def test_no_check_leaves_the_sql_and_model_json_as_they_were() -> None:
    project = governed_project()
    assert '"checks"' not in canonical_json(project)
    customers(project).checks = [Check(expression="id > 0")]
    assert '"checks": [' in canonical_json(project)


@pytest.mark.parametrize("expression", ["1 > 0); DROP TABLE x; --", "(SELECT max(id) FROM t) > 0", "id >"])
def test_an_invalid_check_expression_is_a_located_error_never_a_statement(expression: str) -> None:
    project = governed_project()
    table = customers(project)
    table.checks = [Check(expression=expression, span=span(12, 5))]
    with pytest.raises(ModelError, match="is not a single Databricks SQL expression") as caught:
        render_sql(project, "dev")
    assert caught.value.location == "erd/retail.dbml:12:5"
