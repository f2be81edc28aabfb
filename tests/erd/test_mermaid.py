"""Mermaid `erDiagram` parser: the retail example, Mermaid's syntax, spans, Markdown, FKs and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.erd import parse_erd
from accelerator.erd.mermaid.reader import extract_mermaid_blocks, parse_markdown, parse_mermaid
from accelerator.erd.parsed import ParsedErd
from accelerator.errors import ErdSyntaxError, UnknownTypeError
from accelerator.model import Span, Table
from accelerator.model.build import build_project

RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail" / "erd" / "retail.mmd"
CUSTOMERS_AND_ORDERS = """erDiagram
    customers {
        bigint customer_id PK
    }
    orders {
        bigint order_id PK
        bigint customer_id FK
    }
"""


def sliced(text: str, span: Span | None) -> str:
    """The text a span covers (1-based lines and columns, end exclusive)."""
    assert span is not None
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return text[starts[span.line - 1] + span.column - 1 : starts[span.end_line - 1] + span.end_column - 1]


def table(parsed: ParsedErd, qualified: str) -> Table:
    schema_name, table_name = qualified.split(".")
    schema = next(s for s in parsed.schemas if s.name == schema_name)
    found = schema.table(table_name)
    assert found is not None, qualified
    return found


def only_table(text: str) -> Table:
    parsed = parse_mermaid(text, "t.mmd")
    return parsed.schemas[0].tables[0]


# ---- the retail example ------------------------------------------------------------------------


def test_retail_schemas_tables_and_keys() -> None:
    parsed = parse_mermaid(RETAIL.read_text(), "erd/retail.mmd")
    assert [s.name for s in parsed.schemas] == ["crm", "sales"]
    assert [[t.name for t in s.tables] for s in parsed.schemas] == [
        ["customers", "addresses"],
        ["products", "orders", "order_items"],
    ]
    assert parsed.findings == []
    items = table(parsed, "sales.order_items")
    assert items.primary_key is not None and items.primary_key.columns == ["order_id", "line_number"]
    assert [c.name for c in items.columns if not c.nullable] == ["order_id", "line_number"]
    customers = table(parsed, "crm.customers")
    assert customers.primary_key is not None and customers.primary_key.columns == ["customer_id"]
    assert [u.columns for u in customers.unique_keys] == [["email"]]
    assert [u.columns for u in table(parsed, "sales.products").unique_keys] == [["sku"]]


def test_retail_foreign_keys_resolve_through_relationships() -> None:
    parsed = parse_mermaid(RETAIL.read_text(), "erd/retail.mmd")
    found = {
        (f"{schema.name}.{t.name}", tuple(fk.columns)): (
            fk.ref_schema,
            fk.ref_table,
            fk.ref_columns,
            fk.label,
        )
        for schema in parsed.schemas
        for t in schema.tables
        for fk in t.foreign_keys
    }
    assert found == {
        ("crm.addresses", ("customer_id",)): ("crm", "customers", ["customer_id"], "lives at"),
        ("sales.orders", ("customer_id",)): ("crm", "customers", ["customer_id"], "places"),
        ("sales.order_items", ("order_id",)): ("sales", "orders", ["order_id"], "contains"),
        ("sales.order_items", ("product_id",)): ("sales", "products", ["product_id"], "sold as"),
    }
    project = build_project("retail", [("retail", parsed)])  # every reference exists in the model
    assert len(project.iter_tables()) == 5


def test_retail_comments_and_types() -> None:
    parsed = parse_mermaid(RETAIL.read_text(), "erd/retail.mmd")
    customers = table(parsed, "crm.customers")
    assert customers.comment == "People who buy from us"  # the file's header comment is not included
    assert table(parsed, "sales.order_items").comment == "Lines of an order"
    email = customers.column("email")
    assert email is not None and email.comment == "Login and contact email" and email.type == "STRING"
    created = customers.column("created_at")
    assert created is not None and created.type == "TIMESTAMP" and created.source_type == "timestamptz"
    price = table(parsed, "sales.products").column("unit_price")
    assert price is not None and price.type == "DECIMAL(10,2)" and price.comment == "List price in EUR"
    assert table(parsed, "crm.addresses").column("city").comment is None  # type: ignore[union-attr]


def test_retail_spans_are_exact() -> None:
    text = RETAIL.read_text()
    parsed = parse_mermaid(text, "erd/retail.mmd")
    for schema in parsed.schemas:
        assert sliced(text, schema.name_span) == schema.name
        for t in schema.tables:
            assert sliced(text, t.name_span) == t.name
            assert sliced(text, t.span).startswith(t.name + " {") and sliced(text, t.span).endswith("}")
            for column in t.columns:
                assert sliced(text, column.name_span) == column.name
                assert sliced(text, column.span).startswith(column.source_type + " " + column.name)
    comment_line = sliced(text, table(parsed, "crm.customers").column("email").span)  # type: ignore[union-attr]
    assert comment_line == 'varchar(255) email UK "Login and contact email"'
    assert str(table(parsed, "sales.orders").foreign_keys[0].span) == "erd/retail.mmd:38:9"


# ---- Mermaid syntax ----------------------------------------------------------------------------

MARKERS = ["||", "|o", "o|", "}|", "|{", "}o", "o{"]
WORD_ALIASES = [
    "one or zero",
    "zero or one",
    "one or more",
    "one or many",
    "many(1)",
    "1+",
    "zero or more",
    "zero or many",
    "many(0)",
    "0+",
    "only one",
    "1",
]


@pytest.mark.parametrize("marker", MARKERS + WORD_ALIASES)
@pytest.mark.parametrize("relation", ["--", "..", " to ", " optionally to "])
def test_every_cardinality_and_relation_links_the_entities(marker: str, relation: str) -> None:
    for line in (
        f"customers {marker}{relation}o{{ orders : places",
        f"customers ||{relation}{marker} orders : places",
    ):
        if relation.strip() in ("to", "optionally to"):
            line = line.replace(f"{marker}{relation}", f"{marker} {relation} ").replace(
                f"||{relation}{marker}", f"|| {relation} {marker}"
            )
        parsed = parse_mermaid(CUSTOMERS_AND_ORDERS + "    " + line + "\n", "t.mmd")
        orders = parsed.schemas[0].table("orders")
        assert orders is not None and parsed.findings == [], line
        fk = orders.foreign_keys[0]
        assert (fk.ref_table, fk.ref_columns, fk.label) == ("customers", ["customer_id"], "places"), line


def test_word_aliases_spelled_out() -> None:
    text = "erDiagram\n    CAR 1 to zero or more NAMED-DRIVER : allows\n    PERSON many(0) optionally to only one CAR : drives\n"
    parsed = parse_mermaid(text, "t.mmd")
    assert [t.name for t in parsed.schemas[0].tables] == ["CAR", "NAMED-DRIVER", "PERSON"]
    assert parsed.findings == []
    fitted = parse_erd(text, "t.mmd")  # tables without columns are left out, each told
    assert fitted.schemas == []
    assert {(f.rule, f.object) for f in fitted.findings} == {
        ("model.table.no_columns", f"default.{name}") for name in ("CAR", "NAMED-DRIVER", "PERSON")
    }


def test_aliases_keep_the_entity_name() -> None:
    text = (
        'erDiagram\n    p["Person"] {\n        string name PK\n    }\n    c[Car]\n    p ||--o{ c : drives\n'
    )
    parsed = parse_mermaid(text, "t.mmd")
    assert [t.name for t in parsed.schemas[0].tables] == ["p", "c"]
    assert sliced(text, parsed.schemas[0].tables[0].name_span) == "p"


def test_quoted_and_dotted_names() -> None:
    text = (
        "erDiagram\n"
        '    "Customer Account" {\n        bigint id PK\n    }\n'
        '    "sales.orders" {\n        bigint order_id PK\n        bigint customer_account_id FK\n    }\n'
        "    crm.notes {\n        text body\n    }\n"
        '    "Customer Account" ||..o{ sales.orders : "places"\n'
    )
    parsed = parse_mermaid(text, "t.mmd", default_schema="main")
    assert [(s.name, [t.name for t in s.tables]) for s in parsed.schemas] == [
        ("main", ["Customer Account"]),
        ("sales", ["orders"]),
        ("crm", ["notes"]),
    ]
    orders = table(parsed, "sales.orders")
    assert sliced(text, orders.name_span) == "orders"
    assert sliced(text, parsed.schemas[1].name_span) == "sales"
    assert sliced(text, table(parsed, "main.Customer Account").name_span) == "Customer Account"
    fk = orders.foreign_keys[0]  # `customer_account_id` -> `Customer Account`.id by the `_id` convention
    assert (fk.ref_schema, fk.ref_table, fk.ref_columns, fk.label) == (
        "main",
        "Customer Account",
        ["id"],
        "places",
    )


def test_header_extras_styles_and_comments_are_accepted() -> None:
    text = """---
title: Retail
config:
  theme: forest
---
%%{init: {"theme": "dark"}}%%
erDiagram
    title Retail model
    accTitle: Retail
    accDescr: customers and orders
    accDescr {
        several lines
    }
    direction LR
    classDef hot fill:#f96,stroke:#333
    customers:::hot {
        bigint customer_id PK %% trailing comment
        %% a comment between attributes
        varchar(255) email
    }
    class customers hot
    style customers fill:#f9f
    customers ||--o{ orders:::hot : places %% after a relationship
"""
    parsed = parse_mermaid(text, "t.mmd")
    customers = table(parsed, "default.customers")
    assert [c.name for c in customers.columns] == ["customer_id", "email"]
    assert [t.name for t in parsed.schemas[0].tables] == ["customers", "orders"]


def test_types_keys_and_attribute_forms() -> None:
    text = """erDiagram
    things {
        decimal(10, 2) price
        array<string> tags
        string[] labels
        array~int~ scores
        map<string, array<int>> attrs
        double-precision ratio
        serial id pk, uk "case-insensitive keys"
        int `quoted name`
        string? nickname
    }
"""
    things = only_table(text)
    types = {c.name: c.type for c in things.columns}
    assert types == {
        "price": "DECIMAL(10,2)",
        "tags": "ARRAY<STRING>",
        "labels": "ARRAY<STRING>",
        "scores": "ARRAY<INT>",
        "attrs": "MAP<STRING, ARRAY<INT>>",
        "ratio": "DOUBLE",
        "id": "INT",
        "quoted name": "INT",
        "nickname": "STRING",
    }
    key = things.column("id")
    assert (
        key is not None
        and key.identity is not None
        and not key.nullable
        and key.comment == "case-insensitive keys"
    )
    assert things.primary_key is not None and things.primary_key.columns == ["id"]
    assert [u.columns for u in things.unique_keys] == [["id"]]
    assert sliced(text, things.column("quoted name").name_span) == "quoted name"  # type: ignore[union-attr]
    assert sliced(text, things.column("price").span) == "decimal(10, 2) price"  # type: ignore[union-attr]


def test_attributes_on_one_line_and_repeated_blocks_merge() -> None:
    text = "erDiagram\n    a { int x int y PK }\n    a {\n        int z\n    }\n"
    a = only_table(text)
    assert [c.name for c in a.columns] == ["x", "y", "z"]
    assert sliced(text, a.span) == "a { int x int y PK }"


def test_doc_comments_join_lines_and_stop_at_blank_lines_and_directives() -> None:
    text = """erDiagram
    %% Not about customers.

    %% schema: crm
    %% People who buy
    %%
    %% from us.
    customers {
        bigint id PK
    }
    %% schema: sales
    orders {
        bigint id PK
    }
"""
    parsed = parse_mermaid(text, "t.mmd")
    assert table(parsed, "crm.customers").comment == "People who buy from us."
    assert table(parsed, "sales.orders").comment is None


def test_schema_directives_and_mentions() -> None:
    text = """erDiagram
    %% schema: "crm"
    customers {
        bigint customer_id PK
    }
    %% schema: sales
    orders {
        bigint order_id PK
        bigint customer_id FK
    }
    customers ||--o{ orders : places
    orders ||--o{ shipments : ships
"""
    parsed = parse_mermaid(text, "t.mmd")
    # `customers` is mentioned under `%% schema: sales` but declared in crm; `shipments` is only mentioned.
    assert [(s.name, [t.name for t in s.tables]) for s in parsed.schemas] == [
        ("crm", ["customers"]),
        ("sales", ["orders", "shipments"]),
    ]
    assert table(parsed, "sales.orders").foreign_keys[0].ref_schema == "crm"


def test_an_entity_declared_in_two_schemas_must_be_qualified_in_relationships() -> None:
    text = """erDiagram
    %% schema: crm
    notes {
        text body
    }
    %% schema: sales
    notes {
        text body
    }
    %% schema: ops
    orders ||--o{ notes : has
"""
    with pytest.raises(ErdSyntaxError) as caught:
        parse_mermaid(text, "t.mmd")
    assert (caught.value.line, caught.value.column) == (11, 19)
    assert "`crm.notes` or `sales.notes`" in caught.value.message


def test_synthetic_diagram_of_many_entities() -> None:
    parsed = parse_mermaid(synthetic_diagram(100, 20), "bench.mmd")
    tables = parsed.schemas[0].tables
    assert len(tables) == 100 and all(len(t.columns) == 20 for t in tables)
    assert parsed.findings == []
    assert all(t.foreign_keys[0].ref_table == f"entity_{i}" for i, t in enumerate(tables[1:]))


FAST_BLOCK = (
    "erDiagram\n"
    "  t { %% opening comment\n"
    '    `bigint`  `a b`\tpk , Fk "c" %% trailing\n'
    "\n"
    "    %% a comment line\n"
    '    map<string, int>  m UK ""\n'
    "\tdecimal(10, 2)? d\r\n"
    "    array~int~ arr\n"
    "    int b\n"
    "  }\n"
)


def column_facts(table: Table) -> list[tuple[object, ...]]:
    return [
        (c.name, c.source_type, c.type, c.nullable, c.comment, c.span, c.name_span) for c in table.columns
    ]


def token_types(text: str) -> set[str]:
    """The token types the reader's parser (with the fast path) makes of `text`."""
    from lark import Token

    from accelerator.erd.mermaid.grammar import FAST_PARSER

    return {token.type for token in FAST_PARSER.parse(text).scan_values(lambda v: isinstance(v, Token))}


def test_a_block_of_plain_lines_is_one_token_read_like_the_grammar_reads_it() -> None:
    assert "ATTR_BLOCK" in token_types(FAST_BLOCK)
    # `int b }` keeps the block out of the fast path: both paths must give the same columns and spans.
    slow = FAST_BLOCK.replace("    int b\n  }\n", "    int b }\n")
    assert "ATTR_BLOCK" not in token_types(slow)
    fast_table, slow_table = only_table(FAST_BLOCK), only_table(slow)
    assert column_facts(fast_table) == column_facts(slow_table)
    assert fast_table.primary_key == slow_table.primary_key
    assert fast_table.unique_keys == slow_table.unique_keys
    first = fast_table.columns[0]
    assert (first.name, first.source_type, first.nullable, first.comment) == ("a b", "bigint", False, "c")
    assert sliced(FAST_BLOCK, first.span) == '`bigint`  `a b`\tpk , Fk "c"'
    assert sliced(FAST_BLOCK, first.name_span) == "a b"
    assert fast_table.span is not None and sliced(FAST_BLOCK, fast_table.span).endswith("int b\n  }")


@pytest.mark.parametrize(
    "line",
    ["int a PKX", "int a PK FK", "int a b c", 'int a "x" y', "int a,", "int %% no name", "int a }"],
)
def test_lines_the_fast_path_rejects_are_parsed_by_the_grammar(line: str) -> None:
    text = f"erDiagram\n  t {{\n    int id PK\n    {line}\n  }}\n"
    try:
        parsed: object = [column_facts(t) for t in parse_mermaid(text, "t.mmd").schemas[0].tables]
    except (ErdSyntaxError, UnknownTypeError) as error:
        parsed = (error.message, error.line, error.column, error.hint)
    lines = text.split("\n")
    lines[2] += " int spare"  # two attributes on one line: never the fast path
    try:
        expected: object = [
            column_facts(t) for t in parse_mermaid("\n".join(lines), "t.mmd").schemas[0].tables
        ]
    except (ErdSyntaxError, UnknownTypeError) as error:
        expected = (error.message, error.line, error.column, error.hint)
    if isinstance(expected, list):  # drop the spare column
        expected = [[facts for facts in table if facts[0] != "spare"] for table in expected]
    assert parsed == expected


RELATIONSHIPS = (
    "erDiagram\n"
    "  %% schema: sales\n"
    '  orders ||--o{ "line items" : "has lines"\n'
    "  orders}o--||crm.customers:placed by\n"
    "  orders one or more optionally to only one products : a:b %% not the label\n"
    '  "sales.orders":::hot |o..|{ customers:::a , b : two words \r\n'
    "\ta-b many(1)\t-.\tzero or one LINE-ITEM :: x\n"
    "  caf\u00e9\u00a0bar 1+ to 0+ x1 : y\n"
)


def test_the_fast_path_reads_like_the_grammar_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelerator.erd.mermaid import reader
    from accelerator.erd.mermaid.grammar import grammar_parser

    assert "REL_LINE" in token_types(RELATIONSHIPS)
    texts = (FAST_BLOCK, RELATIONSHIPS, RETAIL.read_text(), synthetic_diagram(5, 4))
    fast = [parse_mermaid(text, "t.mmd") for text in texts]
    monkeypatch.setattr(reader, "FAST_PARSER", grammar_parser())  # the grammar as written, no fast path
    slow = [parse_mermaid(text, "t.mmd") for text in texts]
    assert fast == slow
    assert all(parsed.schemas and parsed.schemas[0].tables for parsed in fast)


def test_syntax_errors_are_those_of_the_grammar_as_written() -> None:
    # `x||--o{ y` would lex as one REL_LINE token; the error still names what the grammar expects.
    error = syntax_error('erDiagram x||--o{ y : "a b"\n')
    assert (error.line, error.column) == (1, 11)
    assert error.message == "found `x`; expected the end of the line"


def synthetic_diagram(entities: int, attributes: int) -> str:
    """A chain of entities, each holding the previous one's key (also used to measure the speed)."""
    lines = ["erDiagram", "    %% schema: bench"]
    for number in range(entities):
        lines += [f"    %% Entity number {number}", f"    entity_{number} {{"]
        lines.append(f'        bigint entity_{number}_id PK "key"')
        if number:
            lines.append(f"        bigint entity_{number - 1}_id FK")
        for attribute in range(attributes - (2 if number else 1)):
            lines.append(f'        decimal(10,2) attr_{attribute} "attribute {attribute}"')
        lines.append("    }")
    lines += [f"    entity_{n - 1} ||--o{{ entity_{n} : has" for n in range(1, entities)]
    return "\n".join(lines) + "\n"


# ---- foreign keys ------------------------------------------------------------------------------


def fk_findings(text: str) -> list[tuple[int, str]]:
    parsed = parse_mermaid(text, "t.mmd")
    assert all(f.rule == "erd.mermaid.unresolved_fk" and f.severity == "error" for f in parsed.findings)
    return [(f.line or 0, f.message) for f in parsed.findings]


def test_fk_by_id_convention_singular_or_plural() -> None:
    text = """erDiagram
    categories {
        int id PK
    }
    product {
        int id PK
        int category_id FK
    }
    reviews {
        int id PK
        int product_id FK
    }
    categories ||--o{ product : groups
    product ||--o{ reviews : gets
"""
    parsed = parse_mermaid(text, "t.mmd")
    assert parsed.findings == []
    refs = {
        t.name: [(fk.columns, fk.ref_table, fk.ref_columns) for fk in t.foreign_keys]
        for t in parsed.schemas[0].tables
    }
    assert refs["product"] == [(["category_id"], "categories", ["id"])]
    assert refs["reviews"] == [(["product_id"], "product", ["id"])]


def test_composite_fk_in_key_order_and_self_relationship() -> None:
    text = """erDiagram
    order_lines {
        int order_id PK
        int line_number PK
    }
    line_notes {
        int note_id PK
        int line_number FK
        int order_id FK
    }
    employees {
        int employee_id PK
        int manager_id
    }
    order_lines ||--o{ line_notes : has
    employees ||--o{ employees : manages
"""
    parsed = parse_mermaid(text, "t.mmd")
    assert parsed.findings == []
    fk = table(parsed, "default.line_notes").foreign_keys
    assert [(f.columns, f.ref_columns, f.label) for f in fk] == [
        (["order_id", "line_number"], ["order_id", "line_number"], "has")
    ]
    assert str(fk[0].span) == "t.mmd:8:9"  # the first attribute of the key, in the order written


def test_fk_without_relationship_is_a_finding() -> None:
    text = CUSTOMERS_AND_ORDERS
    [(line, message)] = fk_findings(text)
    assert line == 7
    assert "default.orders.customer_id is marked FK but orders takes part in no relationship" in message
    assert "add a relationship" in message


def test_ambiguous_fk_names_both_candidates() -> None:
    text = (
        CUSTOMERS_AND_ORDERS
        + """    prospects {
        bigint customer_id PK
    }
    customers ||--o{ orders : places
    prospects ||--o{ orders : becomes
"""
    )
    [(line, message)] = fk_findings(text)
    assert line == 7
    assert "could reference default.customers.customer_id and default.prospects.customer_id" in message
    parsed = parse_mermaid(text, "t.mmd")
    assert table(parsed, "default.orders").foreign_keys == []  # never a guess


def test_fk_with_a_single_possible_parent_references_its_key() -> None:
    text = """erDiagram
    customers {
        bigint customer_id PK
    }
    orders {
        bigint order_id PK
        bigint buyer FK "who ordered"
    }
    customers ||--o{ orders : places
"""
    parsed = parse_mermaid(text, "t.mmd")
    [finding] = parsed.findings
    assert (finding.rule, finding.severity, finding.line) == ("erd.mermaid.inferred_fk", "info", 7)
    assert "default.orders.buyer is taken to reference default.customers.customer_id" in finding.message
    [fk] = table(parsed, "default.orders").foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.label) == (
        ["buyer"],
        "customers",
        ["customer_id"],
        "places",
    )


def test_fk_matching_no_key_lists_the_related_entities() -> None:
    text = """erDiagram
    customers {
        bigint customer_id PK
    }
    stores {
        bigint store_id PK
    }
    orders {
        bigint order_id PK
        bigint buyer FK "who ordered"
    }
    customers ||--o{ orders : places
    stores ||--o{ orders : sells
"""
    [(line, message)] = fk_findings(text)
    assert line == 10
    assert (
        "cannot tell what default.orders.buyer references among default.customers (key customer_id), "
        "default.stores (key store_id)" in message
    )
    assert "rename buyer after the key it references" in message


def test_fk_on_part_of_a_composite_key_asks_for_the_rest() -> None:
    text = """erDiagram
    order_lines {
        int order_id PK
        int line_number PK
    }
    shipments {
        int shipment_id PK
        int order_id FK
    }
    order_lines ||--o{ shipments : ships
"""
    [(_, message)] = fk_findings(text)
    assert "part of the composite key of default.order_lines; mark line_number FK in shipments too" in message


# ---- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """# Retail

Some prose.

```mermaid
graph TD
    A --> B
```

```mermaid
erDiagram
    %% schema: crm
    customers {
        bigint customer_id PK
    }
```

More prose, then the second half of the model:

  ~~~~ mermaid
  ---
  title: Sales
  ---
  erDiagram
      %% schema: sales
      orders {
          bigint order_id PK
          bigint customer_id FK
      }
      customers ||--o{ orders : places
  ~~~~
"""


def test_extract_mermaid_blocks_keeps_only_er_diagrams_with_their_line_offsets() -> None:
    blocks = extract_mermaid_blocks(MARKDOWN)
    assert [offset for offset, _ in blocks] == [10, 20]
    assert blocks[0][1].splitlines()[0] == "erDiagram"
    assert blocks[1][1].splitlines()[-1] == "      customers ||--o{ orders : places"


def test_markdown_fences_form_one_model_with_positions_in_the_markdown_file() -> None:
    parsed = parse_markdown(MARKDOWN, "docs/model.md")
    assert parsed.source == MARKDOWN and parsed.findings == []
    assert [(s.name, [t.name for t in s.tables]) for s in parsed.schemas] == [
        ("crm", ["customers"]),
        ("sales", ["orders"]),
    ]
    orders = table(parsed, "sales.orders")
    assert str(orders.name_span) == "docs/model.md:26:7"
    assert sliced(MARKDOWN, orders.name_span) == "orders"
    assert sliced(MARKDOWN, orders.column("customer_id").name_span) == "customer_id"  # type: ignore[union-attr]
    assert sliced(MARKDOWN, parsed.schemas[0].name_span) == "crm"
    assert orders.foreign_keys[0].ref_schema == "crm"


def test_markdown_errors_are_located_in_the_markdown_file() -> None:
    broken = MARKDOWN.replace("bigint order_id PK", "bigint order_id PX")
    with pytest.raises(ErdSyntaxError) as caught:
        parse_markdown(broken, "docs/model.md")
    assert (caught.value.file, caught.value.line, caught.value.column) == ("docs/model.md", 27, 27)
    assert "order_id PX" in caught.value.format()  # the snippet is the Markdown line


def test_markdown_without_er_diagram_is_an_error_naming_the_file() -> None:
    with pytest.raises(ErdSyntaxError) as caught:
        parse_markdown("# Nothing\n\n```mermaid\ngraph TD\n```\n", "README.md")
    assert (caught.value.file, caught.value.line, caught.value.column) == ("README.md", 1, 1)
    assert "README.md holds no ```mermaid fence with an erDiagram" in caught.value.message


# ---- errors ------------------------------------------------------------------------------------


def syntax_error(text: str) -> ErdSyntaxError:
    with pytest.raises(ErdSyntaxError) as caught:
        parse_mermaid(text, "bad.mmd")
    error = caught.value
    assert error.file == "bad.mmd" and error.source == text and error.hint
    for lark_name in ("ATTR_", "RBRACE", "LBRACE", "_NL", "ENTITY_NAME", "QUOTED", "$END"):
        assert lark_name not in error.message, error.message
    return error


def test_missing_header() -> None:
    error = syntax_error("customers {\n    int id PK\n}\n")
    assert (error.line, error.column) == (1, 1)
    assert "starts with the header `erDiagram`; found `customers`" in error.message
    assert "erDiagram" in (error.hint or "")
    assert syntax_error("").message.endswith("found the end of the diagram")


@pytest.mark.parametrize(
    ("text", "ending"),
    [
        ("erDiagram\n    customers {\n        int id PK\n", "the diagram ends"),
        ("erDiagram\n    customers {\n        int id PK\n    orders {\n        int id\n    }\n", "line 4"),
        ("erDiagram\n    customers {\n        int id PK\n    customers ||--o{ orders : places\n", "line 4"),
    ],
)
def test_unclosed_block_points_at_its_brace(text: str, ending: str) -> None:
    error = syntax_error(text)
    assert (error.line, error.column) == (2, 15)
    assert "the attribute block of customers is never closed" in error.message and ending in error.message
    assert error.hint == "add a line `}` after the last attribute of customers"


@pytest.mark.parametrize(
    ("line", "column", "found"),
    [("A |x--o{ B : has", 7, "`|x--o{`"), ("A ||--o B : has", 11, "`o`"), ("A <--> B : has", 7, "`<-->`")],
)
def test_bad_cardinality_marker(line: str, column: int, found: str) -> None:
    error = syntax_error(f"erDiagram\n    {line}\n")
    assert (error.line, error.column) == (2, column)
    assert error.message.startswith(f"found {found}; expected a cardinality marker (`||`, `|o`")
    assert "`}o`/`o{` zero or more" in (error.hint or "")


def test_relationship_without_label_or_line() -> None:
    error = syntax_error("erDiagram\n    A ||--o{ B\n")
    assert (error.line, error.column) == (2, 15)
    assert error.message == "found the end of the line; expected `:` and a relationship label"
    error = syntax_error("erDiagram\n    A || B : x\n")
    assert "expected `--` (identifying) or `..` (non-identifying)" in error.message


def test_bad_attribute_and_key() -> None:
    error = syntax_error("erDiagram\n    A {\n        bigint\n    }\n")
    assert (error.line, error.column) == (3, 15)
    assert "expected an attribute name" in error.message
    error = syntax_error("erDiagram\n    A {\n        int id PX\n    }\n")
    assert (error.line, error.column) == (3, 16)
    assert error.message.startswith(
        "`PX` after the attribute `int id` is not a key; expected `PK`, `FK` or `UK`"
    )


def test_bad_direction_and_entity_name() -> None:
    error = syntax_error("erDiagram\n    direction XY\n")
    assert (error.line, error.column, error.message) == (2, 15, "`direction XY` is not a Mermaid direction")
    error = syntax_error("erDiagram\n    a.b.c {\n        int x\n    }\n")
    assert (error.line, error.column) == (2, 5) and "`schema.table`" in error.message


def test_unknown_type_is_located_at_the_type() -> None:
    text = "erDiagram\n    A {\n        int id PK\n        frobnicate(3) x\n    }\n"
    with pytest.raises(UnknownTypeError) as caught:
        parse_mermaid(text, "bad.mmd")
    assert (caught.value.line, caught.value.column) == (4, 9)
    assert "frobnicate" in caught.value.message and caught.value.source == text
