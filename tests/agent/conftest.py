"""A small retail model built from the model classes, shared by the agent tests."""

from __future__ import annotations

import pytest

from accelerator.model import (
    Catalog,
    Column,
    Environment,
    ForeignKey,
    Grant,
    Identity,
    PrimaryKey,
    Project,
    Schema,
    Table,
    UniqueKey,
)
from accelerator.model.build import validate_project


def build_retail() -> Project:
    customers = Table(
        name="customers",
        columns=[
            Column(name="customer_id", type="BIGINT", nullable=False, identity=Identity(always=True)),
            Column(name="email_addr", type="STRING", comment="Login email"),
            Column(name="phone", type="STRING"),
            Column(name="full_name", type="STRING", tags={"sensitivity": "low"}),
        ],
        primary_key=PrimaryKey(columns=["customer_id"]),
        unique_keys=[UniqueKey(columns=["email_addr"])],
        comment="People who buy from us",
    )
    addresses = Table(
        name="addresses",
        columns=[
            Column(name="address_id", type="BIGINT", nullable=False),
            Column(name="customer_id", type="BIGINT"),
            Column(name="city", type="STRING"),
        ],
        primary_key=PrimaryKey(columns=["address_id"]),
        foreign_keys=[
            ForeignKey(
                columns=["customer_id"], ref_schema="crm", ref_table="customers", ref_columns=["customer_id"]
            )
        ],
    )
    crm_events = Table(name="events", columns=[Column(name="event_id", type="BIGINT")])
    orders = Table(
        name="orders",
        columns=[
            Column(name="order_id", type="BIGINT", nullable=False),
            Column(name="customer_id", type="BIGINT"),
            Column(name="status", type="STRING", allowed_values=["placed", "shipped"]),
            Column(name="total_amount", type="DECIMAL(12,2)"),
            Column(name="ip_address", type="STRING"),
            Column(name="created_at", type="TIMESTAMP"),
        ],
        primary_key=PrimaryKey(columns=["order_id"]),
        foreign_keys=[
            ForeignKey(
                columns=["customer_id"], ref_schema="crm", ref_table="customers", ref_columns=["customer_id"]
            )
        ],
        cluster_by=["created_at"],
        owner="sales-team",
        grants=[Grant(principal="auditors", privileges=["SELECT"], environments=["prod"])],
    )
    order_items = Table(
        name="order_items",
        columns=[
            Column(name="order_id", type="BIGINT", nullable=False),
            Column(name="line_number", type="INT", nullable=False),
            Column(name="quantity", type="INT"),
        ],
        primary_key=PrimaryKey(columns=["order_id", "line_number"]),
        foreign_keys=[
            ForeignKey(columns=["order_id"], ref_schema="sales", ref_table="orders", ref_columns=["order_id"])
        ],
    )
    sales_events = Table(name="events", columns=[Column(name="event_id", type="BIGINT")])
    crm = Schema(name="crm", tables=[customers, addresses, crm_events], owner="crm-team")
    sales = Schema(
        name="sales",
        tables=[orders, order_items, sales_events],
        grants=[
            Grant(principal="analysts", privileges=["USE_SCHEMA", "SELECT"]),
            Grant(principal="data engineers", privileges=["MODIFY"], environments=["dev", "prod"]),
        ],
    )
    project = Project(
        name="retail",
        catalogs=[Catalog(name="retail", schemas=[crm, sales])],
        environments=[Environment(name="dev"), Environment(name="staging"), Environment(name="prod")],
    )
    validate_project(project)
    return project


@pytest.fixture
def retail() -> Project:
    return build_retail()
