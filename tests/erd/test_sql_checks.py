"""SQL DDL: CHECK constraints (column-level, table-level, ALTER TABLE ... ADD CONSTRAINT ... CHECK)
are carried into the model in Databricks SQL; one with no Databricks form is a warning naming it."""

from __future__ import annotations

import sqlglot

from accelerator.erd.parsed import ParsedErd
from accelerator.erd.sql.reader import parse_sql
from accelerator.model import Table
from accelerator.model.build import build_project
from accelerator.render import render_sql


def table(parsed: ParsedErd, name: str) -> Table:
    return next(t for s in parsed.schemas for t in s.tables if t.name == name)


def checks(found: Table) -> list[tuple[str | None, str]]:
    return [(c.name, c.expression) for c in found.checks]


POSTGRES = """\
CREATE TABLE products (
    id integer PRIMARY KEY,
    price numeric(10,2) CHECK (price > 0),
    code text CONSTRAINT code_shape CHECK (code ~ '^[A-Z]+$'),
    discount numeric(10,2),
    CONSTRAINT discount_below_price CHECK (discount < price),
    CHECK (discount >= 0)
);
ALTER TABLE ONLY products ADD CONSTRAINT code_short CHECK (char_length(code) <= 8);
"""


def test_postgres_checks_of_every_form_are_kept_in_databricks_sql() -> None:
    parsed = parse_sql(POSTGRES, "erd/shop.sql")
    products = table(parsed, "products")
    assert checks(products) == [
        (None, "price > 0"),
        ("code_shape", "REGEXP_LIKE(code, '^[A-Z]+$')"),
        ("discount_below_price", "discount < price"),
        (None, "discount >= 0"),
        ("code_short", "LENGTH(code) <= 8"),
    ]
    assert [c.span.line for c in products.checks if c.span] == [3, 4, 6, 7, 9]
    assert not [f for f in parsed.findings if f.rule == "sql.check.unkept"]


def test_tsql_and_mysql_checks_are_translated() -> None:
    tsql = parse_sql(
        "CREATE TABLE t (id INT, name NVARCHAR(10), CONSTRAINT ck_len CHECK (LEN(name) > 0))\nGO\n",
        "t.sql",
        dialect="tsql",
    )
    assert checks(table(tsql, "t")) == [("ck_len", "LENGTH(CAST(name AS STRING)) > 0")]
    mysql = parse_sql(
        "CREATE TABLE m (`qty` int, CONSTRAINT `qty_ok` CHECK (`qty` >= 0));", "m.sql", dialect="mysql"
    )
    assert checks(table(mysql, "m")) == [("qty_ok", "`qty` >= 0")]


def test_checks_reach_the_generated_sql_and_parse_there() -> None:
    parsed = parse_sql(POSTGRES, "erd/shop.sql")
    project = build_project("shop", [("shop", parsed)])
    text = "\n".join(render_sql(project, "dev").values())
    assert "ADD CONSTRAINT `code_short` CHECK (LENGTH(code) <= 8);" in text
    assert text.count(" CHECK (") == 5
    assert all(sqlglot.parse(text, read="databricks"))


def test_a_check_with_no_databricks_form_is_a_warning_naming_it_and_left_out() -> None:
    parsed = parse_sql(
        "CREATE TABLE a (\n  id int,\n  CONSTRAINT few CHECK (id IN (SELECT id FROM b)),\n  CHECK (id > 0)\n);",
        "erd/a.sql",
    )
    assert checks(table(parsed, "a")) == [(None, "id > 0")]
    [finding] = [f for f in parsed.findings if f.rule == "sql.check.unkept"]
    assert finding.severity == "warn" and "constraint few" in finding.message
    assert finding.span is not None and finding.span.line == 3
