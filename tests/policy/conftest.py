"""The retail example model built from the model classes, with spans at the lines of
examples/retail/erd/retail.sql, and helpers to parse policy snippets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from accelerator.model import Catalog, Column, ForeignKey, PrimaryKey, Project, Schema, Span, Table, UniqueKey
from accelerator.policy import Policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
RETAIL_SQL = "examples/retail/erd/retail.sql"
RETAIL_POLICY = "examples/retail/policies/governance.yaml"


class SqlLines:
    """Finds where a table or column is written in retail.sql, for realistic spans."""

    def __init__(self) -> None:
        self.lines = (ROOT / RETAIL_SQL).read_text(encoding="utf-8").splitlines()

    def table(self, qualified: str) -> tuple[Span, Span]:
        for number, line in enumerate(self.lines, start=1):
            if line.startswith(f"CREATE TABLE {qualified} ("):
                start = line.index(qualified) + 1
                name = Span(
                    file=RETAIL_SQL,
                    line=number,
                    column=start,
                    end_line=number,
                    end_column=start + len(qualified),
                )
                return Span(
                    file=RETAIL_SQL, line=number, column=1, end_line=number, end_column=len(line) + 1
                ), name
        raise AssertionError(qualified)

    def column(self, table_line: int, name: str) -> tuple[Span, Span]:
        for number in range(table_line + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if line.strip().startswith(name + " "):
                start = line.index(name) + 1
                whole = Span(
                    file=RETAIL_SQL, line=number, column=start, end_line=number, end_column=len(line) + 1
                )
                return whole, Span(
                    file=RETAIL_SQL, line=number, column=start, end_line=number, end_column=start + len(name)
                )
        raise AssertionError(name)


def retail_project() -> Project:
    """The same model as examples/retail/erd/* (as the parsers produce it)."""
    sql = SqlLines()
    tables = {
        "crm.customers": (
            "People who buy from us",
            [
                ("customer_id", "BIGINT", "Surrogate key"),
                ("email", "STRING", "Login and contact email"),
                ("phone", "STRING", "Mobile phone number"),
                ("full_name", "STRING", "Name as given by the customer"),
                ("birth_date", "DATE", "Date of birth"),
                ("created_at", "TIMESTAMP", "When the customer signed up"),
            ],
            ["customer_id"],
            [["email"]],
            [],
        ),
        "crm.addresses": (
            "Postal addresses of customers",
            [
                ("address_id", "BIGINT", None),
                ("customer_id", "BIGINT", None),
                ("street_address", "STRING", "Street and house number"),
                ("city", "STRING", None),
                ("postal_code", "STRING", None),
                ("country_code", "STRING", "ISO 3166-1 alpha-2"),
            ],
            ["address_id"],
            [],
            [(["customer_id"], "crm", "customers", ["customer_id"])],
        ),
        "sales.products": (
            "What we sell",
            [
                ("product_id", "BIGINT", None),
                ("sku", "STRING", "Stock keeping unit"),
                ("product_name", "STRING", None),
                ("unit_price", "DECIMAL(10,2)", "List price in EUR"),
            ],
            ["product_id"],
            [["sku"]],
            [],
        ),
        "sales.orders": (
            "One row per order",
            [
                ("order_id", "BIGINT", None),
                ("customer_id", "BIGINT", None),
                ("order_date", "DATE", None),
                ("status", "STRING", "placed, shipped, delivered or returned"),
                ("total_amount", "DECIMAL(12,2)", "Order total in EUR"),
                ("ip_address", "STRING", "Address the order was placed from"),
                ("created_at", "TIMESTAMP", None),
            ],
            ["order_id"],
            [],
            [(["customer_id"], "crm", "customers", ["customer_id"])],
        ),
        "sales.order_items": (
            "Lines of an order",
            [
                ("order_id", "BIGINT", None),
                ("line_number", "INT", None),
                ("product_id", "BIGINT", None),
                ("quantity", "INT", None),
                ("unit_price", "DECIMAL(10,2)", "Price paid per unit in EUR"),
            ],
            ["order_id", "line_number"],
            [],
            [
                (["order_id"], "sales", "orders", ["order_id"]),
                (["product_id"], "sales", "products", ["product_id"]),
            ],
        ),
    }
    schemas: dict[str, Schema] = {}
    for qualified, (comment, columns, pk, uniques, fks) in tables.items():
        schema_name, table_name = qualified.split(".")
        table_span, table_name_span = sql.table(qualified)
        built_columns = []
        for name, type_, column_comment in columns:
            whole, name_span = sql.column(table_span.line, name)
            built_columns.append(
                Column(
                    name=name,
                    type=type_,
                    comment=column_comment,
                    nullable=name not in pk,
                    span=whole,
                    name_span=name_span,
                )
            )
        table = Table(
            name=table_name,
            comment=comment,
            columns=built_columns,
            primary_key=PrimaryKey(columns=pk, span=table_span),
            unique_keys=[UniqueKey(columns=u, span=table_span) for u in uniques],
            foreign_keys=[
                ForeignKey(columns=c, ref_schema=rs, ref_table=rt, ref_columns=rc, span=table_span)
                for c, rs, rt, rc in fks
            ],
            span=table_span,
            name_span=table_name_span,
        )
        schemas.setdefault(schema_name, Schema(name=schema_name)).tables.append(table)
    return Project(name="retail", catalogs=[Catalog(name="retail", schemas=list(schemas.values()))])


@pytest.fixture
def retail() -> Project:
    return retail_project()


@pytest.fixture(scope="session")
def retail_policy() -> Policy:
    return parse_policy((ROOT / RETAIL_POLICY).read_text(encoding="utf-8"), "policies/governance.yaml")


def policy_from(text: str, file: str = "policies/governance.yaml") -> Policy:
    """A policy from an indented snippet (dedented), as a user would write it."""
    return parse_policy(textwrap.dedent(text).lstrip("\n"), file)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` in a dedented snippet."""
    for number, line in enumerate(textwrap.dedent(text).lstrip("\n").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def at(line: int, column: int = 3, length: int = 4, file: str = "erd/model.dbml") -> Span:
    return Span(file=file, line=line, column=column, end_line=line, end_column=column + length)


def column(name: str, type_: str = "STRING", line: int = 10, **fields: object) -> Column:
    return Column(name=name, type=type_, span=at(line, 3, 20), name_span=at(line, 3, len(name)), **fields)  # type: ignore[arg-type]


def table(
    name: str, columns: list[Column], line: int = 5, pk: list[str] | None = None, **fields: object
) -> Table:
    primary_key = PrimaryKey(columns=pk) if pk else None
    return Table(
        name=name,
        columns=columns,
        primary_key=primary_key,
        span=at(line, 1, 30),
        name_span=at(line, 7, len(name)),
        **fields,  # type: ignore[arg-type]
    )


def project_of(*tables: Table, schema: str = "sales", catalog: str = "retail") -> Project:
    return Project(
        name="test",
        catalogs=[
            Catalog(
                name=catalog,
                schemas=[Schema(name=schema, tables=list(tables), name_span=at(1, 1, len(schema)))],
            )
        ],
    )


def only(rules: str, extra: str = "") -> Policy:
    """A policy with every rule off except `rules` (comma separated) at their default severity,
    plus `extra` YAML (dedented) for the sections those rules need."""
    lines = ["severity:", "  '*': off"]
    from accelerator.policy.rules import BUILTIN_RULES

    for rule in rules.split(","):
        rule = rule.strip()
        default = BUILTIN_RULES[rule].severity if rule in BUILTIN_RULES else "error"
        lines.append(f"  {rule}: {default}")
    return parse_policy(
        textwrap.dedent(extra).lstrip("\n") + "\n" + "\n".join(lines) + "\n", "policies/test.yaml"
    )
