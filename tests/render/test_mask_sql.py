"""A column mask function has one definition (model/mask_sql.py): the whole-model script and a
migration write the same statement for every strategy, type and set of exempt groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.model.elements import Catalog, Column, Environment, Mask, Project, Schema, Table
from accelerator.model.mask_sql import mask_function_body, mask_function_sql, masked_kind
from accelerator.plan import diff, migration_sql
from accelerator.render import render_sql
from tests.plan.sql_check import assert_valid

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ["redact", "hash", "partial", "null"]
TYPES = ["STRING", "VARCHAR(20)", "DATE", "DECIMAL(10,2)"]
GROUPS: list[list[str]] = [[], ["pii_readers"], ["support", "pii_readers", "support"]]


def masked_project(strategy: str, column_type: str, groups: list[str]) -> Project:
    column = Column(
        name="secret",
        type=column_type,
        mask=Mask(function="mask_secret", strategy=strategy, exempt_groups=groups),  # type: ignore[arg-type]
    )
    table = Table(name="t", columns=[Column(name="id", type="BIGINT", nullable=False), column])
    return Project(
        name="p",
        catalogs=[Catalog(name="shop", schemas=[Schema(name="s", tables=[table])])],
        environments=[Environment(name="dev")],
    )


def function_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("CREATE OR REPLACE FUNCTION")]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("column_type", TYPES)
@pytest.mark.parametrize("groups", GROUPS)
def test_script_and_migration_write_the_same_mask_function(
    strategy: str, column_type: str, groups: list[str]
) -> None:
    project = masked_project(strategy, column_type, groups)
    (script,) = function_lines(render_sql(project, "dev")["dev_shop.sql"])
    empty = Project(name="p", environments=project.environments)
    migration = function_lines("\n".join(migration_sql(diff(empty, project), project.environments[0])))
    assert migration == [script.removesuffix(";")]
    assert_valid(migration[0])
    expected = mask_function_sql(
        ("dev_shop", "s", "mask_secret"), column_type, masked_kind(strategy, column_type), groups
    )
    assert migration[0] == expected


def test_what_each_strategy_returns() -> None:
    assert masked_kind("hash", "varchar(10)") == "hash_string"
    assert masked_kind("partial", "DATE") == "null"  # only a string can be shown in part
    assert masked_kind("null", "STRING") == "null"
    assert mask_function_body("redact_string", []) == "'***'"
    assert mask_function_body("hash_string", ["b", "a", "b"]) == (
        "CASE WHEN is_account_group_member('a') OR is_account_group_member('b') "
        "THEN val ELSE sha2(val, 256) END"
    )


def test_a_group_name_is_a_quoted_literal() -> None:
    statement = mask_function_sql(("c", "s", "f"), "STRING", "null", ["it's"])
    assert "is_account_group_member('it\\'s')" in statement
    assert_valid(statement)


def test_the_masked_values_are_written_in_one_place() -> None:
    """Neither the template nor the migration code spells a masked value of its own."""
    for path in ("templates/sql/macros.sql.j2", "accelerator/plan/migration_sql.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "sha2(" not in text and "'***'" not in text and "is_account_group_member" not in text, path
