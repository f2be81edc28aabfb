"""The last gaps of the SQL DDL reader: SQLite type names of several words, unique indexes,
T-SQL extended properties as comments, and tables inside T-SQL `IF NOT EXISTS` blocks."""

from __future__ import annotations

from accelerator.erd.parsed import ParsedErd
from accelerator.erd.sql.reader import parse_sql
from accelerator.model import Table


def tables(parsed: ParsedErd) -> dict[str, Table]:
    return {t.name: t for s in parsed.schemas for t in s.tables}


# -- SQLite type names ----------------------------------------------------------------------------


def test_sqlite_type_of_several_words_reads_by_affinity() -> None:
    ddl = (
        "CREATE TABLE film (\n  film_id INTEGER NOT NULL,\n  description BLOB SUB_TYPE TEXT DEFAULT NULL,\n"
        "  big UNSIGNED BIG INT,\n  name VARYING CHARACTER(20) NOT NULL,\n  amount LONG DECIMAL,\n"
        "  PRIMARY KEY (film_id)\n);\n"
    )
    parsed = parse_sql(ddl, "f.sql", dialect="sqlite")
    film = tables(parsed)["film"]
    types = {c.name: (c.type, c.source_type, c.nullable) for c in film.columns}
    assert types == {
        "film_id": ("BIGINT", "INTEGER", False),
        "description": ("STRING", "BLOB SUB_TYPE TEXT", True),
        "big": ("BIGINT", "UNSIGNED BIG INT", True),
        "name": ("STRING", "VARYING CHARACTER(20)", False),
        "amount": (types["amount"][0], "LONG DECIMAL", True),
    }
    assert types["amount"][0].startswith("DECIMAL")
    description = film.column("description")
    assert description is not None and description.span is not None
    assert (description.span.line, description.span.column) == (3, 3)


def test_sqlite_integer_is_bigint_and_other_dialects_keep_int() -> None:
    ddl = "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);"
    sqlite = {c.name: c.type for c in tables(parse_sql(ddl, "t.sql", dialect="sqlite"))["t"].columns}
    postgres = {c.name: c.type for c in tables(parse_sql(ddl, "t.sql", dialect="postgres"))["t"].columns}
    assert sqlite["id"] == "BIGINT"
    assert postgres["id"] == "INT"


# -- unique indexes -------------------------------------------------------------------------------


def test_unique_index_becomes_a_unique_key_and_a_plain_index_stays_an_info() -> None:
    ddl = (
        "CREATE TABLE public.rental (id INT PRIMARY KEY, rental_date DATE, inventory_id INT, d DATE);\n"
        "CREATE UNIQUE INDEX idx_uq ON public.rental USING btree (rental_date, inventory_id DESC);\n"
        "CREATE INDEX idx_d ON public.rental (d);\n"
        "CREATE UNIQUE INDEX rental_pk ON public.rental (id);\n"
    )
    parsed = parse_sql(ddl, "p.sql", dialect="postgres", default_schema="public")
    rental = tables(parsed)["rental"]
    assert [(u.name, u.columns) for u in rental.unique_keys] == [("idx_uq", ["rental_date", "inventory_id"])]
    key = rental.unique_keys[0]
    assert key.span is not None and key.span.line == 2
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.statement.skipped", "info", 3)]


def test_unique_index_on_expressions_or_partial_is_a_warning_naming_it() -> None:
    ddl = (
        "CREATE TABLE t (a TEXT, b INT);\n"
        "CREATE UNIQUE INDEX t_lower ON t (lower(a));\n"
        "CREATE UNIQUE INDEX t_some ON t (b) WHERE b > 0;\n"
    )
    parsed = parse_sql(ddl, "p.sql", dialect="postgres")
    assert not tables(parsed)["t"].unique_keys
    warned = [(f.rule, f.severity, f.line) for f in parsed.findings]
    assert warned == [("sql.index.unique", "warn", 2), ("sql.index.unique", "warn", 3)]
    assert "t_lower" in parsed.findings[0].message and "t_some" in parsed.findings[1].message


# -- T-SQL extended properties --------------------------------------------------------------------


def test_tsql_ms_description_becomes_the_table_and_column_comment() -> None:
    ddl = (
        "CREATE TABLE dbo.t (id INT PRIMARY KEY, c NVARCHAR(10))\nGO\n"
        "EXEC sys.sp_addextendedproperty @name = N'MS_Description', @value = N'It''s t', "
        "@level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N't'\nGO\n"
        "EXEC sp_addextendedproperty N'MS_Description', N'The c', N'SCHEMA', N'dbo', N'TABLE', N't', "
        "N'COLUMN', N'c'\nGO\n"
        "EXEC sp_addextendedproperty @name = N'Owner', @value = N'x', @level0type = N'SCHEMA', "
        "@level0name = N'dbo', @level1type = N'TABLE', @level1name = N't'\nGO\n"
    )
    parsed = parse_sql(ddl, "t.sql", dialect="tsql", default_schema="dbo")
    t = tables(parsed)["t"]
    column = t.column("c")
    assert t.comment == "It's t"
    assert column is not None and column.comment == "The c"
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.statement.skipped", "info", 7)]


def test_tsql_ms_description_of_a_missing_column_is_a_warning() -> None:
    ddl = (
        "CREATE TABLE t (id INT)\nGO\n"
        "EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'x', @level0type = N'SCHEMA', "
        "@level0name = N'dbo', @level1type = N'TABLE', @level1name = N't', @level2type = N'COLUMN', "
        "@level2name = N'nope'\nGO\n"
    )
    parsed = parse_sql(ddl, "t.sql", dialect="tsql")
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.comment.unread", "warn", 3)]
    assert "dbo.t.nope" in parsed.findings[0].message


# -- T-SQL IF ... BEGIN ... END -------------------------------------------------------------------


def test_tsql_if_not_exists_block_reads_the_tables_inside() -> None:
    ddl = (
        "IF NOT EXISTS (SELECT * FROM sys.objects WHERE object_id = OBJECT_ID(N'[dbo].[a]') AND type in (N'U'))\n"
        "BEGIN\nCREATE TABLE [dbo].[a](\n\t[id] [int] NOT NULL,\n CONSTRAINT [PK_a] PRIMARY KEY CLUSTERED ([id] ASC)\n"
        ") ON [PRIMARY]\nEND\nGO\n"
        "IF OBJECT_ID('dbo.b') IS NULL\nBEGIN\n"
        "    CREATE TABLE dbo.b (id INT PRIMARY KEY, a_id INT REFERENCES dbo.a(id));\n"
        "    CREATE TABLE dbo.c (id INT PRIMARY KEY);\nEND;\nGO\n"
    )
    parsed = parse_sql(ddl, "if.sql", dialect="tsql", default_schema="dbo")
    found = tables(parsed)
    assert sorted(found) == ["a", "b", "c"]
    assert found["a"].primary_key is not None and found["a"].primary_key.columns == ["id"]
    assert [(f.columns, f.ref_table) for f in found["b"].foreign_keys] == [(["a_id"], "a")]
    assert found["b"].span is not None and found["b"].span.line == 11
    assert not parsed.findings


def test_tsql_if_block_with_else_is_still_a_warning() -> None:
    ddl = "IF 1 = 1\nBEGIN\nCREATE TABLE a (id INT)\nEND\nELSE\nBEGIN\nCREATE TABLE b (id INT)\nEND\nGO\n"
    parsed = parse_sql(ddl, "if.sql", dialect="tsql")
    assert [(f.rule, f.severity) for f in parsed.findings if f.severity != "info"] == [
        ("sql.statement.skipped", "warn")
    ]
