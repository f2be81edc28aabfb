"""The common ERD edits on the retail example in each of its three formats (DBML, Mermaid, SQL
DDL): each applies (the patched file re-parses to exactly the intended model) or is refused with an
`UnsupportedEditError` whose sentence says why and what to do. Nothing else: no verification
failure, no conflict, no traceback."""

from __future__ import annotations

import re
from typing import Any

import pytest

import accelerator.edit.patch as patching
from accelerator.edit.patch import TextEdit
from accelerator.errors import PatchVerificationError, UnsupportedEditError
from accelerator.model import Column, Project, Table
from tests.agent.test_help_examples import FORMATS, ExampleSession


def _table(project: Project, qualified: str) -> Table:
    schema_name, table_name = qualified.split(".")
    for catalog in project.catalogs:
        schema = catalog.schema(schema_name)
        table = schema.table(table_name) if schema else None
        if table is not None:
            return table
    raise AssertionError(f"no table {qualified}")


def _column(project: Project, qualified: str) -> Column:
    table, column = qualified.rsplit(".", 1)
    found = _table(project, table).column(column)
    assert found is not None, f"no column {qualified}"
    return found


def _references(project: Project, qualified: str) -> set[tuple[str, str, str]]:
    """The foreign keys of a table as (columns, referenced table, referenced columns)."""
    return {
        (",".join(fk.columns), fk.ref_table.split(".")[-1], ",".join(fk.ref_columns))
        for fk in _table(project, qualified).foreign_keys
    }


def _renamed_order_items(project: Project) -> None:
    assert _references(project, "sales.order_lines") == {
        ("order_id", "orders", "order_id"),
        ("product_id", "products", "product_id"),
    }


def _lines_renamed(project: Project) -> None:
    assert _references(project, "sales.order lines") == {
        ("order_id", "orders", "order_id"),
        ("product_id", "products", "product_id"),
    }


def _renamed_orders(project: Project) -> None:
    assert _references(project, "sales.purchases") == {("customer_id", "customers", "customer_id")}
    assert ("order_id", "purchases", "order_id") in _references(project, "sales.order_items")


def _renamed_customers(project: Project) -> None:
    assert ("customer_id", "clients", "customer_id") in _references(project, "sales.orders")
    assert ("customer_id", "clients", "customer_id") in _references(project, "crm.addresses")


def _renamed_key(project: Project) -> None:
    assert _table(project, "sales.orders").primary_key.columns == ["id"]  # type: ignore[union-attr]
    assert ("order_id", "orders", "id") in _references(project, "sales.order_items")


def _renamed_customer_key(project: Project) -> None:
    assert ("customer_id", "customers", "customer_key") in _references(project, "sales.orders")
    assert ("customer_id", "customers", "customer_key") in _references(project, "crm.addresses")


def _has(column: str, **fields: object) -> object:
    def check(project: Project) -> None:
        found = _column(project, column)
        for name, value in fields.items():
            assert getattr(found, name) == value, (column, name, getattr(found, name))

    return check


def _lacks(column: str) -> object:
    def check(project: Project) -> None:
        table, name = column.rsplit(".", 1)
        assert _table(project, table).column(name) is None

    return check


def _dropped_product_id(project: Project) -> None:
    _lacks("sales.order_items.product_id")(project)  # type: ignore[operator]
    assert _references(project, "sales.order_items") == {("order_id", "orders", "order_id")}


def _table_comment(qualified: str, comment: str | None) -> object:
    def check(project: Project) -> None:
        assert _table(project, qualified).comment == comment

    return check


def _moved_products(project: Project) -> None:
    assert _table(project, "crm.products").column("sku") is not None
    assert ("product_id", "products", "product_id") in _references(project, "sales.order_items")
    assert all(fk.ref_schema == "crm" for fk in _table(project, "sales.order_items").foreign_keys[1:])


def _moved_customers(project: Project) -> None:
    assert _table(project, "sales.customers").primary_key is not None
    assert ("customer_id", "customers", "customer_id") in _references(project, "crm.addresses")
    assert {fk.ref_schema for fk in _table(project, "crm.addresses").foreign_keys} == {"sales"}


def _foreign_keys(qualified: str, expected: set[tuple[str, str, str]]) -> object:
    def check(project: Project) -> None:
        assert _references(project, qualified) == expected

    return check


MERMAID_NO_NOT_NULL = "Mermaid erDiagram cannot express"

# name: (messages, each applied in order as a turn; the check of the last one's result;
#        {format: the refusal's words} where a format cannot express the edit)
EDITS: dict[str, tuple[list[str], object, dict[str, str]]] = {
    "rename a table": (["rename table sales.order_items to order_lines"], _renamed_order_items, {}),
    "rename a referenced table": (["rename table sales.orders to purchases"], _renamed_orders, {}),
    "rename a table referenced across schemas": (
        ["rename table crm.customers to clients"],
        _renamed_customers,
        {},
    ),
    "rename a table to a name that needs quoting": (
        ["rename table sales.order_items to `order lines`"],
        _lines_renamed,
        {},
    ),
    "rename a column": (
        ["rename column sales.products.product_name to title"],
        _has("sales.products.title", type="STRING"),
        {},
    ),
    "rename a referenced key column": (["rename column sales.orders.order_id to id"], _renamed_key, {}),
    "rename a key referenced from two tables": (
        ["rename column crm.customers.customer_id to customer_key"],
        _renamed_customer_key,
        {"mermaid": "so after this rename sales.orders.customer_id FK would no longer reference"},
    ),
    "rename to a name with a space": (
        ["rename column sales.orders.order_date to `order date`"],
        _has("sales.orders.order date", type="DATE"),
        {},
    ),
    "rename to a reserved word": (
        ["rename column sales.orders.status to `select`"],
        _has("sales.orders.select", comment="placed, shipped, delivered or returned"),
        {},
    ),
    "add a column with not null, default and comment": (
        ["add column sales.orders.channel varchar(20) not null default 'web' comment \"Sales channel\""],
        _has("sales.orders.channel", nullable=False, default="'web'", comment="Sales channel"),
        {"mermaid": MERMAID_NO_NOT_NULL},
    ),
    "add a column named select": (
        ['add column sales.orders.`select` string comment "Picked"'],
        _has("sales.orders.select", type="STRING", comment="Picked"),
        {},
    ),
    "drop a column": (["drop column sales.orders.ip_address"], _lacks("sales.orders.ip_address"), {}),
    "drop a column a foreign key uses": (
        ["drop column sales.order_items.product_id"],
        _dropped_product_id,
        {},
    ),
    "change a type": (
        ["change type of sales.orders.total_amount to decimal(14,2)"],
        _has("sales.orders.total_amount", type="DECIMAL(14,2)"),
        {},
    ),
    "set and drop not null": (
        ["set not null on sales.orders.order_date", "drop not null on sales.orders.order_date"],
        _has("sales.orders.order_date", nullable=True),
        {"mermaid": MERMAID_NO_NOT_NULL},
    ),
    "add a type as the user wrote it": (
        ["add column sales.orders.channel varchar(20)"],
        _has("sales.orders.channel", type="STRING", source_type="varchar(20)"),
        {},
    ),
    "drop a foreign key declared inline": (
        ["drop foreign key on sales.orders.customer_id"],
        _foreign_keys("sales.orders", set()),
        {},
    ),
    "drop a foreign key, then add it back": (
        [
            "drop foreign key on sales.order_items.product_id",
            "add foreign key sales.order_items.product_id references sales.products.product_id",
        ],
        _foreign_keys(
            "sales.order_items",
            {("order_id", "orders", "order_id"), ("product_id", "products", "product_id")},
        ),
        {},
    ),
    "move a table to another schema": (["move table sales.products to crm"], _moved_products, {}),
    "move a table referenced across schemas": (["move table crm.customers to sales"], _moved_customers, {}),
    "comment on a table, then remove it": (
        ['comment on table sales.orders "Orders placed"', 'comment on table sales.orders ""'],
        _table_comment("sales.orders", None),
        {},
    ),
    "comment on a column, replace and remove one": (
        [
            'comment on sales.orders.order_date "Day the order was placed"',
            'comment on sales.orders.status "Where the order is"',
            'comment on sales.orders.total_amount ""',
        ],
        _has("sales.orders.order_date", comment="Day the order was placed"),
        {},
    ),
}


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_applies_or_is_refused_clearly(kind: str, edit: str) -> None:
    messages, check, refusals = EDITS[edit]
    session = ExampleSession(kind)
    for message in messages:
        outcome = session.say(message)
        if kind in refusals and not outcome.ok:
            assert isinstance(outcome.error, UnsupportedEditError), outcome.message
            assert refusals[kind] in outcome.error.message and outcome.error.hint, outcome.message
            return
        assert outcome.ok, f"{kind}: `{message}`: {outcome.message}"
        assert outcome.changed == {session.file}, message
    assert kind not in refusals, f"{kind} was expected to refuse {edit!r}"
    check(session.governed().model)  # type: ignore[operator]


def test_a_drop_removes_the_foreign_key_statement_that_uses_the_column() -> None:
    session = ExampleSession("sql")
    assert session.say("drop column sales.order_items.product_id").ok
    text = session.sources[session.file]
    assert "product_id" not in text.split("CREATE TABLE sales.order_items", 1)[1].split(";")[0]
    assert "REFERENCES sales.products" not in text
    assert "ADD FOREIGN KEY (order_id) REFERENCES sales.orders (order_id);" in text


def test_sql_quotes_reserved_words_and_names_with_spaces() -> None:
    session = ExampleSession("sql")
    assert session.say("rename column sales.orders.status to `select`").ok
    assert session.say('add column sales.orders.`order date` date comment "Day"').ok
    text = session.sources[session.file]
    assert re.search(r'^\s+"select" varchar\(20\),$', text, re.M), text
    assert '"order date" date' in text
    assert "COMMENT ON COLUMN sales.orders.\"order date\" IS 'Day';" in text
    assert 'COMMENT ON COLUMN sales.orders."select" IS' in text


def test_mermaid_renames_a_table_in_its_relationships() -> None:
    session = ExampleSession("mermaid")
    assert session.say("rename table sales.orders to purchases").ok
    text = session.sources[session.file]
    assert "customers ||--o{ purchases : places" in text
    assert "purchases ||--|{ order_items : contains" in text
    diagram = [line for line in text.splitlines() if not line.strip().startswith("%%")]
    assert not [line for line in diagram if re.search(r"\borders\b", line)], text


SQL_KEYS = """CREATE TABLE sales.products (product_id bigint PRIMARY KEY, sku varchar(64));
CREATE TABLE sales.orders (order_id bigint PRIMARY KEY, note text);
CREATE TABLE sales.order_items (
    order_id bigint,
    product_id bigint,
    sku varchar(64),
    quantity integer,
    PRIMARY KEY (order_id),
    CONSTRAINT fk_product FOREIGN KEY (product_id) REFERENCES sales.products (product_id),
    UNIQUE (sku)
);
CREATE INDEX order_items_product ON sales.order_items (product_id);
ALTER TABLE sales.order_items
    ADD CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES sales.orders (order_id),
    ADD CONSTRAINT fk_product_again FOREIGN KEY (product_id) REFERENCES sales.products (product_id);
ALTER TABLE sales.order_items ALTER COLUMN sku SET NOT NULL;
"""


@pytest.mark.parametrize(
    ("column", "gone", "kept"),
    [
        (
            "product_id",
            ["fk_product", "fk_product_again", "order_items_product", "    product_id bigint,"],
            [
                "ADD CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES sales.orders (order_id);",
                "UNIQUE (sku)\n);",
            ],
        ),
        (
            "sku",
            ["UNIQUE (sku)", "ALTER COLUMN sku", "sku varchar(64),\n"],
            ["REFERENCES sales.products (product_id)\n);"],
        ),
    ],
)
def test_sql_drop_takes_the_constraints_actions_and_indexes_naming_only_that_column(
    column: str, gone: list[str], kept: list[str]
) -> None:
    session = ExampleSession("sql")
    session.sources[session.file] = SQL_KEYS
    outcome = session.say(f"drop column sales.order_items.{column}")
    assert outcome.ok, outcome.message
    text = session.sources[session.file]
    assert not [words for words in gone if words in text], text
    assert all(words in text for words in kept), text


MERMAID_ID_KEYS = """erDiagram
    customers {
        bigint id PK
        string name
    }
    orders {
        bigint id PK
        bigint customer_id FK
    }
    order_items {
        bigint id PK
        bigint order_id FK
    }
    customers ||--o{ orders : places
    orders ||--|{ order_items : contains
"""


def test_mermaid_refuses_a_rename_after_which_a_foreign_key_would_not_resolve() -> None:
    session = ExampleSession("mermaid")
    session.sources[session.file] = MERMAID_ID_KEYS
    outcome = session.say("rename table default.customers to clients")  # `customer_id` names `customers`
    assert isinstance(outcome.error, UnsupportedEditError), outcome.message
    assert "default.orders.customer_id FK would no longer reference default.clients.id" in outcome.message
    assert session.sources[session.file] == MERMAID_ID_KEYS
    assert session.say("rename table default.customers to customer").ok  # `customer_id` still names it
    assert "customer ||--o{ orders : places" in session.sources[session.file]


def test_a_patch_that_does_not_mean_the_edit_is_refused_in_a_sentence_naming_what_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = ExampleSession("sql")
    text = session.sources[session.file]
    planned = patching.plan_patch
    wrong = [  # each beside `drop column sales.orders.ip_address`, which is right
        (
            "'Order total in EUR'",
            "'Total'",
            "sales.orders.total_amount has comment Total instead of Order total in EUR",
        ),
        (
            "    ADD FOREIGN KEY (product_id) REFERENCES sales.products (product_id);",
            "    ADD UNIQUE (product_id);",
            "sales.order_items has foreign_keys (order_id) -> sales.orders (order_id) instead of (order_id) -> "
            "sales.orders (order_id), (product_id) -> sales.products (product_id); sales.order_items has "
            "unique_keys (product_id) instead of none",
        ),
    ]
    extra: list[TextEdit] = []

    def plan_with_extra(*args: Any, **kwargs: Any) -> list[TextEdit]:
        return [*planned(*args, **kwargs), *extra]

    monkeypatch.setattr(patching, "plan_patch", plan_with_extra)
    for find, replace, sentence in wrong:
        start = text.index(find)
        extra[:] = [TextEdit(session.file, start, start + len(find), replace)]
        outcome = session.say("drop column sales.orders.ip_address")
        assert isinstance(outcome.error, PatchVerificationError), outcome.message
        message = outcome.error.message
        assert message == f"the patched {session.file} does not re-parse to the intended model: {sentence}"
        assert "\n" not in message and "{" not in message
