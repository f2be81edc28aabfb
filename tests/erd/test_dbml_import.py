"""DBML from real projects: optional relationship markers (`?<?`), range types, CHECK constraints,
references between schemas and to columns that are not keys."""

from __future__ import annotations

import pytest

from accelerator.erd.dbml.reader import RANGE_TYPE_RULE, parse_dbml
from accelerator.erd.dbml.syntax import separate_scans
from accelerator.erd.parsed import ParsedErd
from accelerator.errors import ErdSyntaxError
from accelerator.model import Table


def table(parsed: ParsedErd, schema: str, name: str) -> Table:
    found = next(s for s in parsed.schemas if s.name == schema).table(name)
    assert found is not None, f"{schema}.{name} not parsed"
    return found


def foreign_keys(found: Table) -> list[tuple[list[str], str, str, list[str]]]:
    return [(fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) for fk in found.foreign_keys]


OPTIONAL = """\
Table a {
  id int [pk]
}
Table b {
  id int [pk]
  a_id int [ref: >? a.id]
  c_id int [ref: ?> a.id, note: 'token path']
}
Table c {
  id int [pk]
  a_id int
  b_id int
}
Ref: a.id ?<? c.a_id
Ref named: c.b_id ?>  b.id
Ref: a.id ?-? c.id
Ref: a.id ?<>? b.id
"""


def test_optional_relationship_markers_read_as_their_relation() -> None:
    parsed = parse_dbml(OPTIONAL, "opt.dbml")
    assert foreign_keys(table(parsed, "default", "b")) == [
        (["a_id"], "default", "a", ["id"]),
        (["c_id"], "default", "a", ["id"]),
    ]
    assert foreign_keys(table(parsed, "default", "c")) == [
        (["a_id"], "default", "a", ["id"]),
        (["b_id"], "default", "b", ["id"]),
    ]
    assert foreign_keys(table(parsed, "default", "a")) == [(["id"], "default", "c", ["id"])]
    assert [f.rule for f in parsed.findings] == ["erd.dbml.many_to_many"]


def test_a_question_mark_without_a_relation_is_still_a_located_error() -> None:
    text = "Table a {\n  id int [pk]\n}\nRef: a.id ? a.id\n"
    with separate_scans(), pytest.raises(ErdSyntaxError) as caught:
        parse_dbml(text, "bad.dbml")
    assert (caught.value.line, caught.value.column) == (4, 11)


def test_range_types_are_strings_with_an_info_naming_each_column() -> None:
    text = "Table booking {\n  id int [pk]\n  during tstzrange [not null]\n  seats int4range\n  ok bool\n}\n"
    parsed = parse_dbml(text, "b.dbml")
    booking = table(parsed, "default", "booking")
    assert [(c.name, c.type, c.nullable) for c in booking.columns][1:3] == [
        ("during", "STRING", False),
        ("seats", "STRING", True),
    ]
    findings = [(f.rule, f.severity, f.object, f.span.line if f.span else 0) for f in parsed.findings]
    assert findings == [
        (RANGE_TYPE_RULE, "info", "booking.during", 3),
        (RANGE_TYPE_RULE, "info", "booking.seats", 4),
    ]
    # a second read of the same text reuses the table's template: the findings are there again
    again = parse_dbml(text, "b.dbml")
    assert [f.object for f in again.findings] == ["booking.during", "booking.seats"]


CHECKS = """\
Table products {
  id int [pk]
  price decimal(10,2) [not null, check: `price > 0`]
  discount decimal(10,2) [check:`discount >= 0`, note: 'in currency']
  checks {
    `discount < price` [name: 'discount_below_price']
    `discount >`
  }
}
"""


def test_check_settings_and_checks_blocks_are_kept_and_an_invalid_one_is_a_warning() -> None:
    parsed = parse_dbml(CHECKS, "shop.dbml")
    products = table(parsed, "default", "products")
    assert [(c.name, c.expression, c.span.line if c.span else 0) for c in products.checks] == [
        (None, "price > 0", 3),
        (None, "discount >= 0", 4),
        ("discount_below_price", "discount < price", 6),
    ]
    assert products.column("discount") is not None and products.column("discount").comment == "in currency"  # type: ignore[union-attr]
    [finding] = parsed.findings
    assert (finding.rule, finding.severity, finding.span.line if finding.span else 0) == (
        "erd.dbml.check_invalid",
        "warn",
        7,
    )
    assert "`discount >`" in finding.message
    # the table's template is reused for a text with a line above it: the warning moves with it
    again = parse_dbml("// moved\n" + CHECKS, "shop.dbml")
    assert [f.span.line for f in again.findings if f.span] == [8]
    assert [c.span.line for c in table(again, "default", "products").checks if c.span] == [4, 5, 7]


def test_a_checks_block_without_a_backtick_expression_is_a_located_error() -> None:
    text = "Table a {\n  id int\n  checks {\n    id > 0\n  }\n}\n"
    with separate_scans(), pytest.raises(ErdSyntaxError) as caught:
        parse_dbml(text, "bad.dbml")
    assert (caught.value.line, caught.value.column) == (4, 5)
    assert "backticks" in str(caught.value)


NON_KEY = """\
Table users {
  id int [pk]
  name varchar
  email varchar [unique]
}
Table posts {
  id int [pk]
  author_name int [ref: > users.name]
  author_email varchar [ref: > users.email]
  author_id int [ref: > users.id]
  editor_name varchar [ref: > users.name]
}
"""


def test_a_reference_to_a_column_that_is_no_key_and_of_another_type_is_a_warning() -> None:
    parsed = parse_dbml(NON_KEY, "blog.dbml")
    assert len(table(parsed, "default", "posts").foreign_keys) == 4  # still declared, as written
    assert [(f.rule, f.severity, f.object, f.span.line if f.span else 0) for f in parsed.findings] == [
        ("erd.dbml.reference_not_a_key", "warn", "default.posts.author_name", 8)
    ]
    assert "INT" in parsed.findings[0].message and "STRING" in parsed.findings[0].message


def test_public_names_the_default_schema_where_the_file_declares_no_public_table() -> None:
    # DBML's unqualified tables are in `public`; the accelerator puts them in its default schema
    text = """\
Table users {
  id int [pk]
}
Table ecommerce.orders {
  id int [pk]
  user_id int [ref: > public.users.id]
  buyer_id int [ref: > users.id]
}
Ref: public.users.id < ecommerce.orders.id
"""
    parsed = parse_dbml(text, "shop.dbml", default_schema="sales")
    assert foreign_keys(table(parsed, "ecommerce", "orders")) == [
        (["user_id"], "sales", "users", ["id"]),
        (["buyer_id"], "sales", "users", ["id"]),
        (["id"], "sales", "users", ["id"]),
    ]


def test_an_unqualified_name_finds_a_declared_public_table_and_public_ones_win_when_declared() -> None:
    text = """\
Table public.users {
  id int [pk]
}
Table orders {
  id int [pk]
  user_id int [ref: > users.id]
}
"""
    parsed = parse_dbml(text, "shop.dbml", default_schema="sales")
    assert foreign_keys(table(parsed, "sales", "orders")) == [(["user_id"], "public", "users", ["id"])]
    both = text.replace("Table orders {", "Table users {\n  id int [pk]\n}\nTable orders {")
    parsed = parse_dbml(both, "shop.dbml", default_schema="sales")
    assert foreign_keys(table(parsed, "sales", "orders")) == [(["user_id"], "sales", "users", ["id"])]
