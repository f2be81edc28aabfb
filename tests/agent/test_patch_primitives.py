"""The ERD primitives behind foreign-key edits, moving a table and the user's type spelling: what
each format writes, checked on the text (the matrix of `test_patch_formats.py` checks the model)."""

from __future__ import annotations

import pytest

from accelerator.errors import UnsupportedEditError
from tests.agent.test_help_examples import ExampleSession


@pytest.mark.parametrize(
    ("kind", "line"), [("dbml", "  channel varchar(20)\n"), ("sql", "    channel varchar(20)\n")]
)
def test_a_new_column_keeps_the_type_as_the_user_wrote_it(kind: str, line: str) -> None:
    session = ExampleSession(kind)
    outcome = session.say("add column sales.orders.channel varchar(20)")
    assert outcome.ok, outcome.message
    assert line in session.sources[session.file]


@pytest.mark.parametrize("kind", ["dbml", "sql", "mermaid"])
def test_a_changed_type_keeps_the_spelling_that_means_the_same_type(kind: str) -> None:
    session = ExampleSession(kind)
    assert session.say("change type of sales.orders.order_date to varchar(30)").ok
    assert (
        "varchar(30) order_date" in session.sources[session.file]
        or "order_date varchar(30)" in session.sources[session.file]
    )


def test_a_spelling_that_means_another_type_is_not_kept() -> None:
    session = ExampleSession("sql")
    outcome = session.say("change type of sales.orders.order_date to int")
    assert outcome.ok, outcome.message
    assert "order_date integer," in session.sources[session.file]


def test_sql_adds_a_foreign_key_after_both_tables_and_drops_it_wherever_declared() -> None:
    session = ExampleSession("sql")
    assert session.say("drop foreign key on sales.orders.customer_id").ok  # inline REFERENCES
    text = session.sources[session.file]
    assert (
        "    customer_id bigint,\n    order_date" in text
        and "REFERENCES crm.customers (customer_id)," not in text
    )
    assert session.say("add foreign key sales.orders.customer_id references crm.customers.customer_id").ok
    assert (
        "ALTER TABLE sales.orders\n    ADD FOREIGN KEY (customer_id) REFERENCES crm.customers (customer_id);\n"
        in (session.sources[session.file])
    )
    assert session.say("drop foreign key on sales.orders.customer_id").ok  # the ALTER statement goes
    assert "ALTER TABLE sales.orders\n" not in session.sources[session.file]


SQL_CONSTRAINTS = """CREATE TABLE s.a (id bigint PRIMARY KEY);
CREATE TABLE s.b (
    id bigint PRIMARY KEY,
    a_id bigint CONSTRAINT fk_inline REFERENCES s.a (id) ON DELETE CASCADE NOT NULL,
    other bigint,
    CONSTRAINT fk_other FOREIGN KEY (other) REFERENCES s.a (id)
);
"""


def test_sql_drops_an_inline_constraint_and_a_table_constraint() -> None:
    session = ExampleSession("sql")
    session.sources[session.file] = SQL_CONSTRAINTS
    assert session.say("drop foreign key on s.b.a_id").ok
    assert session.say("drop foreign key on s.b.other").ok
    assert session.sources[session.file] == SQL_CONSTRAINTS.replace(
        " CONSTRAINT fk_inline REFERENCES s.a (id) ON DELETE CASCADE", ""
    ).replace(",\n    CONSTRAINT fk_other FOREIGN KEY (other) REFERENCES s.a (id)", "")


def test_dbml_foreign_keys_are_inline_settings_and_long_form_refs_go_too() -> None:
    session = ExampleSession("dbml")
    assert session.say("drop foreign key on sales.order_items.product_id").ok
    assert "  product_id bigint\n" in session.sources[session.file]
    assert session.say("add foreign key sales.order_items.product_id references sales.products.product_id").ok
    assert "  product_id bigint [ref: > sales.products.product_id]\n" in session.sources[session.file]
    session.sources[session.file] = (
        session.original[session.file].replace(
            "  product_id bigint [ref: > sales.products.product_id]", "  product_id bigint"
        )
        + "\nRef: sales.products.product_id < sales.order_items.product_id\n"
    )
    assert session.say("drop foreign key on sales.order_items.product_id").ok
    assert "Ref:" not in session.sources[session.file]


@pytest.mark.parametrize("kind", ["dbml", "sql"])
def test_moving_a_table_renames_its_schema_everywhere_it_is_named(kind: str) -> None:
    session = ExampleSession(kind)
    assert session.say("move table crm.customers to sales").ok
    text = session.sources[session.file]
    assert "crm.customers" not in text and "sales.customers" in text


def test_dbml_refuses_a_move_a_table_group_would_not_follow() -> None:
    session = ExampleSession("dbml")
    session.sources[session.file] += "\nTableGroup people {\n  crm.customers\n  crm.addresses\n}\n"
    outcome = session.say("move table crm.customers to sales")
    assert isinstance(outcome.error, UnsupportedEditError), outcome.message
    assert "TableGroup" in outcome.error.message and outcome.error.hint
