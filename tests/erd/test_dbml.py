"""The DBML parser: the model it builds, the exact spans it keeps, and the located errors it raises."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from accelerator.erd.dbml.check import check_with_pydbml
from accelerator.erd.dbml.reader import MANY_TO_MANY_RULE, parse_dbml
from accelerator.erd.dbml.syntax import DbmlDocument, parse_dbml_syntax
from accelerator.erd.parsed import ParsedErd
from accelerator.errors import AcceleratorError, ErdSyntaxError, ModelError, SourceError, UnknownTypeError
from accelerator.model import Column, Span, Table
from accelerator.model.build import build_project

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail" / "erd" / "retail.dbml"

FEATURES = """\
Project shop {
  database_type: 'Databricks'
  Note: '''
    Multi-line {project} note
  '''
}

// enums can live in a schema
enum sales.order_status {
  placed
  shipped [note: 'left the warehouse']
  "in progress"
}

Table sales.orders as O [headercolor: #3498db, note: 'overridden by the body note'] {
  id bigserial [pk]
  status sales.order_status [not null, default: 'placed']
  tags array<string>
  attributes map<string,int>
  amount decimal(10,2) [default: 0.5]
  line_numbers int[]
  placed_at "timestamp with time zone" [default: `now()`]
  is_gift boolean [default: false, null]
  counter int [increment, unique]
  legacy_code varchar [default: null]
  retries int [default: 3]
  motto varchar [default: 'it\\'s']
  customer_id bigint [ref: > crm.customers.id, note: 'who ordered']
  Note {
    'Orders placed by customers'
  }
}

Table crm.customers {
  id bigint [primary key]
  email varchar(255) [unique, not null]
  referrer_id bigint [ref: - crm.customers.id]
  region_code char(2)
  country_code char(2)
  Note: 'People who buy'
}

Table crm.regions {
  region_code char(2) [ref: < crm.customers.region_code]
  country_code char(2)
  name varchar
  indexes {
    (country_code, region_code) [pk, name: 'pk_regions']
    name [unique]
    (name, country_code) [unique, name: 'uq_name_country']
    `lower(name)` [type: btree]
    country_code
  }
}

Table crm.tags {
  id int [pk]
  label varchar
}

Ref customers_regions: crm.customers.(country_code, region_code) > crm.regions.(country_code, region_code) [delete: cascade]
Ref {
  O.id <> crm.tags.id
}

TableGroup crm_group [color: #abc] {
  crm.customers
  crm.regions
}

Note sticky {
  'A sticky note'
}
"""


def sliced(text: str, span: Span | None) -> str:
    """The source text a span covers (1-based lines and columns, end exclusive)."""
    assert span is not None
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return text[starts[span.line - 1] + span.column - 1 : starts[span.end_line - 1] + span.end_column - 1]


def table(parsed: ParsedErd, schema: str, name: str) -> Table:
    found = next(s for s in parsed.schemas if s.name == schema).table(name)
    assert found is not None, f"{schema}.{name} not parsed"
    return found


def column(parsed: ParsedErd, schema: str, table_name: str, name: str) -> Column:
    found = table(parsed, schema, table_name).column(name)
    assert found is not None
    return found


def syntax_error(text: str) -> ErdSyntaxError:
    with pytest.raises(ErdSyntaxError) as caught:
        parse_dbml(text, "bad.dbml")
    assert caught.value.file == "bad.dbml" and caught.value.source == text and caught.value.hint
    return caught.value


def model_error(text: str) -> ModelError:
    with pytest.raises(ModelError) as caught:
        build_project("shop", [("shop", parse_dbml(text, "bad.dbml"))])
    assert caught.value.file == "bad.dbml" and caught.value.source == text
    return caught.value


def at(error: SourceError, text: str, fragment: str, occurrence: int = 1) -> bool:
    """Whether the error's line and column are where the `occurrence`-th `fragment` starts."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(fragment, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return (error.line, error.column) == (line, offset - text.rfind("\n", 0, offset))


# -- the retail example ---------------------------------------------------------------------------


def test_retail_example_parses_into_two_schemas_and_five_tables() -> None:
    text = RETAIL.read_text()
    parsed = parse_dbml(text, "retail.dbml")
    assert [s.name for s in parsed.schemas] == ["crm", "sales"]
    assert [[t.name for t in s.tables] for s in parsed.schemas] == [
        ["customers", "addresses"],
        ["products", "orders", "order_items"],
    ]
    items = table(parsed, "sales", "order_items")
    assert items.primary_key is not None and items.primary_key.columns == ["order_id", "line_number"]
    assert not column(parsed, "sales", "order_items", "order_id").nullable
    assert not column(parsed, "sales", "order_items", "line_number").nullable
    assert [(fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) for fk in items.foreign_keys] == [
        (["order_id"], "sales", "orders", ["order_id"]),
        (["product_id"], "sales", "products", ["product_id"]),
    ]
    orders = table(parsed, "sales", "orders")
    assert [(fk.ref_schema, fk.ref_table) for fk in orders.foreign_keys] == [("crm", "customers")]
    assert [u.columns for u in table(parsed, "crm", "customers").unique_keys] == [["email"]]
    assert [u.columns for u in table(parsed, "sales", "products").unique_keys] == [["sku"]]
    assert table(parsed, "crm", "customers").comment == "People who buy from us"
    assert column(parsed, "crm", "customers", "phone").comment == "Mobile phone number"
    assert column(parsed, "sales", "products", "unit_price").type == "DECIMAL(10,2)"
    assert column(parsed, "crm", "customers", "created_at").type == "TIMESTAMP"
    project = build_project("retail", [("retail", parsed)])
    assert len(project.iter_tables()) == 5
    assert parsed.findings == []


def test_every_name_span_covers_exactly_the_name() -> None:
    for text in (RETAIL.read_text(), FEATURES):
        parsed = parse_dbml(text, "x.dbml")
        for schema in parsed.schemas:
            assert sliced(text, schema.name_span) == schema.name
            for parsed_table in schema.tables:
                assert sliced(text, parsed_table.name_span) == parsed_table.name
                assert sliced(text, parsed_table.span).startswith("Table ")
                assert sliced(text, parsed_table.span).endswith("}")
                for parsed_column in parsed_table.columns:
                    assert sliced(text, parsed_column.name_span) == parsed_column.name
                    assert sliced(text, parsed_column.span).startswith(parsed_column.name)


def test_spans_of_schema_qualified_table_and_its_column() -> None:
    text = "Table crm.customers {\n  customer_id bigint [pk, note: 'key']\n}\n"
    parsed = parse_dbml(text, "c.dbml")
    customers = table(parsed, "crm", "customers")
    assert customers.name_span == Span(file="c.dbml", line=1, column=11, end_line=1, end_column=20)
    assert customers.span == Span(file="c.dbml", line=1, column=1, end_line=3, end_column=2)
    customer_id = customers.columns[0]
    assert customer_id.name_span == Span(file="c.dbml", line=2, column=3, end_line=2, end_column=14)
    assert sliced(text, customer_id.span) == "customer_id bigint [pk, note: 'key']"
    assert sliced(text, customers.primary_key.span if customers.primary_key else None) == "pk"


def test_quoted_names_keep_their_quotes_outside_the_name_span() -> None:
    text = 'Table "my schema"."Order Lines" {\n  "line no" int\n}\n'
    parsed = parse_dbml(text, "q.dbml")
    lines = table(parsed, "my schema", "Order Lines")
    assert sliced(text, lines.name_span) == "Order Lines"
    assert sliced(text, lines.columns[0].name_span) == "line no"


def test_tabs_and_a_byte_order_mark_do_not_shift_columns() -> None:
    text = "\ufeffTable t {\n\tid\tint [pk]\n}\n"
    parsed = parse_dbml(text, "t.dbml")
    assert sliced(text, table(parsed, "default", "t").columns[0].name_span) == "id"
    bad = "Table t {\n\tid\tint [bogus]\n}\n"
    assert at(syntax_error(bad), bad, "bogus")


# -- features -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def features() -> ParsedErd:
    return parse_dbml(FEATURES, "features.dbml")


def test_column_types_including_those_pydbml_cannot_read(features: ParsedErd) -> None:
    types = {c.name: (c.type, c.source_type) for c in table(features, "sales", "orders").columns}
    assert types["tags"] == ("ARRAY<STRING>", "array<string>")
    assert types["attributes"] == ("MAP<STRING, INT>", "map<string,int>")
    assert types["amount"] == ("DECIMAL(10,2)", "decimal(10,2)")
    assert types["line_numbers"] == ("ARRAY<INT>", "int[]")
    assert types["placed_at"] == ("TIMESTAMP", "timestamp with time zone")


def test_serial_types_and_increment_make_identity_columns(features: ParsedErd) -> None:
    assert column(features, "sales", "orders", "id").identity is not None
    assert column(features, "sales", "orders", "id").type == "BIGINT"
    assert column(features, "sales", "orders", "counter").identity is not None
    assert column(features, "sales", "orders", "retries").identity is None


def test_column_settings(features: ParsedErd) -> None:
    def get(name: str) -> Column:
        return column(features, "sales", "orders", name)

    assert not get("status").nullable and get("status").default == "'placed'"
    assert get("amount").default == "0.5" and get("retries").default == "3"
    assert get("placed_at").default == "now()"
    assert get("is_gift").default == "FALSE" and get("is_gift").nullable
    assert get("legacy_code").default == "NULL"
    assert get("motto").default == "'it\\'s'"
    assert get("customer_id").comment == "who ordered"
    assert get("tags").nullable and get("tags").default is None
    customers = table(features, "crm", "customers")
    assert customers.primary_key is not None and customers.primary_key.columns == ["id"]
    assert not customers.columns[0].nullable
    assert [u.columns for u in customers.unique_keys] == [["email"]]
    assert not column(features, "crm", "customers", "email").nullable


def test_enum_column_is_a_string_with_allowed_values(features: ParsedErd) -> None:
    status = column(features, "sales", "orders", "status")
    assert status.type == "STRING"
    assert status.allowed_values == ["placed", "shipped", "in progress"]
    assert status.source_type == "sales.order_status"


def test_unqualified_enum_and_default_schema() -> None:
    text = "enum mood {\n  happy\n  sad\n}\nTable people {\n  name varchar\n  mood mood\n}\n"
    parsed = parse_dbml(text, "m.dbml", default_schema="main")
    assert [s.name for s in parsed.schemas] == ["main"]
    assert column(parsed, "main", "people", "mood").allowed_values == ["happy", "sad"]
    assert parsed.schemas[0].name_span is None


def test_table_and_column_notes_become_comments(features: ParsedErd) -> None:
    assert table(features, "sales", "orders").comment == "Orders placed by customers"
    assert table(features, "crm", "customers").comment == "People who buy"
    text = "Table t [note: 'from the settings'] {\n  id int\n}\n"
    assert table(parse_dbml(text, "n.dbml"), "default", "t").comment == "from the settings"


def test_indexes_give_primary_and_unique_keys_and_plain_ones_are_ignored(features: ParsedErd) -> None:
    regions = table(features, "crm", "regions")
    assert regions.primary_key is not None
    assert (regions.primary_key.name, regions.primary_key.columns) == (
        "pk_regions",
        ["country_code", "region_code"],
    )
    assert sliced(FEATURES, regions.primary_key.name_span) == "pk_regions"
    assert [(u.name, u.columns) for u in regions.unique_keys] == [
        (None, ["name"]),
        ("uq_name_country", ["name", "country_code"]),
    ]
    assert not column(features, "crm", "regions", "country_code").nullable
    assert column(features, "crm", "regions", "name").nullable


def test_several_pk_columns_make_one_composite_key_in_column_order() -> None:
    text = "Table t {\n  b int [pk]\n  x int\n  a int [pk, not null]\n}\n"
    key = table(parse_dbml(text, "k.dbml"), "default", "t").primary_key
    assert key is not None and key.columns == ["b", "a"]


def test_reference_directions(features: ParsedErd) -> None:
    orders = table(features, "sales", "orders")
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in orders.foreign_keys] == [
        (["customer_id"], "customers", ["id"])
    ]
    customers = table(features, "crm", "customers")
    assert [(fk.name, fk.columns, fk.ref_table, fk.ref_columns) for fk in customers.foreign_keys] == [
        (None, ["referrer_id"], "customers", ["id"]),  # `-`: the left side holds it
        (None, ["region_code"], "regions", ["region_code"]),  # `<` in regions: customers holds it
        ("customers_regions", ["country_code", "region_code"], "regions", ["country_code", "region_code"]),
    ]
    assert table(features, "crm", "regions").foreign_keys == []
    named = customers.foreign_keys[2]
    assert sliced(FEATURES, named.name_span) == "customers_regions"
    assert sliced(FEATURES, named.span) == "crm.regions.(country_code, region_code)"


def test_long_ref_block_with_alias_and_right_side_holder() -> None:
    text = (
        "Table shop.users as U {\n  id int [pk]\n}\nTable shop.posts {\n  id int [pk]\n  author int\n}\n"
        "Ref {\n  U.id < shop.posts.author\n}\n"
    )
    posts = table(parse_dbml(text, "r.dbml"), "shop", "posts")
    assert [(fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) for fk in posts.foreign_keys] == [
        (["author"], "shop", "users", ["id"])
    ]


def test_many_to_many_is_a_finding_and_no_foreign_key(features: ParsedErd) -> None:
    (finding,) = features.findings
    assert finding.rule == MANY_TO_MANY_RULE and finding.severity == "warn"
    assert "sales.orders.id <> crm.tags.id" in finding.message
    assert finding.span is not None and finding.span.line == FEATURES.split("\n").index("Ref {") + 1
    assert table(features, "crm", "tags").foreign_keys == []
    inline = "Table a {\n  id int [ref: <> b.id]\n}\nTable b {\n  id int\n}\n"
    parsed = parse_dbml(inline, "m.dbml")
    assert [f.rule for f in parsed.findings] == [MANY_TO_MANY_RULE]
    assert all(not t.foreign_keys for s in parsed.schemas for t in s.tables)


def test_features_file_builds_a_valid_project(features: ParsedErd) -> None:
    project = build_project("shop", [("shop", features)])
    assert len(project.iter_tables()) == 4


def test_table_names_keep_their_case_and_deprecated_inline_constraints_work() -> None:
    text = "Table Sales.OrderLines {\n  LineId int pk unique\n}\n"
    parsed = parse_dbml(text, "c.dbml")
    lines = table(parsed, "Sales", "OrderLines")
    assert lines.name == "OrderLines" and lines.primary_key is not None
    assert [u.columns for u in lines.unique_keys] == [["LineId"]]


# -- errors ---------------------------------------------------------------------------------------


def test_unclosed_brace_at_end_of_file() -> None:
    text = "Table a {\n  id int [pk]\n"
    error = syntax_error(text)
    assert "expected '}' to close table a opened at line 1" in error.message
    assert (error.line, error.column) == (3, 1)
    assert "bad.dbml:3:1" in error.format()


def test_unclosed_brace_before_the_next_table() -> None:
    text = "Table a {\n  id int\n\nTable b {\n  id int\n}\n"
    error = syntax_error(text)
    assert "close table a" in error.message and at(error, text, "Table b")


@pytest.mark.parametrize(
    ("text", "fragment", "expected"),
    [
        ("Table a {\n  id int [pk, bogus]\n}\n", "bogus", "expected a column setting"),
        ("Table a {\n  id int [note 'x']\n}\n", "'x'", "expected ':' after 'note'"),
        ("Table a {\n  id int [note : 'x']\n}\n", ":", "without a space"),
        ("Table a {\n  id int [default: -1]\n}\n", "-1", "expected a default value"),
        ("Table a {\n  id int [pk\n}\n", "}", "expected ',' or ']'"),
        ("Table a {\n  id int [ref: b.id]\n}\n", "b.id", "expected a relation"),
        ("Table a {\n  id int [ref: > b]\n}\n", "b]", "expected table.column"),
        ("Table a {\n  id array<string\n}\n", "<string", "unclosed '<'"),
        ("Table a {\n  id\n}\n", "\n}", "expected a type after column id"),
        ("Table a {\n  id int }\n", "}", "expected the end of the line after column id"),
        ("Table a {\n}\n", "Table", "has no columns"),
        ("Tabel a {\n  id int\n}\n", "Tabel", "expected Table, Ref, Enum"),
        ("Table a {\n  id int [note: 'x]\n}\n", "'x]", "unterminated '...' string"),
        ("Table a {\n  na$me int\n}\n", "$", "unexpected character '$'"),
        ("Table a [color: #fff] {\n  id int\n}\n", "color", "expected a setting"),
        ("Table a {\n  id int\n  indexes {\n    id [clustered]\n  }\n}\n", "clustered", "index setting"),
        ("enum e {\n}\n", "}", "needs at least one value"),
        ("Ref: a.id >\n", "\n", "expected a table name"),
        ("Ref: a.id > b.id [delete: explode]\n", "explode", "referential action"),
        ("Project p {\n  note: 'x'\n", "", "close the Project block"),
        ("/* never closed\nTable a {\n  id int\n}\n", "/*", "unterminated /* comment"),
    ],
)
def test_malformed_dbml_is_a_located_syntax_error(text: str, fragment: str, expected: str) -> None:
    error = syntax_error(text)
    assert expected in error.message
    if fragment:
        assert at(error, text, fragment), (error.line, error.column, error.message)
    else:
        assert error.line == text.count("\n") + 1


def test_unknown_type_points_at_the_type() -> None:
    text = "Table a {\n  id int\n  payload blobby(3)\n}\n"
    with pytest.raises(UnknownTypeError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "blobby") and caught.value.source == text
    assert "blobby" in caught.value.message and caught.value.hint


def test_unreadable_type_arguments_are_an_unknown_type_error() -> None:
    text = "Table a {\n  amount decimal(a,b)\n}\n"
    with pytest.raises(UnknownTypeError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "decimal")


def test_reference_to_a_missing_table_points_at_the_reference() -> None:
    text = "Table a {\n  id int [pk]\n  b_id int [ref: > shop.bb.id]\n}\nTable shop.b {\n  id int\n}\n"
    error = model_error(text)
    assert "shop.bb" in error.message and at(error, text, "shop.bb.id")
    assert error.hint == "did you mean 'shop.b'?"


def test_reference_to_a_missing_column_points_at_the_reference() -> None:
    text = "Table a {\n  id int\n}\nTable b {\n  a_id int\n}\nRef: b.a_id > a.idd\n"
    error = model_error(text)
    assert "idd" in error.message and at(error, text, "a.idd")


def test_reference_from_an_undeclared_table_or_column() -> None:
    text = "Table a {\n  id int\n}\nRef: missing.a_id > a.id\n"
    with pytest.raises(ModelError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "missing.a_id")
    text = "Table a {\n  id int\n}\nTable b {\n  a_id int\n}\nRef: b.aid > a.id\n"
    with pytest.raises(ModelError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "b.aid") and caught.value.hint == "did you mean 'a_id'?"


def test_duplicate_table_points_at_the_second_name() -> None:
    text = "Table s.t {\n  id int\n}\nTable s.T {\n  id int\n}\n"
    error = model_error(text)
    assert "duplicate table 'T'" in error.message and at(error, text, "T {")


def test_duplicate_column_points_at_the_second_name() -> None:
    text = "Table t {\n  id int\n  name varchar\n  ID bigint\n}\n"
    error = model_error(text)
    assert "duplicate column 'ID'" in error.message and at(error, text, "ID bigint")


def test_two_primary_keys_and_keys_on_expressions_are_errors() -> None:
    text = "Table t {\n  id int [pk]\n  indexes {\n    (id) [pk]\n  }\n}\n"
    with pytest.raises(ModelError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "(id)")
    text = "Table t {\n  id int\n  indexes {\n    `lower(id)` [unique]\n  }\n}\n"
    assert at(syntax_error(text), text, "`lower")


def test_key_on_a_missing_column_points_at_the_index() -> None:
    text = "Table t {\n  id int\n  indexes {\n    (id, nope) [pk]\n  }\n}\n"
    error = model_error(text)
    assert "'nope'" in error.message and at(error, text, "(id, nope)")


def test_small_files_also_pass_through_pydbml(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    monkeypatch.setattr(
        "accelerator.erd.dbml.reader.check_with_pydbml", lambda text, file, doc: checked.append(file)
    )
    parse_dbml("Table t {\n  id int\n}\n", "small.dbml")
    parse_dbml("Table t {\n  id int\n}\n" + "// padding\n" * 2_000, "large.dbml")
    assert checked == ["small.dbml"]


def test_duplicate_enum_is_an_error() -> None:
    text = "enum e {\n  a\n}\nenum E {\n  b\n}\nTable t {\n  id int\n}\n"
    with pytest.raises(ModelError) as caught:
        parse_dbml(text, "bad.dbml")
    assert at(caught.value, text, "E {")


def test_pydbml_rejections_become_located_syntax_errors() -> None:
    text = "Table a {\n  id int [bogus]\n}\n"
    with pytest.raises(ErdSyntaxError) as caught:
        check_with_pydbml(text, "p.dbml", DbmlDocument())
    assert at(caught.value, text, "bogus")
    assert "found ','" not in caught.value.message and "bogus" in caught.value.message
    assert caught.value.source == text and caught.value.hint


def test_large_files_skip_the_pydbml_check_but_parse_the_same() -> None:
    text = RETAIL.read_text()
    checked = parse_dbml(text, "retail.dbml", check_with_reference_parser=True)
    unchecked = parse_dbml(text, "retail.dbml", check_with_reference_parser=False)
    assert checked.schemas == unchecked.schemas


def test_mangled_inputs_raise_only_located_errors() -> None:
    """Deleting or duplicating random characters never lets a pydbml error or IndexError escape."""
    source = RETAIL.read_text() + FEATURES
    generator = random.Random(7)
    for attempt in range(150):
        text = source
        for _ in range(3):
            cut = generator.randrange(len(text))
            text = text[:cut] + text[cut + 1 :] if attempt % 2 else text[:cut] + text[cut] + text[cut:]
        try:
            parse_dbml(text, "mangled.dbml", check_with_reference_parser=attempt % 10 == 0)
        except AcceleratorError as error:
            assert isinstance(error, SourceError) and error.line >= 1 and error.column >= 1


# -- the plain-column shortcut --------------------------------------------------------------------

PLAIN_PIECES = [
    "pk",
    "PK",
    "primary key",
    "Primary Key",
    "primary  key",
    "not null",
    "NOT NULL",
    "null",
    "unique",
    "increment",
    "note: 'x'",
    "note:'x y'",
    "note : 'x'",
    'note: "q"',
    "note: 1",
    "note: '''x'''",
    "note: 'it\\'s'",
    "note: ''",
    "default: 1.5",
    "default: 1.",
    "default: 12ab",
    "default: true",
    "default: TRUE",
    "default: nope",
    "default: `now()`",
    "default: 'a'",
    "default: -1",
    "ref: > s.t.c",
    "ref: - t.c",
    "ref: <> t.c",
    "ref: < t.c",
    "Ref: > t.c",
    "ref: > t",
    "ref: > a.b.c.d",
    "ref:> t.c",
    "ref: >> t.c",
    "bogus",
    "pk1",
    "",
]
PLAIN_TYPES = [
    "int",
    "varchar(255)",
    "decimal(12, 2)",
    "decimal(12,2)",
    "a.b",
    "int[]",
    "array<string>",
    '"time zone"',
    "t(')",
    "x(a)",
    "int[1]",
]


def test_plain_column_lines_read_as_the_token_grammar_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """`read_plain_column` is a shortcut: with and without it, documents and errors are the same."""
    generator = random.Random(11)
    texts = []
    for _ in range(400):
        settings = generator.sample(PLAIN_PIECES, generator.randint(0, 3))
        separator = generator.choice([", ", ",", " ,", " , "])
        listed = f"{generator.choice(['', ' ', '  '])}[{separator.join(settings)}]" if settings else ""
        name = generator.choice(["id", "col_1", '"q n"', "note", "Table", "1x", "ref"])
        blank = generator.choice([" ", "\t", "  "])
        end = generator.choice(["", " ", " // c", "\r", " /* c */", "x", " pk", "\t"])
        line = f"{name}{blank}{generator.choice(PLAIN_TYPES)}{listed}{end}"
        texts.append(
            f"Table t {{\n  {line}\n  other int\n}}\n"
            if generator.random() < 0.9
            else f"Table t {{\n  {line}"
        )

    def read_all() -> list[object]:
        results: list[object] = []
        for text in texts:
            try:
                results.append(parse_dbml_syntax(text, "p.dbml"))
            except ErdSyntaxError as error:
                results.append((error.message, error.line, error.column, error.hint))
        return results

    fast = read_all()
    monkeypatch.setattr("accelerator.erd.dbml.syntax.read_plain_column", lambda text, pos: None)
    parse_dbml_syntax.cache_clear()  # or the last texts would come from the cache
    assert read_all() == fast
    assert sum(isinstance(result, DbmlDocument) for result in fast) > 50


def test_a_block_comment_over_several_lines_ends_its_line_and_keeps_positions() -> None:
    # it once restarted the scan at offset -1: a wrong error or, here, a parse that never returned
    text = "/* a model\n   of one table */\nTable a {\n  x int [pk]\n  /* note\n  */ y text\n}\n"
    parsed = parse_dbml(text, "c.dbml")
    table = parsed.schemas[0].tables[0]
    assert [c.name for c in table.columns] == ["x", "y"]
    assert table.name_span is not None and (table.name_span.line, table.name_span.column) == (3, 7)
    y = table.columns[1]
    assert y.name_span is not None and (y.name_span.line, y.name_span.column) == (6, 6)
