"""A governed retail project built directly from the model classes (what the policy engine produces)."""

from __future__ import annotations

from accelerator.model import (
    Catalog,
    Column,
    Deployment,
    Environment,
    ForeignKey,
    Grant,
    Identity,
    Mask,
    PrimaryKey,
    Project,
    Schema,
    Span,
    Table,
    UniqueKey,
)


def span(line: int, column: int = 1) -> Span:
    return Span(file="erd/retail.dbml", line=line, column=column, end_line=line, end_column=column + 5)


def governed_project(
    *, grants_in: str = "sql", tables_in: str = "sql", masks_schema: str | None = None
) -> Project:
    customers = Table(
        name="customers",
        comment="People who buy from us",
        owner="data-owners",
        tags={"domain": "crm", "tier": "gold"},
        properties={"delta.enableChangeDataFeed": "true"},
        cluster_by=["customer_id"],
        columns=[
            Column(
                name="customer_id",
                type="BIGINT",
                nullable=False,
                identity=Identity(always=True, start=1, increment=1),
                comment="Surrogate key",
            ),
            Column(
                name="email",
                type="STRING",
                comment="Login and contact email",
                classification="pii.email",
                tags={"pii": "email"},
                mask=Mask(function="mask_email", strategy="hash", exempt_groups=["pii_readers"]),
            ),
            Column(
                name="phone",
                type="STRING",
                classification="pii.phone",
                mask=Mask(
                    function="mask_phone", strategy="partial", exempt_groups=["pii_readers", "support"]
                ),
            ),
            Column(name="birth_date", type="DATE", mask=Mask(function="mask_date", strategy="redact")),
            Column(name="status", type="STRING", default="'active'", allowed_values=["active", "closed"]),
            Column(name="created_at", type="TIMESTAMP", default="current_timestamp()"),
        ],
        primary_key=PrimaryKey(columns=["customer_id"]),
        unique_keys=[UniqueKey(columns=["email"])],
        grants=[Grant(principal="support", privileges=["SELECT"], environments=["prod"])],
        span=span(7),
    )
    addresses = Table(
        name="addresses",
        columns=[
            Column(name="address_id", type="BIGINT", nullable=False),
            Column(name="customer_id", type="BIGINT"),
            Column(name="city", type="STRING", comment="City | town\nor village"),
        ],
        primary_key=PrimaryKey(name="pk_addr", columns=["address_id"]),
        foreign_keys=[
            ForeignKey(
                columns=["customer_id"], ref_schema="crm", ref_table="customers", ref_columns=["customer_id"]
            )
        ],
    )
    orders = Table(
        name="orders",
        comment="One row per order",
        columns=[
            Column(name="order_id", type="BIGINT", nullable=False, identity=Identity(start=1000)),
            Column(name="customer_id", type="BIGINT", nullable=False),
            Column(name="total_amount", type="DECIMAL(12,2)", comment="Order total in EUR"),
        ],
        primary_key=PrimaryKey(columns=["order_id"]),
        foreign_keys=[
            ForeignKey(
                name="fk_orders_customer",
                columns=["customer_id"],
                ref_schema="crm",
                ref_table="customers",
                ref_columns=["customer_id"],
                label="places",
            )
        ],
    )
    catalog = Catalog(
        name="retail",
        comment="Sample domain",
        owner="platform-admins",
        tags={"cost_center": "42"},
        grants=[
            Grant(principal="analysts", privileges=["USE_CATALOG"]),
            Grant(principal="engineers", privileges=["ALL_PRIVILEGES"], environments=["dev"]),
        ],
        schemas=[
            Schema(
                name="sales",
                comment="Orders and products",
                tables=[orders],
                grants=[
                    Grant(principal="analysts", privileges=["USE_SCHEMA", "SELECT"], environments=["prod"])
                ],
            ),
            Schema(
                name="crm",
                comment="Customers",
                owner="crm-team",
                tags={"domain": "crm"},
                tables=[customers, addresses],
                grants=[Grant(principal="analysts", privileges=["USE_SCHEMA"])],
            ),
        ],
    )
    return Project(
        name="retail",
        catalogs=[catalog],
        environments=[Environment(name="dev"), Environment(name="prod")],
        deployment=Deployment(grants_in=grants_in, tables_in=tables_in, masks_schema=masks_schema),  # type: ignore[arg-type]
    )
