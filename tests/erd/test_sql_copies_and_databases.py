"""What the Snowflake corpus file (tests/corpus/sql/holistics_snowflake_get_ddl.sql) showed: a
database above schemas is not a schema, copies of a table have its keys unnamed (Unity Catalog wants
key names unique in a schema), Snowflake's LIKE copies every constraint, and PostgreSQL's
`(LIKE t INCLUDING ...)` in a column list copies t's columns as its options ask."""

from __future__ import annotations

import logging

import pytest

from accelerator.erd.parsed import ParsedErd
from accelerator.erd.sql.reader import parse_sql
from accelerator.generate import ErdInput, PolicyInput, generate, govern_inputs
from accelerator.model import Table
from accelerator.render.validation import validate_sql


def tables(parsed: ParsedErd) -> dict[str, Table]:
    return {t.name: t for s in parsed.schemas for t in s.tables}


@pytest.mark.parametrize("dialect", ["snowflake", "tsql", "postgres", "oracle"])
def test_a_database_above_schemas_is_not_a_schema(dialect: str) -> None:
    ddl = "CREATE DATABASE shop;\nCREATE SCHEMA sales;\nCREATE TABLE sales.t (id INT PRIMARY KEY);\n"
    parsed = parse_sql(ddl, "d.sql", dialect=dialect)
    assert [s.name for s in parsed.schemas] == ["sales"]
    [finding] = [f for f in parsed.findings if f.rule == "sql.database.catalog"]
    assert (finding.severity, finding.line, finding.object) == ("info", 1, "shop")
    assert "catalog level" in finding.message


def test_a_database_comment_that_is_not_kept_is_a_warn() -> None:
    ddl = "CREATE OR REPLACE TRANSIENT DATABASE d COMMENT = 'the shop';\nCREATE TABLE s.t (id INT);\n"
    [finding] = [
        f for f in parse_sql(ddl, "d.sql", dialect="snowflake").findings if f.rule == "sql.database.catalog"
    ]
    assert finding.severity == "warn" and "'the shop' is not kept" in finding.message


def test_a_mysql_database_is_a_schema() -> None:
    parsed = parse_sql(
        "CREATE DATABASE shop;\nCREATE TABLE shop.t (id INT PRIMARY KEY);\n", "d.sql", dialect="mysql"
    )
    assert [s.name for s in parsed.schemas] == ["shop"]
    assert not [f for f in parsed.findings if f.rule == "sql.database.catalog"]


SNOWFLAKE = """CREATE TABLE c (id INT NOT NULL, CONSTRAINT c_pk PRIMARY KEY (id));
CREATE TABLE a (
  id INT NOT NULL, c_id INT, code VARCHAR(3),
  CONSTRAINT a_pk PRIMARY KEY (id),
  CONSTRAINT a_c_fk FOREIGN KEY (c_id) REFERENCES c (id),
  CONSTRAINT a_code_uk UNIQUE (code)
);
CREATE TABLE b LIKE a;
CREATE TABLE d CLONE a;
"""


def test_snowflake_like_and_clone_copy_every_key_unnamed() -> None:
    found = tables(parse_sql(SNOWFLAKE, "s.sql", dialect="snowflake"))
    for copy in ("b", "d"):
        table = found[copy]
        assert [c.name for c in table.columns] == ["id", "c_id", "code"]
        assert table.primary_key is not None and (table.primary_key.name, table.primary_key.columns) == (
            None,
            ["id"],
        )
        assert [(f.name, f.columns, f.ref_table) for f in table.foreign_keys] == [(None, ["c_id"], "c")]
        assert [(u.name, u.columns) for u in table.unique_keys] == [(None, ["code"])]
    assert (
        found["a"].primary_key is not None and found["a"].primary_key.name == "a_pk"
    )  # the original keeps it


def test_a_copy_generates_valid_sql_with_key_names_of_its_own(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="sqlglot")
    governed = govern_inputs("x", [ErdInput("s.sql", SNOWFLAKE, "x", dialect="snowflake")], PolicyInput())
    files = generate(governed, ["dev"], terraform=False).files
    [text] = [t for p, t in files.items() if p.endswith(".sql")]
    assert validate_sql(text, "sql/dev/dev_x.sql") == []
    assert "CONSTRAINT `pk_b` PRIMARY KEY" in text and "CONSTRAINT `a_pk` PRIMARY KEY" in text


def test_bigquery_clone_copies_the_primary_key_only() -> None:
    ddl = SNOWFLAKE.replace("CREATE TABLE b LIKE a;\n", "").replace("VARCHAR(3)", "STRING")
    ddl = ddl.replace("PRIMARY KEY (id)", "PRIMARY KEY (id) NOT ENFORCED").replace(
        "REFERENCES c (id)", "REFERENCES c (id) NOT ENFORCED"
    )
    ddl = ddl.replace(",\n  CONSTRAINT a_code_uk UNIQUE (code)", "")
    found = tables(parse_sql(ddl, "b.sql", dialect="bigquery"))
    assert found["d"].primary_key is not None and found["d"].primary_key.name is None
    assert found["d"].foreign_keys == []


POSTGRES = """CREATE TABLE a (
  id integer NOT NULL DEFAULT 1,
  name text CHECK (name <> ''),
  CONSTRAINT a_pk PRIMARY KEY (id)
);
CREATE TABLE b (LIKE a INCLUDING ALL, extra integer);
CREATE TABLE c (LIKE a);
CREATE TABLE d (LIKE a INCLUDING DEFAULTS INCLUDING INDEXES);
CREATE TABLE e (LIKE elsewhere);
"""


def test_postgres_like_in_a_column_list_copies_as_its_options_ask() -> None:
    parsed = parse_sql(POSTGRES, "p.sql", dialect="postgres")
    found = tables(parsed)

    def shape(name: str) -> tuple[list[tuple[str, str, bool, str | None]], list[str] | None, int]:
        table = found[name]
        key = table.primary_key.columns if table.primary_key else None
        return [(c.name, c.type, c.nullable, c.default) for c in table.columns], key, len(table.checks)

    assert shape("b") == (
        [("id", "INT", False, "1"), ("name", "STRING", True, None), ("extra", "INT", True, None)],
        ["id"],
        1,
    )
    assert shape("c") == ([("id", "INT", False, None), ("name", "STRING", True, None)], None, 0)
    assert shape("d") == ([("id", "INT", False, "1"), ("name", "STRING", True, None)], ["id"], 0)
    assert found["b"].primary_key is not None and found["b"].primary_key.name is None
    [unread] = [f for f in parsed.findings if f.rule == "sql.table.unread"]
    assert (unread.severity, unread.line, unread.object) == ("warn", 9, "e")
    assert "copies the columns of elsewhere" in unread.message
