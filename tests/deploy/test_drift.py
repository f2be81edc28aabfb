"""`drift`: information_schema against the model, as missing / undeclared / differs findings."""

from __future__ import annotations

import json
import re

import pytest

from accelerator.deploy.drift import (
    MARKER,
    DriftFinding,
    drift,
    drift_json,
    drift_markdown,
    drift_text,
    normal_type,
)
from accelerator.deploy.runner import Rows, StatementFailed
from accelerator.model.elements import (
    Catalog,
    Column,
    Environment,
    ForeignKey,
    Grant,
    PrimaryKey,
    Project,
    Schema,
    Table,
)
from tests.deploy.engine import EngineRunner


def project() -> Project:
    customers = Table(
        name="customers",
        owner="data_platform",
        tags={"domain": "crm"},
        columns=[
            Column(name="customer_id", type="BIGINT", nullable=False),
            Column(name="email", type="STRING", comment="Login", tags={"pii": "email"}),
            Column(name="score", type="DECIMAL(10,2)"),
        ],
        primary_key=PrimaryKey(columns=["customer_id"]),
        grants=[
            Grant(principal="analysts", privileges=["SELECT"], environments=["prod"]),
            Grant(principal="crm_app", privileges=["SELECT", "MODIFY"]),
        ],
    )
    addresses = Table(
        name="addresses",
        columns=[Column(name="address_id", type="BIGINT", nullable=False), Column(name="customer_id", type="BIGINT")],
        foreign_keys=[ForeignKey(columns=["customer_id"], ref_schema="crm", ref_table="customers", ref_columns=["customer_id"])],
    )  # fmt: skip
    return Project(
        name="retail",
        catalogs=[Catalog(name="retail", schemas=[Schema(name="crm", tables=[customers, addresses])])],
        environments=[Environment(name="dev"), Environment(name="prod")],
    )


def views(**changes: list[dict[str, str | None]]) -> dict[str, Rows]:
    """The information_schema of dev_retail as the model declares it, with `changes` appended."""
    t = {"table_catalog": "dev_retail", "table_schema": "crm"}
    n = {"catalog_name": "dev_retail", "schema_name": "crm"}
    base: dict[str, list[dict[str, str | None]]] = {
        "tables": [
            {**t, "table_name": "customers", "table_type": "MANAGED", "table_owner": "data_platform", "comment": None},
            {**t, "table_name": "addresses", "table_type": "MANAGED", "table_owner": "someone", "comment": None},
            {**t, "table_name": "schema_history", "table_schema": "_accelerator", "comment": None},
        ],
        "columns": [
            {**t, "table_name": "customers", "column_name": "customer_id", "full_data_type": "bigint", "is_nullable": "NO", "comment": None},
            {**t, "table_name": "customers", "column_name": "email", "full_data_type": "string", "is_nullable": "YES", "comment": "Login"},
            {**t, "table_name": "customers", "column_name": "score", "full_data_type": "decimal(10,2)", "is_nullable": "YES", "comment": None},
            {**t, "table_name": "addresses", "column_name": "address_id", "full_data_type": "bigint", "is_nullable": "NO", "comment": None},
            {**t, "table_name": "addresses", "column_name": "customer_id", "full_data_type": "bigint", "is_nullable": "YES", "comment": None},
        ],
        "table_tags": [{**n, "table_name": "customers", "tag_name": "domain", "tag_value": "crm"}],
        "column_tags": [{**n, "table_name": "customers", "column_name": "email", "tag_name": "pii", "tag_value": "email"}],
        "table_constraints": [
            {**t, "table_name": "customers", "constraint_name": "pk_customers", "constraint_type": "PRIMARY KEY"},
            {**t, "table_name": "addresses", "constraint_name": "fk_addresses_customer_id", "constraint_type": "FOREIGN KEY"},
        ],
        "table_privileges": [
            {**t, "table_name": "customers", "grantee": "crm_app", "privilege_type": "SELECT", "inherited_from": "NONE"},
            {**t, "table_name": "customers", "grantee": "crm_app", "privilege_type": "MODIFY", "inherited_from": "NONE"},
            {**t, "table_name": "customers", "grantee": "readers", "privilege_type": "SELECT", "inherited_from": "SCHEMA"},
        ],
    }  # fmt: skip
    result: dict[str, Rows] = {}
    for view, rows in base.items():
        rows = rows + changes.get(view, [])
        columns = tuple(sorted({key for row in rows for key in row}))
        result[view] = Rows(columns, tuple(tuple(row.get(c) for c in columns) for row in rows))
    return result


class ViewsRunner:
    def __init__(self, catalogs: dict[str, dict[str, Rows]]) -> None:
        self.catalogs = catalogs

    def execute(self, sql: str) -> Rows:
        found = re.search(r" FROM (\S+) WHERE .* LIMIT (\d+) OFFSET (\d+)$", sql)
        assert found is not None, sql
        catalog, _, view = found.group(1).replace("`", "").split(".")
        if catalog not in self.catalogs:
            raise StatementFailed(f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{catalog}' was not found.")
        rows = self.catalogs[catalog][view]
        start, limit = int(found.group(3)), int(found.group(2))
        return Rows(rows.columns, rows.rows[start : start + limit])


def test_a_workspace_as_declared_is_clean() -> None:
    report = drift(ViewsRunner({"dev_retail": views()}), project(), "dev")
    assert report.clean and report.catalogs == ["dev_retail"]
    assert drift_text(report).endswith("clean: the workspace matches the model\n")
    assert (
        drift_markdown(report)
        == f"{MARKER}\n## Drift in `dev`\n\nNo drift: the workspace matches the model.\n"
    )


def test_each_kind_of_difference_is_a_finding() -> None:
    t = {"table_catalog": "dev_retail", "table_schema": "crm"}
    n = {"catalog_name": "dev_retail", "schema_name": "crm"}
    changed = views(
        tables=[{**t, "table_name": "scratch", "table_owner": "bob", "comment": None}],
        columns=[{**t, "table_name": "customers", "column_name": "Nickname", "full_data_type": "string", "is_nullable": "YES"}],
        table_tags=[{**n, "table_name": "customers", "tag_name": "owner_team", "tag_value": "x"},
                    {**n, "table_name": "customers", "tag_name": "system.certified", "tag_value": ""}],
        column_tags=[{**n, "table_name": "customers", "column_name": "score", "tag_name": "pii", "tag_value": "none"}],
        table_privileges=[{**t, "table_name": "customers", "grantee": "interns", "privilege_type": "ALL PRIVILEGES", "inherited_from": "NONE"}],
    )  # fmt: skip
    rows = changed["columns"]
    changed["columns"] = Rows(
        rows.columns,
        tuple(
            tuple("int" if v == "decimal(10,2)" else v for v in row) for row in rows.rows
        ),  # score retyped by hand
    )
    constraints = changed["table_constraints"]
    changed["table_constraints"] = Rows(constraints.columns, constraints.rows[:1])  # the foreign key dropped
    report = drift(ViewsRunner({"dev_retail": changed}), project(), "dev")
    assert report.findings == [
        DriftFinding("dev_retail.crm.addresses", "constraint", "missing", expected="FOREIGN KEY fk_addresses_customer_id"),
        DriftFinding("dev_retail.crm.customers", "grant", "undeclared", actual="ALL_PRIVILEGES to interns"),
        DriftFinding("dev_retail.crm.customers", "table tag", "undeclared", actual="owner_team=x"),
        DriftFinding("dev_retail.crm.customers.Nickname", "column", "undeclared", actual="STRING"),
        DriftFinding("dev_retail.crm.customers.score", "column tag", "undeclared", actual="pii=none"),
        DriftFinding("dev_retail.crm.customers.score", "type", "differs", expected="DECIMAL(10,2)", actual="INT"),
        DriftFinding("dev_retail.crm.scratch", "table", "undeclared", actual="dev_retail.crm.scratch"),
    ]  # fmt: skip
    assert not report.clean
    text = drift_text(report)
    assert (
        "differs    dev_retail.crm.customers.score: type differs: declared DECIMAL(10,2), found INT" in text
    )
    assert text.endswith("7 differences\n")
    markdown = drift_markdown(report)
    assert "| undeclared | `dev_retail.crm.customers` | grant |  | `ALL_PRIVILEGES to interns` |" in markdown
    data = json.loads(drift_json(report))
    assert data["clean"] is False and len(data["findings"]) == 7
    assert (
        data["findings"][0]["message"]
        == "constraint declared but missing: FOREIGN KEY fk_addresses_customer_id"
    )


def test_missing_tables_columns_tags_and_grants_of_the_environment() -> None:
    prod = {
        view: Rows(
            rows.columns,
            tuple(tuple("prod_retail" if v == "dev_retail" else v for v in row) for row in rows.rows),
        )
        for view, rows in views().items()
    }
    report = drift(ViewsRunner({"prod_retail": prod}), project(), "prod")  # the grant to analysts is prod's
    assert report.findings == [
        DriftFinding("prod_retail.crm.customers", "grant", "missing", expected="SELECT to analysts")
    ]
    empty = {view: Rows() for view in views()}
    report = drift(ViewsRunner({"prod_retail": empty}), project(), "prod")
    assert [(f.object, f.what, f.kind) for f in report.findings] == [
        ("prod_retail.crm.addresses", "table", "missing"),
        ("prod_retail.crm.customers", "table", "missing"),
    ]
    report = drift(ViewsRunner({}), project(), "prod")
    assert report.missing_catalogs == ["prod_retail"] and not report.clean
    assert "missing    catalog prod_retail: declared but not in the workspace" in drift_text(report)


@pytest.mark.parametrize(
    ("written", "normal"),
    [("decimal(10,2)", "DECIMAL(10,2)"), ("DECIMAL", "DECIMAL(10,0)"), ("integer", "INT"), ("long", "BIGINT"),
     ("array<string>", "ARRAY<STRING>"), ("STRUCT<a: INT, b: STRING>", "STRUCT<A:INT,B:STRING>"),
     ("numeric(5, 1)", "DECIMAL(5,1)")],
)  # fmt: skip
def test_types_compare_in_one_spelling(written: str, normal: str) -> None:
    assert normal_type(written) == normal


# dev as `project()` declares it, made on the sandbox's engine
AS_DECLARED = (
    "CREATE CATALOG `dev_retail`",
    "CREATE SCHEMA `dev_retail`.`crm`",
    "CREATE TABLE `dev_retail`.`crm`.`customers` (`customer_id` BIGINT NOT NULL, `email` STRING COMMENT 'Login',"
    " `score` DECIMAL(10,2), CONSTRAINT `pk_customers` PRIMARY KEY (`customer_id`))",
    "CREATE TABLE `dev_retail`.`crm`.`addresses` (`address_id` BIGINT NOT NULL, `customer_id` BIGINT)",
    "ALTER TABLE `dev_retail`.`crm`.`addresses` ADD CONSTRAINT `fk_addresses_customer_id` FOREIGN KEY "
    "(`customer_id`) REFERENCES `dev_retail`.`crm`.`customers` (`customer_id`)",
    "ALTER TABLE `dev_retail`.`crm`.`customers` SET TAGS ('domain' = 'crm')",
    "ALTER TABLE `dev_retail`.`crm`.`customers` ALTER COLUMN `email` SET TAGS ('pii' = 'email')",
    "GRANT SELECT, MODIFY ON TABLE `dev_retail`.`crm`.`customers` TO `crm_app`",
    "ALTER TABLE `dev_retail`.`crm`.`customers` OWNER TO `data_platform`",
)


def test_drift_on_the_sandbox_after_a_change_by_hand() -> None:
    engine = EngineRunner()
    for statement in AS_DECLARED:
        engine.execute(statement)
    assert drift(engine, project(), "dev").findings == []
    engine.execute(
        "ALTER TABLE `dev_retail`.`crm`.`customers` ALTER COLUMN `email` SET TAGS ('pii' = 'contact')"
    )
    engine.execute("ALTER TABLE `dev_retail`.`crm`.`customers` ADD COLUMNS (`coupon` STRING)")
    assert drift(engine, project(), "dev").findings == [
        DriftFinding("dev_retail.crm.customers.coupon", "column", "undeclared", actual="STRING"),
        DriftFinding("dev_retail.crm.customers.email", "column tag", "differs", "pii=email", "pii=contact"),
    ]


def test_catalog_and_schema_grants_drift_where_the_migrations_own_them() -> None:
    """Terraform disabled (or grants_in: sql): the migrations write the catalogs' and schemas' grants,
    so drift reads catalog_privileges and schema_privileges too; with Terraform they are its business."""
    model = project()
    catalog = model.catalogs[0]
    catalog.grants = [Grant(principal="analysts", privileges=["USE_CATALOG"])]
    catalog.schemas[0].grants = [
        Grant(principal="analysts", privileges=["USE_SCHEMA", "SELECT"]),
        Grant(principal="auditors", privileges=["USE_SCHEMA"], environments=["prod"]),
    ]
    engine = EngineRunner()
    for statement in (
        *AS_DECLARED,
        "GRANT USE CATALOG ON CATALOG `dev_retail` TO `analysts`",
        "GRANT USE SCHEMA, SELECT ON SCHEMA `dev_retail`.`crm` TO `analysts`",
    ):
        engine.execute(statement)
    assert drift(engine, model, "dev", securable_grants=True).findings == []
    engine.execute("REVOKE SELECT ON SCHEMA `dev_retail`.`crm` FROM `analysts`")
    engine.execute("GRANT MODIFY ON SCHEMA `dev_retail`.`crm` TO `interns`")
    engine.execute("GRANT CREATE SCHEMA ON CATALOG `dev_retail` TO `analysts`")
    assert drift(engine, model, "dev", securable_grants=True).findings == [
        DriftFinding("dev_retail", "grant", "undeclared", actual="CREATE_SCHEMA to analysts"),
        DriftFinding("dev_retail.crm", "grant", "missing", expected="SELECT to analysts"),
        DriftFinding("dev_retail.crm", "grant", "undeclared", actual="MODIFY to interns"),
    ]
    assert drift(engine, model, "dev").findings == []  # Terraform's: not read
