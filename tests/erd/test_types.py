"""The type-mapping tables: source types of each family -> Databricks SQL types."""

from __future__ import annotations

import pytest

from accelerator.erd.types import FAMILY_OVERRIDES, family_of, known_types, map_type, parse_type
from accelerator.errors import UnknownTypeError
from accelerator.model import Span


@pytest.mark.parametrize(
    ("family", "source", "expected"),
    [
        # common
        ("generic", "varchar(255)", "STRING"),
        ("generic", "character varying(20)", "STRING"),
        ("generic", "int", "INT"),
        ("generic", "bigint", "BIGINT"),
        ("generic", "boolean", "BOOLEAN"),
        ("generic", "date", "DATE"),
        ("generic", "timestamp with time zone", "TIMESTAMP"),
        ("generic", "timestamp(3) without time zone", "TIMESTAMP_NTZ"),
        ("generic", "double precision", "DOUBLE"),
        ("generic", "float(10)", "FLOAT"),
        ("generic", "float(53)", "DOUBLE"),
        ("generic", "blob", "BINARY"),
        ("generic", "geography", "STRING"),
        # postgres
        ("postgres", "timestamptz", "TIMESTAMP"),
        ("postgres", "timestamp", "TIMESTAMP_NTZ"),
        ("postgres", "jsonb", "STRING"),
        ("postgres", "uuid", "STRING"),
        ("postgres", "bytea", "BINARY"),
        ("postgres", "numeric", "DECIMAL(38,18)"),
        ("postgres", "bpchar", "STRING"),
        ("postgresql", "float", "DOUBLE"),
        # mysql
        ("mysql", "tinyint(1)", "BOOLEAN"),
        ("mysql", "tinyint(4)", "TINYINT"),
        ("mysql", "tinyint unsigned", "SMALLINT"),
        ("mysql", "int(11) unsigned", "BIGINT"),
        ("mysql", "bigint unsigned", "DECIMAL(20,0)"),
        ("mysql", "decimal", "DECIMAL(10,0)"),
        ("mysql", "datetime(6)", "TIMESTAMP_NTZ"),
        ("mysql", "timestamp", "TIMESTAMP"),
        ("mysql", "longtext", "STRING"),
        ("mysql", "mediumblob", "BINARY"),
        # tsql
        ("tsql", "nvarchar(max)", "STRING"),
        ("tsql", "datetime2(7)", "TIMESTAMP_NTZ"),
        ("tsql", "datetimeoffset", "TIMESTAMP"),
        ("tsql", "bit", "BOOLEAN"),
        ("tsql", "tinyint", "SMALLINT"),
        ("tsql", "money", "DECIMAL(19,4)"),
        ("tsql", "uniqueidentifier", "STRING"),
        ("tsql", "varbinary(max)", "BINARY"),
        ("tsql", "timestamp", "BINARY"),
        ("tsql", "decimal", "DECIMAL(18,0)"),
        ("tsql", "sql_variant", "STRING"),
        # snowflake
        ("snowflake", "number", "DECIMAL(38,0)"),
        ("snowflake", "number(12,2)", "DECIMAL(12,2)"),
        ("snowflake", "variant", "VARIANT"),
        ("snowflake", "object", "VARIANT"),
        ("snowflake", "array", "ARRAY<STRING>"),
        ("snowflake", "timestamp_ntz(9)", "TIMESTAMP_NTZ"),
        ("snowflake", "timestamp_ltz", "TIMESTAMP"),
        ("snowflake", "timestamp", "TIMESTAMP_NTZ"),
        # databricks
        ("databricks", "string", "STRING"),
        ("databricks", "decimal", "DECIMAL(10,0)"),
        ("databricks", "timestamp", "TIMESTAMP"),
        ("databricks", "timestamp_ntz", "TIMESTAMP_NTZ"),
        ("databricks", "variant", "VARIANT"),
        # duckdb
        ("duckdb", "hugeint", "DECIMAL(38,0)"),
        ("duckdb", "ubigint", "DECIMAL(20,0)"),
        ("duckdb", "utinyint", "SMALLINT"),
        ("duckdb", "float", "FLOAT"),
        ("duckdb", "decimal", "DECIMAL(18,3)"),
        ("duckdb", "timestamptz", "TIMESTAMP"),
        ("duckdb", "timestamp", "TIMESTAMP_NTZ"),
        # bigquery
        ("bigquery", "int64", "BIGINT"),
        ("bigquery", "int", "BIGINT"),
        ("bigquery", "float64", "DOUBLE"),
        ("bigquery", "numeric", "DECIMAL(38,9)"),
        ("bigquery", "bytes", "BINARY"),
        ("bigquery", "datetime", "TIMESTAMP_NTZ"),
        ("bigquery", "timestamp", "TIMESTAMP"),
        # oracle
        ("oracle", "number(10)", "DECIMAL(10,0)"),
        ("oracle", "number(*,0)", "DECIMAL(38,0)"),
        ("oracle", "varchar2(20 byte)", "STRING"),
        ("oracle", "date", "TIMESTAMP_NTZ"),
        ("oracle", "long", "STRING"),
        ("oracle", "binary_double", "DOUBLE"),
        ("oracle", "timestamp with local time zone", "TIMESTAMP"),
    ],
)
def test_family_types(family: str, source: str, expected: str) -> None:
    assert map_type(source, family=family).type == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("int[]", "ARRAY<INT>"),
        ("text[][]", "ARRAY<ARRAY<STRING>>"),
        ("array<string>", "ARRAY<STRING>"),
        ("ARRAY<ARRAY<INT>>", "ARRAY<ARRAY<INT>>"),
        ("map<string, int>", "MAP<STRING, INT>"),
        ("map<string, array<decimal(10,2)>>", "MAP<STRING, ARRAY<DECIMAL(10,2)>>"),
        ("struct<a: int, b: varchar(5)>", "STRUCT<a: INT, b: STRING>"),
        ("struct<a int64>", "STRUCT<a: BIGINT>"),
        ("array<struct<x: double, tags: array<string>>>", "ARRAY<STRUCT<x: DOUBLE, tags: ARRAY<STRING>>>"),
    ],
)
def test_nested_types(source: str, expected: str) -> None:
    family = "bigquery" if "int64" in source else "databricks"
    assert map_type(source, family=family).type == expected


def test_serial_types_are_identities() -> None:
    for source, expected in [("serial", "INT"), ("bigserial", "BIGINT"), ("smallserial", "SMALLINT")]:
        mapped = map_type(source, family="postgres")
        assert (mapped.type, mapped.identity) == (expected, True)
    assert not map_type("bigint", family="postgres").identity


def test_enums() -> None:
    inline = map_type("enum('a','it''s')", family="mysql")
    assert (inline.type, inline.allowed_values) == ("STRING", ["a", "it's"])
    declared = map_type("public.mood", family="postgres", enums={"mood": ["happy", "sad"]})
    assert (declared.type, declared.allowed_values) == ("STRING", ["happy", "sad"])
    assert map_type("mood[]", family="postgres", enums={"mood": ["x"]}).type == "ARRAY<STRING>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [("decimal(38,0)", "DECIMAL(38,0)"), ("decimal(1,1)", "DECIMAL(1,1)"), ("numeric(10)", "DECIMAL(10,0)")],
)
def test_decimal_bounds_accepted(source: str, expected: str) -> None:
    assert map_type(source).type == expected


@pytest.mark.parametrize("source", ["decimal(39,0)", "decimal(0,0)", "decimal(10,11)", "numeric(5,-1)"])
def test_decimal_bounds_rejected(source: str) -> None:
    span = Span(file="t.sql", line=4, column=9, end_line=4, end_column=9 + len(source))
    with pytest.raises(UnknownTypeError) as caught:
        map_type(source, span=span)
    assert (caught.value.file, caught.value.line, caught.value.column) == ("t.sql", 4, 9)
    assert "out of range" in caught.value.message


def test_unknown_type_lists_known_types() -> None:
    span = Span(file="erd.sql", line=3, column=7, end_line=3, end_column=13)
    with pytest.raises(UnknownTypeError) as caught:
        map_type("wibble", family="snowflake", span=span, source="x\ny\n  a   wibble\n")
    error = caught.value
    assert (error.file, error.line, error.column) == ("erd.sql", 3, 7)
    assert "'wibble'" in error.message and "snowflake" in error.message
    assert error.hint is not None and "variant" in error.hint and "varchar" in error.hint
    assert "wibble" in error.format()


def test_unknown_type_with_enums_suggests_declaring_one() -> None:
    with pytest.raises(UnknownTypeError) as caught:
        map_type("colour", family="postgres", enums={"mood": ["a"]})
    assert caught.value.hint is not None and "declare an enum named 'colour'" in caught.value.hint


def test_malformed_type_is_a_located_error() -> None:
    with pytest.raises(UnknownTypeError, match="expected"):
        map_type("varchar(10", family="postgres")


def test_families_and_known_types() -> None:
    assert family_of("PostgreSQL") == "postgres"
    assert family_of("mariadb") == "mysql"
    assert family_of("spark") == "databricks"
    assert family_of("something-else") == "generic"
    for family in FAMILY_OVERRIDES:
        names = known_types(family)
        assert names == sorted(names) and {"array", "map", "struct", "varchar"} <= set(names)
    assert "hugeint" in known_types("duckdb") and "hugeint" not in known_types("postgres")


def test_parse_type_tree() -> None:
    node = parse_type("timestamp(3) with time zone[]")
    assert (node.name, node.args, node.array_depth) == ("timestamp with time zone", ["3"], 1)
    unsigned = parse_type("int(11) unsigned")
    assert (unsigned.name, unsigned.unsigned) == ("int", True)
