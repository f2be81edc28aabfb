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
