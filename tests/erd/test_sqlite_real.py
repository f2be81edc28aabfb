"""SQLite stores every value of REAL affinity (REAL, FLOAT, DOUBLE, DOUBLE PRECISION, FLOAT(n), and
any type name with REAL, FLOA or DOUB in it: datatype3.html, 3.1) as an 8-byte IEEE float, so each
is Databricks' DOUBLE; in PostgreSQL and Databricks REAL stays the 4-byte FLOAT."""

from __future__ import annotations

import pytest

from accelerator.erd.sql.reader import parse_sql
from accelerator.erd.types import map_type

DDL = (
    "CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  a REAL,\n  b FLOAT,\n  c DOUBLE,\n"
    "  d DOUBLE PRECISION,\n  e FLOAT(10),\n  f FLOATING POINT NOT NULL,\n  g NUMERIC(10,2),\n  h REAL NUMBER\n);\n"
)


def types(dialect: str) -> dict[str, str]:
    parsed = parse_sql(DDL, "t.sql", dialect=dialect)
    [table] = [t for s in parsed.schemas for t in s.tables]
    return {c.name: c.type for c in table.columns}


def test_sqlite_real_affinity_is_double() -> None:
    assert types("sqlite") == {
        "id": "BIGINT",
        "a": "DOUBLE",
        "b": "DOUBLE",
        "c": "DOUBLE",
        "d": "DOUBLE",
        "e": "DOUBLE",
        "f": "BIGINT",  # POINT has INT in it: INTEGER affinity, as SQLite documents
        "g": "DECIMAL(10,2)",
        "h": "DOUBLE",  # a name of several words, read by its affinity
    }


@pytest.mark.parametrize("family", ["postgres", "databricks", "generic"])
def test_real_stays_a_4_byte_float_elsewhere(family: str) -> None:
    assert map_type("real", family=family).type == "FLOAT"
    assert map_type("real", family="sqlite").type == "DOUBLE"
