"""One owner per object: with Terraform enabled the migrations never create, drop, comment or hand
over a catalog or schema, check first that those they use exist, and leave table grants to
Terraform when `deployment.grants_in` says so; ownership transfers come last in every migration."""

from __future__ import annotations

import random
import re

import pytest

from accelerator.model.elements import Deployment, Project
from accelerator.plan import diff
from accelerator.plan.migration_sql import migration_sql
from accelerator.plan.migrations import empty_like
from tests.plan.conftest import random_edits
from tests.plan.sql_check import assert_valid

CONTAINER_DDL = re.compile(
    r"^(CREATE|DROP) (CATALOG|SCHEMA)|^COMMENT ON (CATALOG|SCHEMA)|^ALTER (CATALOG|SCHEMA) \S+ OWNER TO"
    r"|^(GRANT|REVOKE) .* ON (CATALOG|SCHEMA) "
)


def initial(project: Project, *, terraform: bool, grants_in: str = "terraform") -> list[str]:
    prod = project.environment("prod")
    assert prod is not None
    changes = diff(empty_like(project), project)
    return migration_sql(changes, prod, terraform=terraform, grants_in=grants_in)  # type: ignore[arg-type]


def test_with_terraform_the_sql_leaves_catalogs_and_schemas_alone_and_checks_they_exist(
    retail_project: Project,
) -> None:
    statements = initial(retail_project, terraform=True)
    assert not [s for s in statements if CONTAINER_DDL.search(s)]
    checks = [s for s in statements if s.startswith(("DESCRIBE SCHEMA", "SHOW SCHEMAS IN"))]
    assert statements[: len(checks)] == checks == [
        "DESCRIBE SCHEMA `prod_retail`.`crm`", "DESCRIBE SCHEMA `prod_retail`.`sales`"
    ]  # fmt: skip
    for statement in statements:
        assert_valid(statement)


def test_without_terraform_the_sql_creates_catalogs_and_schemas_first_and_checks_nothing(
    retail_project: Project,
) -> None:
    statements = initial(retail_project, terraform=False)
    assert statements[0].startswith("CREATE CATALOG `prod_retail`")
    for index, statement in enumerate(statements):
        table = re.match(r"CREATE TABLE (`prod_retail`\.`\w+`)\.", statement)
        if table:  # its schema was created before it
            assert f"CREATE SCHEMA {table[1]}" in statements[:index]
    assert not [s for s in statements if s.startswith(("DESCRIBE", "SHOW"))]
    assert any(re.match(r"GRANT .* ON TABLE ", s) for s in statements)  # nothing else would grant


@pytest.mark.parametrize(
    ("grants_in", "table_grants", "container_grants"),
    [("terraform", False, False), ("both", True, False), ("sql", True, True)],
)
def test_table_grants_follow_deployment_grants_in(
    retail_project: Project, grants_in: str, table_grants: bool, container_grants: bool
) -> None:
    statements = initial(retail_project, terraform=True, grants_in=grants_in)
    assert any(re.match(r"GRANT .* ON TABLE ", s) for s in statements) is table_grants
    assert any(re.match(r"GRANT .* ON (CATALOG|SCHEMA) ", s) for s in statements) is container_grants


def test_a_catalog_touched_without_a_schema_is_checked_with_show_schemas(retail_project: Project) -> None:
    after = retail_project.model_copy(deep=True)
    after.catalogs[0].tags = {**after.catalogs[0].tags, "tier": "gold"}
    prod = retail_project.environment("prod")
    assert prod is not None
    statements = migration_sql(diff(retail_project, after), prod, terraform=True)
    assert statements == [
        "SHOW SCHEMAS IN `prod_retail`", "ALTER CATALOG `prod_retail` SET TAGS ('tier' = 'gold')"
    ]  # fmt: skip
    for statement in statements:
        assert_valid(statement)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("terraform", [True, False])
def test_ownership_transfers_come_last_in_every_migration(
    retail_project: Project, seed: int, terraform: bool
) -> None:
    rng = random.Random(seed)
    after, _ = random_edits(retail_project, rng, 4)
    prod = retail_project.environment("prod")
    assert prod is not None
    for before, now in ((empty_like(retail_project), retail_project), (retail_project, after)):
        statements = migration_sql(diff(before, now), prod, terraform=terraform)
        owners = [i for i, s in enumerate(statements) if " OWNER TO " in s]
        assert owners == list(range(len(statements) - len(owners), len(statements))), statements


def test_the_model_deployment_reaches_the_migrations(retail_project: Project) -> None:
    from accelerator.generate import MigrationHistory, migration_files

    for grants_in, expected in (("terraform", False), ("sql", True)):
        project = retail_project.model_copy(update={"deployment": Deployment(grants_in=grants_in)})  # type: ignore[arg-type]
        files = migration_files(project, "prod", MigrationHistory(None), terraform=True)
        assert ("ON TABLE" in files["sql/prod/V0001__initial.sql"]) is expected
