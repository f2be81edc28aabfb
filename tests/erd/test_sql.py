"""The SQL DDL parser: the model it builds per dialect, exact spans, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.erd.parsed import ParsedErd
from accelerator.erd.sql.reader import SUPPORTED_DIALECTS, parse_sql
from accelerator.errors import AcceleratorError, ErdSyntaxError, ModelError, UnknownTypeError
from accelerator.model import Column, ForeignKey, PrimaryKey, Span, Table, UniqueKey
from accelerator.model.build import build_project

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail" / "erd" / "retail.sql"


def text_at(source: str, span: Span | None) -> str:
    """The source text a span covers (lines and columns 1-based, end exclusive)."""
    assert span is not None
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: span.line - 1]) + span.column - 1
    end = sum(len(line) for line in lines[: span.end_line - 1]) + span.end_column - 1
    return source[start:end]


def table(parsed: ParsedErd, schema: str, name: str) -> Table:
    found = next(s for s in parsed.schemas if s.name == schema).table(name)
    assert found is not None, f"{schema}.{name} not parsed"
    return found


def column(found: Table, name: str) -> Column:
    result = found.column(name)
    assert result is not None, f"{found.name}.{name} not parsed"
    return result


def assert_spans_exact(parsed: ParsedErd) -> None:
    """Every table, column and key has a span, and each name span covers the name as written."""
    for schema in parsed.schemas:
        for tbl in schema.tables:
            assert text_at(parsed.source, tbl.name_span) == tbl.name
            assert text_at(parsed.source, tbl.span).upper().startswith(("CREATE", "ALTER"))
            for col in tbl.columns:
                assert text_at(parsed.source, col.name_span) == col.name
                assert text_at(parsed.source, col.span).lstrip('`["').startswith(col.name)
            keys: list[PrimaryKey | UniqueKey | ForeignKey] = [tbl.primary_key] if tbl.primary_key else []
            for key in [*keys, *tbl.unique_keys, *tbl.foreign_keys]:
                assert key.span is not None
                if key.name is not None:
                    assert text_at(parsed.source, key.name_span) == key.name


# -- the retail example (postgres) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def retail() -> ParsedErd:
    return parse_sql(RETAIL.read_text(), "erd/retail.sql")


def test_retail_schemas_and_tables(retail: ParsedErd) -> None:
    assert [s.name for s in retail.schemas] == ["crm", "sales"]
    assert [[t.name for t in s.tables] for s in retail.schemas] == [
        ["customers", "addresses"],
        ["products", "orders", "order_items"],
    ]
    assert retail.findings == []


def test_retail_keys(retail: ParsedErd) -> None:
    customers = table(retail, "crm", "customers")
    assert customers.primary_key is not None and customers.primary_key.columns == ["customer_id"]
    assert [u.columns for u in customers.unique_keys] == [["email"]]
    items = table(retail, "sales", "order_items")
    assert items.primary_key is not None and items.primary_key.columns == ["order_id", "line_number"]
    assert not column(items, "order_id").nullable and not column(items, "line_number").nullable
    assert column(items, "quantity").nullable
    fks = [(f.columns, f.ref_schema, f.ref_table, f.ref_columns) for f in items.foreign_keys]
    assert fks == [
        (["order_id"], "sales", "orders", ["order_id"]),  # from ALTER TABLE
        (["product_id"], "sales", "products", ["product_id"]),
    ]
    orders = table(retail, "sales", "orders")  # inline REFERENCES
    assert [(f.ref_schema, f.ref_table, f.ref_columns) for f in orders.foreign_keys] == [
        ("crm", "customers", ["customer_id"])
    ]
    addresses = table(retail, "crm", "addresses")
    assert [f.ref_table for f in addresses.foreign_keys] == ["customers"]
    assert text_at(retail.source, addresses.foreign_keys[0].span).startswith("ADD FOREIGN KEY (customer_id)")


def test_retail_types_and_comments(retail: ParsedErd) -> None:
    customers = table(retail, "crm", "customers")
    assert customers.comment == "People who buy from us"
    assert column(customers, "email").comment == "Login and contact email"
    assert [(c.name, c.type) for c in customers.columns] == [
        ("customer_id", "BIGINT"),
        ("email", "STRING"),
        ("phone", "STRING"),
        ("full_name", "STRING"),
        ("birth_date", "DATE"),
        ("created_at", "TIMESTAMP"),
    ]
    assert column(table(retail, "sales", "products"), "unit_price").type == "DECIMAL(10,2)"
    assert column(table(retail, "crm", "addresses"), "city").comment is None


def test_retail_spans_exact(retail: ParsedErd) -> None:
    assert_spans_exact(retail)
    customers = table(retail, "crm", "customers")
    assert customers.name_span == Span(file="erd/retail.sql", line=5, column=18, end_line=5, end_column=27)
    assert text_at(retail.source, customers.span).startswith("CREATE TABLE crm.customers (")
    assert text_at(retail.source, customers.span).endswith("created_at timestamptz\n)")
    assert text_at(retail.source, column(customers, "email").span) == "email varchar(255) UNIQUE"
    assert text_at(retail.source, customers.unique_keys[0].span) == "UNIQUE"
    orders = table(retail, "sales", "orders")
    assert text_at(retail.source, orders.foreign_keys[0].span) == "REFERENCES crm.customers (customer_id)"
    items = table(retail, "sales", "order_items")
    assert items.primary_key is not None
    assert text_at(retail.source, items.primary_key.span) == "PRIMARY KEY (order_id, line_number)"


def test_retail_builds_a_valid_project(retail: ParsedErd) -> None:
    project = build_project("retail", [("retail", retail)])
    assert len(project.iter_tables()) == 5


# -- one test per dialect family -------------------------------------------------------------------

POSTGRES = """\
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE TABLE app.events (
    id serial PRIMARY KEY,
    big_id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5),
    seq_id integer DEFAULT nextval('app.events_seq_id_seq'::regclass) NOT NULL,
    happened_at timestamptz NOT NULL DEFAULT now(),
    local_at timestamp without time zone,
    payload jsonb,
    token uuid DEFAULT gen_random_uuid(),
    tags text[],
    mood app.mood,
    status varchar(20) DEFAULT 'new'::character varying,
    ratio double precision,
    "Display Name" text,
    CONSTRAINT events_status_ck CHECK (status <> '')
);
CREATE INDEX events_mood ON app.events (mood);
COMMENT ON COLUMN app.events."Display Name" IS 'shown in the UI';
"""


def test_postgres_family() -> None:
    parsed = parse_sql(POSTGRES, "pg.sql")
    events = table(parsed, "app", "events")
    types = {c.name: c.type for c in events.columns}
    assert types == {
        "id": "INT",
        "big_id": "BIGINT",
        "seq_id": "INT",
        "happened_at": "TIMESTAMP",
        "local_at": "TIMESTAMP_NTZ",
        "payload": "STRING",
        "token": "STRING",
        "tags": "ARRAY<STRING>",
        "mood": "STRING",
        "status": "STRING",
        "ratio": "DOUBLE",
        "Display Name": "STRING",
    }
    serial = column(events, "id")
    assert serial.identity is not None and not serial.identity.always and not serial.nullable
    big = column(events, "big_id").identity
    assert big is not None and (big.always, big.start, big.increment) == (True, 10, 5)
    sequence = column(events, "seq_id")  # nextval() is an identity, not a default
    assert sequence.identity is not None and sequence.default is None
    assert column(events, "happened_at").default == "CURRENT_TIMESTAMP()"
    assert column(events, "status").default == "'new'"
    assert column(events, "mood").allowed_values == ["happy", "sad"]
    assert column(events, "Display Name").comment == "shown in the UI"
    assert column(events, "payload").source_type == "jsonb"
    # the CHECK is kept (tests/erd/test_sql_checks.py), the index is skipped (an info)
    assert [(c.name, c.expression) for c in events.checks] == [("events_status_ck", "status <> ''")]
    assert [(f.rule, f.severity) for f in parsed.findings] == [("sql.statement.skipped", "info")]
    assert_spans_exact(parsed)
    assert text_at(POSTGRES, column(events, "Display Name").name_span) == "Display Name"


MYSQL = """\
CREATE DATABASE shop;
USE shop;
CREATE TABLE `customers` (
  `id` int unsigned NOT NULL AUTO_INCREMENT COMMENT 'the key',
  `active` tinyint(1) NOT NULL DEFAULT '1',
  `level` tinyint,
  `tier` ENUM('gold','silver') DEFAULT 'silver',
  `visits` bigint unsigned,
  `seen_at` datetime(6) DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `price` decimal(10,2),
  `note` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_tier` (`tier`),
  KEY `ix_level` (`level`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Who buys';
CREATE TABLE `shop`.`orders` (
  `id` int NOT NULL,
  `customer_id` int unsigned,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE
);
"""


def test_mysql_family() -> None:
    parsed = parse_sql(MYSQL, "my.sql", dialect="mysql")
    assert [s.name for s in parsed.schemas] == ["shop"]  # the database is the schema
    customers = table(parsed, "shop", "customers")
    assert customers.comment == "Who buys"
    key = column(customers, "id")
    assert (key.type, key.comment, key.nullable) == ("BIGINT", "the key", False)
    assert key.identity is not None and not key.identity.always
    assert column(customers, "active").type == "BOOLEAN"
    assert column(customers, "level").type == "TINYINT"
    tier = column(customers, "tier")
    assert (tier.type, tier.allowed_values, tier.default) == ("STRING", ["gold", "silver"], "'silver'")
    assert column(customers, "visits").type == "DECIMAL(20,0)"
    assert column(customers, "seen_at").type == "TIMESTAMP_NTZ"
    assert [(u.name, u.columns) for u in customers.unique_keys] == [("uq_tier", ["tier"])]
    orders = table(parsed, "shop", "orders")
    fk = orders.foreign_keys[0]
    assert (fk.name, fk.ref_schema, fk.ref_table, fk.ref_columns) == (
        "fk_customer",
        "shop",
        "customers",
        ["id"],
    )
    assert_spans_exact(parsed)
    assert text_at(MYSQL, key.name_span) == "id" and text_at(MYSQL, key.span).startswith("`id` int unsigned")


TSQL = """\
CREATE TABLE [dbo].[Customer](
\t[CustomerId] [int] IDENTITY(1,1) NOT NULL,
\t[Name] [nvarchar](100) NOT NULL,
\t[Notes] NVARCHAR(MAX) NULL,
\t[CreatedAt] DATETIME2(7) NOT NULL DEFAULT (getdate()),
\t[IsActive] BIT NOT NULL DEFAULT ((1)),
\t[Rowguid] uniqueidentifier,
\t[Level] tinyint,
\t[Balance] money,
 CONSTRAINT [PK_Customer] PRIMARY KEY CLUSTERED ([CustomerId] ASC)
 WITH (PAD_INDEX = OFF) ON [PRIMARY]
) ON [PRIMARY] TEXTIMAGE_ON [PRIMARY]
GO
CREATE TABLE [dbo].[Order]([OrderId] [int] NOT NULL, [CustomerId] [int] NULL)
GO
ALTER TABLE [dbo].[Order] WITH CHECK ADD CONSTRAINT [FK_Order_Customer] FOREIGN KEY([CustomerId])
REFERENCES [dbo].[Customer] ([CustomerId])
GO
ALTER TABLE [dbo].[Order] CHECK CONSTRAINT [FK_Order_Customer]
GO
"""


def test_tsql_family() -> None:
    parsed = parse_sql(TSQL, "ms.sql", dialect="tsql", default_schema="dbo")
    customer = table(parsed, "dbo", "Customer")
    types = {c.name: c.type for c in customer.columns}
    assert types == {
        "CustomerId": "INT",
        "Name": "STRING",
        "Notes": "STRING",
        "CreatedAt": "TIMESTAMP_NTZ",
        "IsActive": "BOOLEAN",
        "Rowguid": "STRING",
        "Level": "SMALLINT",
        "Balance": "DECIMAL(19,4)",
    }
    identity = column(customer, "CustomerId").identity
    assert identity is not None and (identity.start, identity.increment) == (1, 1)
    assert column(customer, "CreatedAt").default == "CURRENT_TIMESTAMP()"
    assert column(customer, "IsActive").default == "1"
    assert customer.primary_key is not None
    assert (customer.primary_key.name, customer.primary_key.columns) == ("PK_Customer", ["CustomerId"])
    order = table(parsed, "dbo", "Order")
    assert [(f.name, f.ref_table, f.ref_columns) for f in order.foreign_keys] == [
        ("FK_Order_Customer", "Customer", ["CustomerId"])
    ]
    assert_spans_exact(parsed)
    assert text_at(TSQL, order.name_span) == "Order"  # inside [brackets]
    assert [f.severity for f in parsed.findings] == ["info"]  # CHECK CONSTRAINT: nothing to keep


SNOWFLAKE = """\
CREATE SCHEMA analytics.core;
CREATE OR REPLACE TABLE analytics.core.events (
    id NUMBER(38,0) AUTOINCREMENT START 1 INCREMENT 1 PRIMARY KEY,
    amount NUMBER,
    price NUMBER(12,2),
    payload VARIANT,
    attributes OBJECT,
    tags ARRAY,
    loaded_at TIMESTAMP_NTZ(9),
    seen_at TIMESTAMP_LTZ,
    label VARCHAR COMMENT 'free text'
) COMMENT = 'Raw events';
"""


def test_snowflake_family() -> None:
    parsed = parse_sql(SNOWFLAKE, "sf.sql", dialect="snowflake")
    events = table(parsed, "core", "events")  # database.schema.table keeps the schema
    assert events.comment == "Raw events"
    assert {c.name: c.type for c in events.columns} == {
        "id": "DECIMAL(38,0)",
        "amount": "DECIMAL(38,0)",
        "price": "DECIMAL(12,2)",
        "payload": "VARIANT",
        "attributes": "VARIANT",
        "tags": "ARRAY<STRING>",
        "loaded_at": "TIMESTAMP_NTZ",
        "seen_at": "TIMESTAMP",
        "label": "STRING",
    }
    assert column(events, "label").comment == "free text"
    identity = column(events, "id").identity
    assert identity is not None and (identity.start, identity.increment) == (1, 1)
    assert_spans_exact(parsed)


DATABRICKS = """\
CREATE SCHEMA IF NOT EXISTS lake COMMENT 'The lake';
CREATE TABLE lake.readings (
  id BIGINT GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 1),
  device STRING NOT NULL COMMENT 'serial number',
  labels ARRAY<STRING>,
  metrics MAP<STRING, DOUBLE>,
  location STRUCT<lat: DOUBLE, lon: DOUBLE>,
  nested ARRAY<STRUCT<name: STRING, values: ARRAY<INT>>>,
  amount DECIMAL(18, 4),
  read_at TIMESTAMP_NTZ,
  CONSTRAINT readings_pk PRIMARY KEY (id)
) USING DELTA COMMENT 'Sensor readings' TBLPROPERTIES ('delta.appendOnly' = 'true');
"""


def test_databricks_family() -> None:
    parsed = parse_sql(DATABRICKS, "dbx.sql", dialect="databricks")
    assert parsed.schemas[0].comment == "The lake"
    readings = table(parsed, "lake", "readings")
    assert readings.comment == "Sensor readings"
    assert {c.name: c.type for c in readings.columns} == {
        "id": "BIGINT",
        "device": "STRING",
        "labels": "ARRAY<STRING>",
        "metrics": "MAP<STRING, DOUBLE>",
        "location": "STRUCT<lat: DOUBLE, lon: DOUBLE>",
        "nested": "ARRAY<STRUCT<name: STRING, values: ARRAY<INT>>>",
        "amount": "DECIMAL(18,4)",
        "read_at": "TIMESTAMP_NTZ",
    }
    identity = column(readings, "id").identity
    assert identity is not None and identity.always and (identity.start, identity.increment) == (1, 1)
    assert column(readings, "metrics").source_type == "MAP<STRING, DOUBLE>"
    assert readings.primary_key is not None and readings.primary_key.name == "readings_pk"
    assert_spans_exact(parsed)


DUCKDB = """\
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY,
    total HUGEINT,
    hits UBIGINT,
    ratio FLOAT,
    amount DECIMAL,
    point STRUCT(x DOUBLE, y DOUBLE),
    counts MAP(VARCHAR, INTEGER),
    samples DOUBLE[],
    at TIMESTAMPTZ,
    raw BLOB
);
"""


def test_duckdb_family() -> None:
    parsed = parse_sql(DUCKDB, "duck.sql", dialect="duckdb", default_schema="main")
    measurements = table(parsed, "main", "measurements")
    assert {c.name: c.type for c in measurements.columns} == {
        "id": "INT",
        "total": "DECIMAL(38,0)",
        "hits": "DECIMAL(20,0)",
        "ratio": "FLOAT",
        "amount": "DECIMAL(18,3)",
        "point": "STRUCT<x: DOUBLE, y: DOUBLE>",  # read through sqlglot: DuckDB spells it with ()
        "counts": "MAP<STRING, INT>",
        "samples": "ARRAY<DOUBLE>",
        "at": "TIMESTAMP",
        "raw": "BINARY",
    }
    assert column(measurements, "point").source_type == "STRUCT(x DOUBLE, y DOUBLE)"
    assert_spans_exact(parsed)


@pytest.mark.parametrize(
    ("dialect", "ddl", "expected"),
    [
        ("bigquery", "CREATE TABLE ds.t (a INT64, b FLOAT64, c BYTES, d NUMERIC, e STRUCT<x INT64>)", None),
        (
            "oracle",
            "CREATE TABLE hr.t (a NUMBER(10), b VARCHAR2(20 BYTE), c DATE, d NUMBER(*,0), e CLOB)",
            None,
        ),
        ("sqlite", "CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT, c REAL, d BLOB)", None),
    ],
)
def test_other_dialects_read(dialect: str, ddl: str, expected: None) -> None:
    parsed = parse_sql(ddl, "x.sql", dialect=dialect)
    types = [c.type for s in parsed.schemas for t in s.tables for c in t.columns]
    assert (
        types
        == {
            "bigquery": ["BIGINT", "DOUBLE", "BINARY", "DECIMAL(38,9)", "STRUCT<x: BIGINT>"],
            "oracle": ["DECIMAL(10,0)", "STRING", "TIMESTAMP_NTZ", "DECIMAL(38,0)", "STRING"],
            "sqlite": ["BIGINT", "STRING", "DOUBLE", "BINARY"],
        }[dialect]
    )
    assert_spans_exact(parsed)


# -- statements and clauses ----------------------------------------------------------------------


def test_alter_table_adds_keys_and_columns() -> None:
    ddl = """\
CREATE TABLE a (id int, code text, other_id int);
CREATE TABLE b (id int PRIMARY KEY);
ALTER TABLE a ADD CONSTRAINT a_pk PRIMARY KEY (id), ADD UNIQUE (code);
ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (other_id) REFERENCES b;
ALTER TABLE a ADD COLUMN note varchar(10) NOT NULL;
ALTER TABLE a OWNER TO admin;
"""
    parsed = parse_sql(ddl, "alter.sql", default_schema="public")
    a = table(parsed, "public", "a")
    assert a.primary_key is not None and (a.primary_key.name, a.primary_key.columns) == ("a_pk", ["id"])
    assert not column(a, "id").nullable
    assert [u.columns for u in a.unique_keys] == [["code"]]
    assert text_at(ddl, a.unique_keys[0].span) == "ADD UNIQUE (code)"
    fk = a.foreign_keys[0]
    assert (fk.name, fk.ref_table, fk.ref_columns) == ("a_b_fk", "b", ["id"])  # b's primary key
    assert text_at(ddl, fk.name_span) == "a_b_fk"
    note = column(a, "note")
    assert (note.type, note.nullable, text_at(ddl, note.span)) == (
        "STRING",
        False,
        "note varchar(10) NOT NULL",
    )
    assert [(f.rule, f.severity) for f in parsed.findings] == [("sql.statement.skipped", "info")]


def test_pg_dump_sequence_default_becomes_identity() -> None:
    ddl = """\
CREATE TABLE public.t (id integer NOT NULL, name text);
CREATE SEQUENCE public.t_id_seq START WITH 1;
ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;
ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);
ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);
SET statement_timeout = 0;
"""
    parsed = parse_sql(ddl, "dump.sql")
    t = table(parsed, "public", "t")
    assert column(t, "id").identity is not None and column(t, "id").default is None
    assert t.primary_key is not None and t.primary_key.name == "t_pkey"
    assert {f.message.split(" statement")[0] for f in parsed.findings} == {
        "CREATE SEQUENCE",
        "ALTER SEQUENCE",
    }


def test_default_without_databricks_equivalent_is_dropped_with_a_warning() -> None:
    parsed = parse_sql("CREATE TABLE t (a text DEFAULT my_func(1), b int DEFAULT 1 + 2);", "d.sql")
    t = table(parsed, "default", "t")
    assert column(t, "a").default is None and column(t, "b").default == "1 + 2"
    assert [(f.rule, f.severity, f.object) for f in parsed.findings] == [
        ("sql.default.untranslatable", "warn", "a")
    ]


def test_unqualified_tables_use_default_schema_and_use_statement() -> None:
    parsed = parse_sql(
        "CREATE TABLE t (a int);\nUSE SCHEMA s2;\nCREATE TABLE u (a int);", "u.sql", dialect="snowflake"
    )
    assert [(s.name, [t.name for t in s.tables]) for s in parsed.schemas] == [
        ("default", ["t"]),
        ("s2", ["u"]),
    ]


def test_unread_alter_table_warns_only_when_it_declares_a_key() -> None:
    ddl = "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i;\nALTER TABLE t OWNER TO x;"
    parsed = parse_sql(ddl, "w.sql")
    assert [(f.severity, f.line) for f in parsed.findings] == [("warn", 2), ("info", 3)]


# -- errors ---------------------------------------------------------------------------------------


def test_syntax_error_is_located() -> None:
    ddl = "CREATE TABLE t (\n  a int\n  b int\n);"
    with pytest.raises(ErdSyntaxError) as caught:
        parse_sql(ddl, "bad.sql")
    error = caught.value
    assert (error.file, error.line, error.column) == ("bad.sql", 3, 3)
    assert "expected )" in error.message and "'b'" in error.message
    assert error.hint and "postgres" in error.hint
    assert "   3 |   b int" in error.format()


def test_unterminated_string_is_located() -> None:
    with pytest.raises(ErdSyntaxError) as caught:
        parse_sql("CREATE TABLE t (\n  a text DEFAULT 'oops\n);", "bad.sql")
    assert (caught.value.line, caught.value.column) == (2, 18)
    assert "no closing '" in caught.value.message


def test_unknown_type_is_located_at_the_type() -> None:
    with pytest.raises(UnknownTypeError) as caught:
        parse_sql("CREATE TABLE t (\n  a int,\n  b wibble(3)\n);", "types.sql")
    error = caught.value
    assert (error.file, error.line, error.column) == ("types.sql", 3, 5)
    assert "wibble" in error.message and error.hint and "varchar" in error.hint


def test_comment_on_a_missing_table_is_a_model_error() -> None:
    with pytest.raises(ModelError) as caught:
        parse_sql("CREATE TABLE t (a int);\nCOMMENT ON TABLE s.t IS 'x';", "c.sql")
    assert (caught.value.line, caught.value.column) == (2, 20)
    assert "s.t" in caught.value.message


def test_comment_on_a_missing_column_is_a_model_error() -> None:
    with pytest.raises(ModelError) as caught:
        parse_sql("CREATE TABLE t (name int);\nCOMMENT ON COLUMN t.nmae IS 'x';", "c.sql")
    assert (caught.value.line, caught.value.column) == (2, 21)
    assert caught.value.hint == "did you mean name?"


def test_alter_of_a_missing_table_is_a_model_error() -> None:
    with pytest.raises(ModelError) as caught:
        parse_sql("CREATE TABLE t (a int);\nALTER TABLE tt ADD PRIMARY KEY (a);", "a.sql")
    assert (caught.value.line, caught.value.column) == (2, 13)


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        ("CREATE TABLE t (a int PRIMARY KEY, PRIMARY KEY (a));", "second primary key"),
        ("CREATE TABLE t (a int);\nCREATE TABLE T (a int);", "defined twice"),
        ("CREATE TABLE t (a int REFERENCES u);", "without naming columns"),
    ],
)
def test_model_errors(ddl: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_sql(ddl, "m.sql")


def test_create_table_sqlglot_cannot_read_is_a_located_error() -> None:
    with pytest.raises(ErdSyntaxError) as caught:
        parse_sql("SELECT 1;\nCREATE TABLE t (a int) WEIRD STUFF;", "w.sql")
    assert (caught.value.line, caught.value.column) == (2, 1)


def test_unsupported_dialect_lists_the_dialects() -> None:
    with pytest.raises(AcceleratorError) as caught:
        parse_sql("CREATE TABLE t (a int);", "x.sql", dialect="klingon")
    assert "klingon" in caught.value.message
    assert caught.value.hint is not None and "postgres" in caught.value.hint and "tsql" in caught.value.hint
    assert "snowflake" in SUPPORTED_DIALECTS


# -- the fast reading of plain comments ---------------------------------------------------------

COMMENTED = "CREATE TABLE s.t (id int PRIMARY KEY, name text, type int);\n"
COMMENT_CASES = [
    "COMMENT ON TABLE s.t IS 'a';\ncomment on column S.T.ID is 'b' ;\n",
    "/* COMMENT ON TABLE s.t IS 'hidden'; */\nCOMMENT ON COLUMN s.t.id IS 'n';\n",
    "-- COMMENT ON TABLE s.t IS 'hidden';\nCOMMENT ON COLUMN s.t.id IS 'n';\n",
    "COMMENT ON COLUMN s.t.id IS 'n'; -- trailing\nCOMMENT ON TABLE s.t IS 'x';\n",
    "INSERT INTO s.t VALUES (1, 'COMMENT ON TABLE s.t IS ''x'';');\nCOMMENT ON COLUMN s.t.id IS 'n';\n",
    "SELECT $$\nCOMMENT ON TABLE s.t IS 'in a dollar string';\n$$;\nCOMMENT ON COLUMN s.t.id IS 'n';\n",
    "COMMENT ON COLUMN s.t.type IS 'a keyword';\nCOMMENT ON COLUMN s.t.id IS 'n';\n",
    "COMMENT ON COLUMN s.t.id IS 'n';\nCOMMENT ON COLUMN s.t.nope IS 'no such column';\n",
    "COMMENT ON COLUMN s.t.id IS 'n';\nCOMMENT ON TABLE s.nope IS 'no such table';\n",
    "COMMENT ON COLUMN s.t.id IS 'n';\nCREATE TABLE u (a int\n b int);\n",
    "COMMENT ON COLUMN s.t.id IS 'n';\nCREATE TYPE mood AS ENUM ('a');\nCREATE TABLE s.u (m mood);\n",
    "COMMENT ON COLUMN s.t.id IS 'two\nlines';\nCOMMENT ON COLUMN s.t.name IS 'it''s';\n",
    "COMMENT ON COLUMN s.t.id IS 'n';COMMENT ON COLUMN s.t.name IS 'm';ALTER TABLE s.t ADD COLUMN z int;\n"
    "COMMENT ON COLUMN s.t.z IS 'z';\nCOMMENT ON COLUMN s.t.id IS 'unterminated;\n",
]


def read_plainly(ddl: str, dialect: str) -> object:
    """What the reader makes of `ddl` with every statement tokenized and parsed by sqlglot: neither
    the comment lane (`CommentLane`) nor the plain comments read from tokens."""
    from accelerator.erd.sql import reader, source

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(source.CommentLane, "for_tokenizer", classmethod(lambda cls, tokenizer, tokenize: None))
        patch.setattr(reader, "reads_comments_plainly", lambda parser: False)
        return outcome(lambda: parse_sql(ddl, "c.sql", dialect=dialect))


def outcome(read: object) -> object:
    try:
        parsed = read()  # type: ignore[operator]
    except AcceleratorError as error:
        return (type(error).__name__, error.format())
    assert isinstance(parsed, ParsedErd)
    spans = [
        (c.name, c.span, c.name_span, c.comment) for s in parsed.schemas for t in s.tables for c in t.columns
    ]
    tables = [(t.name, t.span, t.comment) for s in parsed.schemas for t in s.tables]
    return [s.model_dump() for s in parsed.schemas], spans, tables, parsed.findings


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "databricks", "sqlite", "trino", "snowflake"])
@pytest.mark.parametrize("case", COMMENT_CASES)
def test_plain_comments_read_fast_as_sqlglot_reads_them(dialect: str, case: str) -> None:
    ddl = COMMENTED + case
    assert outcome(lambda: parse_sql(ddl, "c.sql", dialect=dialect)) == read_plainly(ddl, dialect)


def test_plain_comments_of_a_big_file_read_fast_as_sqlglot_reads_them() -> None:
    ddl = "\n".join(
        f"CREATE TABLE s{i % 3}.t{i} (id int PRIMARY KEY, a_{i} text);\n"
        f"COMMENT ON TABLE s{i % 3}.t{i} IS 'table {i}';\nCOMMENT ON COLUMN s{i % 3}.t{i}.a_{i} IS 'a {i}';"
        for i in range(30)
    )
    from accelerator.erd.sql import reader

    plain_reads: list[object] = []
    with pytest.MonkeyPatch.context() as patch:  # the tokenized read is the lane's fallback: unused here
        patch.setattr(reader, "split_statements", lambda *args, **kwargs: plain_reads.append(args))
        fast = outcome(lambda: parse_sql(ddl, "c.sql"))
    assert not plain_reads
    assert fast == read_plainly(ddl, "postgres")


def test_the_sqlglot_internals_the_comment_lane_reads_exist() -> None:
    """The comment lane and the plain comment reading check dialects through sqlglot's private
    names; pyproject.toml pins sqlglot's major version, and a sqlglot without them fails here."""
    from sqlglot.parser import Parser
    from sqlglot.tokens import Tokenizer

    from accelerator.erd.sql.source import COMMENT_METHODS, TOKENIZER_INTERNALS

    missing = [f"Parser.{name}" for name in COMMENT_METHODS if not callable(getattr(Parser, name, None))]
    missing += [f"Tokenizer.{name}" for name in TOKENIZER_INTERNALS if not hasattr(Tokenizer, name)]
    assert not missing, (
        f"this sqlglot lacks {', '.join(missing)}: update accelerator/erd/sql/source.py "
        "(COMMENT_METHODS, TOKENIZER_INTERNALS, CommentLane) and the sqlglot pin in pyproject.toml"
    )
    assert Tokenizer._QUOTES.get("'") == "'"  # type: ignore[attr-defined]


# -- speed ----------------------------------------------------------------------------------------


def synthetic_ddl(tables: int, columns: int) -> str:
    statements = []
    for index in range(tables):
        lines = ["    id bigint PRIMARY KEY"]
        lines += [f"    col_{c} varchar(100) NOT NULL DEFAULT 'x'" for c in range(1, columns - 1)]
        lines.append(f"    parent_id bigint REFERENCES s.t_{max(index - 1, 0)} (id)")
        statements.append(f"CREATE TABLE s.t_{index} (\n" + ",\n".join(lines) + "\n);")
    return "\n".join(statements)


def test_a_large_synthetic_ddl_is_read_whole() -> None:
    """The timing of 1,000 x 20 is `benchmarks/bench_plan.py --formats sql`; this checks what it reads."""
    parsed = parse_sql(synthetic_ddl(50, 20), "big.sql")
    tables = parsed.schemas[0].tables
    assert len(tables) == 50 and sum(len(t.columns) for t in tables) == 1000
    assert tables[1].foreign_keys[0].ref_table == "t_0"
