"""The in-memory Unity Catalog: the accelerator's generated migrations run on it and information_schema
shows their result; each refusal carries Databricks' error class; statements are atomic; privileges
and ownership hold; the state survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.sandbox.databricks import SqlError, UnityCatalog

from .conftest import OWNER_GROUP, USER, Migrations, run_all


def rows(uc: UnityCatalog, sql: str, user: str = USER, **parameters: object) -> list[list[object]]:
    return uc.execute(sql, user, parameters=dict(parameters)).rows


def fails(uc: UnityCatalog, sql: str, error_class: str, user: str = USER) -> SqlError:
    with pytest.raises(SqlError) as caught:
        uc.execute(sql, user)
    assert caught.value.error_class == error_class, caught.value.text
    assert caught.value.text.startswith(f"[{error_class}] ")
    return caught.value


@pytest.fixture
def retail(uc: UnityCatalog, migrations: Migrations) -> UnityCatalog:
    """dev's V0001 applied."""
    run_all(uc, migrations.files["dev"][0][1])
    return uc


TABLE = "`dev_retail`.`crm`.`customers`"


# --- the generated migrations --------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_generated_migration_runs_in_order(uc: UnityCatalog, migrations: Migrations, env: str) -> None:
    for _, statements in migrations.files[env]:
        run_all(uc, statements)
    catalog = f"{env}_retail"
    assert rows(uc, f"SELECT table_name FROM {catalog}.information_schema.tables ORDER BY table_name") == [
        ["addresses"], ["customers"], ["order_items"], ["orders"], ["products"], ["returns"],
    ]  # fmt: skip
    assert rows(uc, f"SELECT check_clause FROM {catalog}.information_schema.check_constraints") == [
        ["`status` IN ('placed', 'shipped', 'delivered', 'returned')"]
    ]
    assert (
        rows(
            uc,
            f"SELECT column_name FROM {catalog}.information_schema.column_masks WHERE table_name = 'orders'",
        )
        == []
    )
    assert (
        rows(
            uc, f"SELECT grantee FROM {catalog}.information_schema.table_privileges WHERE grantee = 'finance'"
        )
        == []
    )
    assert rows(
        uc,
        f"SELECT comment FROM {catalog}.information_schema.columns WHERE table_name = 'products' "
        "AND column_name = 'unit_price'",
    ) == [["List price in EUR, VAT included"]]
    columns = rows(
        uc,
        f"SELECT column_name, full_data_type, is_nullable, column_default FROM {catalog}.information_schema.columns "
        "WHERE table_schema = 'sales' AND table_name = 'orders' ORDER BY ordinal_position",
    )
    assert columns[:3] == [
        ["order_id", "bigint", "NO", None],
        ["customer_id", "bigint", "YES", None],
        ["order_date", "timestamp", "YES", None],  # V0002's rewrite: back at its place, the new type
    ]
    assert rows(
        uc,
        f"SELECT column_name, full_data_type, is_nullable, column_default FROM {catalog}.information_schema.columns "
        "WHERE table_name = 'customers' AND column_name = 'loyalty_tier'",
    ) == [["loyalty_tier", "string", "NO", "'basic'"]]
    assert ["city"] not in rows(
        uc, f"SELECT column_name FROM {catalog}.information_schema.columns WHERE table_name = 'addresses'"
    )


def test_information_schema_shows_tags_masks_keys_grants_and_owners(retail: UnityCatalog) -> None:
    uc = retail
    assert rows(
        uc,
        "SELECT column_name, tag_value FROM dev_retail.information_schema.column_tags "
        "WHERE table_name = 'customers' AND tag_name = 'pii' ORDER BY column_name",
    ) == [["birth_date", "birth_date"], ["email", "email"], ["full_name", "name"], ["phone", "phone"]]
    assert rows(
        uc,
        "SELECT tag_name, tag_value FROM dev_retail.information_schema.table_tags WHERE table_name = 'orders'",
    ) == [["data_owner", "sales_team"], ["domain", "sales"]]
    assert rows(uc, "SELECT tag_name, tag_value FROM dev_retail.information_schema.catalog_tags") == [
        ["domain", "retail"]
    ]
    assert rows(
        uc,
        "SELECT mask_schema, mask_name FROM dev_retail.information_schema.column_masks "
        "WHERE table_name = 'orders' AND column_name = 'ip_address'",
    ) == [["sales", "mask_hash_string_security"]]
    assert rows(
        uc,
        "SELECT constraint_name, column_name, ordinal_position FROM dev_retail.information_schema.key_column_usage "
        "WHERE table_name = 'order_items' ORDER BY constraint_name, ordinal_position",
    ) == [
        ["fk_order_items_order_id", "order_id", 1],
        ["fk_order_items_product_id", "product_id", 1],
        ["pk_order_items", "order_id", 1],
        ["pk_order_items", "line_number", 2],
    ]
    assert rows(
        uc,
        "SELECT table_name, column_name FROM dev_retail.information_schema.constraint_column_usage "
        "WHERE constraint_name = 'fk_orders_customer_id'",
    ) == [["customers", "customer_id"]]
    assert rows(
        uc,
        "SELECT grantee, privilege_type FROM dev_retail.information_schema.schema_privileges "
        "WHERE schema_name = 'sales' ORDER BY grantee, privilege_type",
    ) == [
        ["data_platform", "CREATE TABLE"],
        ["data_platform", "MODIFY"],
        ["data_platform", "SELECT"],
        ["data_platform", "USE SCHEMA"],
    ]
    assert rows(
        uc, "SELECT table_owner FROM dev_retail.information_schema.tables WHERE table_name = 'products'"
    ) == [[OWNER_GROUP]]
    assert rows(uc, "SELECT schema_name FROM dev_retail.information_schema.schemata ORDER BY schema_name") == [
        ["crm"], ["default"], ["information_schema"], ["sales"],
    ]  # fmt: skip
    assert rows(uc, "SELECT count(*) FROM dev_retail.information_schema.routines") == [[5]]
    properties = {str(key): value for key, value in rows(uc, f"SHOW TBLPROPERTIES {TABLE}")}
    assert properties["delta.columnMapping.mode"] == "name"


def test_migrations_keep_and_convert_existing_rows(retail: UnityCatalog, migrations: Migrations) -> None:
    uc = retail
    rows(uc, f"INSERT INTO {TABLE} (customer_id, email) VALUES (1, 'a@x'), (2, NULL)")
    rows(
        uc,
        "INSERT INTO dev_retail.sales.orders (order_id, customer_id, order_date) VALUES (7, 1, '2026-01-02')",
    )
    run_all(uc, migrations.files["dev"][1][1])
    assert rows(uc, f"SELECT customer_id, loyalty_tier FROM {TABLE} ORDER BY customer_id") == [
        [1, "basic"],
        [2, "basic"],
    ]
    assert rows(uc, "SELECT order_date FROM dev_retail.sales.orders") == [["2026-01-02T00:00:00"]]


def test_applying_a_migration_twice_fails_where_databricks_would(
    retail: UnityCatalog, migrations: Migrations
) -> None:
    first = migrations.files["dev"][0][1][0]
    assert first.startswith("CREATE CATALOG `dev_retail`")
    fails(retail, first, "CATALOG_ALREADY_EXISTS")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "error_class"),
    [
        ("CREATE TABLE `dev_retail`.`crm`.`customers` (a INT)", "TABLE_OR_VIEW_ALREADY_EXISTS"),
        ("CREATE SCHEMA `dev_retail`.`crm`", "SCHEMA_ALREADY_EXISTS"),
        ("CREATE TABLE `dev_retail`.`nope`.`t` (a INT)", "SCHEMA_NOT_FOUND"),
        ("CREATE SCHEMA `nope`.`s`", "NO_SUCH_CATALOG_EXCEPTION"),
        ("ALTER TABLE `dev_retail`.`crm`.`nope` ADD COLUMNS (x INT)", "TABLE_OR_VIEW_NOT_FOUND"),
        ("SELECT * FROM dev_retail.crm.nope", "TABLE_OR_VIEW_NOT_FOUND"),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `nope` COMMENT 'x'", "UNRESOLVED_COLUMN.WITH_SUGGESTION"),
        (f"ALTER TABLE {TABLE} DROP COLUMN `nope`", "UNRESOLVED_COLUMN.WITH_SUGGESTION"),
        (f"SELECT nope FROM {TABLE}", "UNRESOLVED_COLUMN.WITH_SUGGESTION"),
        (f"ALTER TABLE {TABLE} ADD COLUMNS (`email` STRING)", "FIELD_ALREADY_EXISTS"),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `customer_id` TYPE INT", "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP"),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `email` TYPE INT", "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP"),
        (f"ALTER TABLE {TABLE} DROP COLUMN `customer_id`", "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE"),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `customer_id` DROP NOT NULL", "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE"),
        (f"ALTER TABLE {TABLE} ADD CONSTRAINT `pk2` PRIMARY KEY (`email`)", "MULTIPLE_PRIMARY_KEYS"),
        (f"ALTER TABLE {TABLE} DROP CONSTRAINT `nope`", "DELTA_CONSTRAINT_DOES_NOT_EXIST"),
        (f"ALTER TABLE {TABLE} DROP PRIMARY KEY", "CONSTRAINT_DEPENDENCY"),
        (
            "ALTER TABLE `dev_retail`.`sales`.`orders` ADD CONSTRAINT `pk_products` FOREIGN KEY (`customer_id`) "
            "REFERENCES `dev_retail`.`crm`.`customers` (`customer_id`)",
            "DELTA_CONSTRAINT_ALREADY_EXISTS",
        ),
        (
            "ALTER TABLE `dev_retail`.`sales`.`orders` ADD CONSTRAINT `fk_x` FOREIGN KEY (`status`) "
            "REFERENCES `dev_retail`.`crm`.`customers` (`email`)",
            "FOREIGN_KEY_REFERENCES_NON_PRIMARY_KEY",
        ),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `email` SET DEFAULT 'x'", "WRONG_COLUMN_DEFAULTS_FOR_DELTA_FEATURE_NOT_ENABLED"),
        (
            f"ALTER TABLE {TABLE} ALTER COLUMN `birth_date` SET MASK `dev_retail`.`crm`.`mask_redact_string_pii_readers`",
            "DATATYPE_MISMATCH",
        ),
        (f"ALTER TABLE {TABLE} ALTER COLUMN `email` SET MASK `dev_retail`.`crm`.`nope`", "ROUTINE_NOT_FOUND"),
        (f"ALTER TABLE {TABLE} UNSET TBLPROPERTIES ('nope')", "UNSET_NONEXISTENT_PROPERTIES"),
        (f"ALTER TABLE {TABLE} SET TBLPROPERTIES ('delta.columnMapping.mode' = 'none')", "DELTA_UNSUPPORTED_COLUMN_MAPPING_MODE_CHANGE"),
        ("GRANT USE CATALOG ON TABLE `dev_retail`.`crm`.`customers` TO `x`", "INVALID_PARAMETER_VALUE.PRIVILEGE"),
        ("DROP SCHEMA `dev_retail`.`crm`", "SCHEMA_NOT_EMPTY"),
        ("CREATE TABLE `dev_retail`.`crm`.`t` (a INT, CONSTRAINT pk PRIMARY KEY (a))", "DELTA_NONNULLABLE_KEY_COLUMN"),
        ("CREATE TABLE `dev_retail`.`crm`.`t` (a WIBBLE)", "UNSUPPORTED_DATATYPE"),
        ("CREATE TABLE `dev_retail`.`crm`.`t` (a INT", "PARSE_SYNTAX_ERROR"),
        ("SELECT * FROM dev_retail.information_schema.nope", "TABLE_OR_VIEW_NOT_FOUND"),
    ],
)  # fmt: skip
def test_refusals_carry_databricks_error_classes(retail: UnityCatalog, sql: str, error_class: str) -> None:
    fails(retail, sql, error_class)


def test_rename_and_drop_need_column_mapping(uc: UnityCatalog) -> None:
    run_all(uc, ["CREATE CATALOG c", "CREATE SCHEMA c.s", "CREATE TABLE c.s.t (a INT, b INT)"])
    fails(uc, "ALTER TABLE c.s.t RENAME COLUMN a TO z", "DELTA_UNSUPPORTED_RENAME_COLUMN")
    fails(uc, "ALTER TABLE c.s.t DROP COLUMN b", "DELTA_UNSUPPORTED_DROP_COLUMN")
    uc.execute("ALTER TABLE c.s.t SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')", USER)
    uc.execute("ALTER TABLE c.s.t RENAME COLUMN a TO z", USER)
    uc.execute("ALTER TABLE c.s.t DROP COLUMN b", USER)
    assert rows(uc, "SELECT column_name FROM c.information_schema.columns WHERE table_name = 't'") == [["z"]]


def test_type_changes_widen_only_with_type_widening(uc: UnityCatalog) -> None:
    run_all(uc, ["CREATE CATALOG c", "CREATE SCHEMA c.s", "CREATE TABLE c.s.t (a INT, d DECIMAL(10,2))"])
    error = fails(
        uc, "ALTER TABLE c.s.t ALTER COLUMN a TYPE BIGINT", "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP"
    )
    assert "delta.enableTypeWidening" in error.text
    uc.execute("ALTER TABLE c.s.t SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')", USER)
    uc.execute("ALTER TABLE c.s.t ALTER COLUMN a TYPE BIGINT", USER)
    uc.execute("ALTER TABLE c.s.t ALTER COLUMN d TYPE DECIMAL(12,2)", USER)
    fails(
        uc,
        "ALTER TABLE c.s.t ALTER COLUMN d TYPE DECIMAL(12,1)",
        "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP",
    )
    fails(uc, "ALTER TABLE c.s.t ALTER COLUMN a TYPE INT", "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP")
    assert rows(uc, "SELECT full_data_type FROM c.information_schema.columns ORDER BY ordinal_position") == [
        ["bigint"],
        ["decimal(12,2)"],
    ]


def test_a_check_constraint_holds_rows_and_its_column(uc: UnityCatalog) -> None:
    run_all(
        uc,
        [
            "CREATE CATALOG c",
            "CREATE SCHEMA c.s",
            "CREATE TABLE c.s.t (a INT, s STRING) TBLPROPERTIES ('delta.columnMapping.mode' = 'name')",
            "ALTER TABLE c.s.t ADD CONSTRAINT chk CHECK (s IN ('x', 'y'))",
            "INSERT INTO c.s.t VALUES (1, 'x')",
        ],
    )
    fails(uc, "INSERT INTO c.s.t VALUES (2, 'z')", "DELTA_VIOLATE_CONSTRAINT_WITH_VALUES")
    fails(uc, "ALTER TABLE c.s.t DROP COLUMN s", "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE")
    fails(uc, "ALTER TABLE c.s.t RENAME COLUMN s TO u", "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE")
    fails(uc, "ALTER TABLE c.s.t ADD CONSTRAINT pos CHECK (a > 5)", "DELTA_NEW_CHECK_CONSTRAINT_VIOLATION")
    uc.execute("ALTER TABLE c.s.t DROP CONSTRAINT IF EXISTS chk", USER)
    uc.execute("ALTER TABLE c.s.t DROP COLUMN s", USER)
    assert rows(uc, "SELECT * FROM c.s.t") == [[1]]


def test_drop_primary_key_cascade_takes_the_foreign_keys_that_reference_it(retail: UnityCatalog) -> None:
    uc = retail
    uc.execute(f"ALTER TABLE {TABLE} DROP PRIMARY KEY IF EXISTS CASCADE", USER)
    assert (
        rows(
            uc,
            "SELECT constraint_name FROM dev_retail.information_schema.referential_constraints "
            "WHERE unique_constraint_name = 'pk_customers'",
        )
        == []
    )
    # 5 keys and 4 foreign keys before; the key and the 2 foreign keys that referenced it are gone
    assert rows(uc, "SELECT count(*) FROM dev_retail.information_schema.table_constraints") == [[6]]
    uc.execute(f"ALTER TABLE {TABLE} DROP PRIMARY KEY IF EXISTS CASCADE", USER)  # IF EXISTS: nothing to do
    fails(uc, f"ALTER TABLE {TABLE} DROP PRIMARY KEY", "DELTA_CONSTRAINT_DOES_NOT_EXIST")


def test_unknown_statement_forms_are_refused_by_name(retail: UnityCatalog) -> None:
    for sql, form in [
        ("OPTIMIZE `dev_retail`.`crm`.`customers`", "OPTIMIZE"),
        ("CREATE VIEW dev_retail.crm.v AS SELECT 1", "CREATE VIEW"),
        ("MERGE INTO dev_retail.crm.customers t USING dev_retail.crm.customers s ON t.customer_id = s.customer_id "
         "WHEN MATCHED THEN DELETE", "MERGE"),
        (f"ALTER TABLE {TABLE} SET LOCATION 's3://x'", "ALTER TABLE ... SET LOCATION"),
        ("VACUUM dev_retail.crm.customers", "VACUUM"),
        (f"SELECT a.customer_id FROM {TABLE} a JOIN {TABLE} b ON a.customer_id = b.customer_id", "SELECT with JOINS"),
    ]:  # fmt: skip
        error = fails(retail, sql, "UNSUPPORTED_FEATURE.SANDBOX")
        assert f"does not execute {form}" in error.text, error.text


def test_a_failed_statement_changes_nothing(retail: UnityCatalog) -> None:
    uc = retail
    before = uc.metastore.model_dump()
    fails(
        uc,
        "CREATE TABLE dev_retail.crm.t (a BIGINT NOT NULL, CONSTRAINT fk FOREIGN KEY (a) REFERENCES "
        "dev_retail.crm.nope (x))",
        "TABLE_OR_VIEW_NOT_FOUND",
    )
    fails(uc, f"ALTER TABLE {TABLE} DROP COLUMNS (`email`, `nope`)", "UNRESOLVED_COLUMN.WITH_SUGGESTION")
    rows(uc, f"INSERT INTO {TABLE} (customer_id) VALUES (1)")
    fails(uc, f"INSERT INTO {TABLE} (customer_id) VALUES (2), (NULL)", "DELTA_NOT_NULL_CONSTRAINT_VIOLATED")
    assert rows(uc, f"SELECT customer_id FROM {TABLE}") == [[1]]
    uc.execute(f"DELETE FROM {TABLE}", USER)
    after = uc.metastore.model_dump()
    for value in (before, after):
        value["catalogs"]["dev_retail"]["schemas"]["crm"]["tables"]["customers"].pop("updated_at")
    assert after == before


# --- privileges ----------------------------------------------------------------------------------


def test_privileges_the_caller_lacks_are_refused(retail: UnityCatalog) -> None:
    uc = retail
    fails(uc, f"SELECT * FROM {TABLE}", "INSUFFICIENT_PERMISSIONS", user="bob")
    error = fails(uc, f"ALTER TABLE {TABLE} ADD COLUMNS (x INT)", "INSUFFICIENT_PERMISSIONS", user="bob")
    assert "bob does not have USE CATALOG on Catalog 'dev_retail'" in error.text
    rows(uc, "GRANT USE CATALOG ON CATALOG dev_retail TO bob")
    rows(uc, "GRANT USE SCHEMA, SELECT ON SCHEMA dev_retail.crm TO bob")
    assert rows(uc, f"SELECT count(*) FROM {TABLE}", user="bob") == [[0]]
    error = fails(uc, f"INSERT INTO {TABLE} (customer_id) VALUES (1)", "INSUFFICIENT_PERMISSIONS", user="bob")
    assert "MODIFY on Table 'dev_retail.crm.customers'" in error.text
    fails(uc, f"ALTER TABLE {TABLE} ADD COLUMNS (x INT)", "INSUFFICIENT_PERMISSIONS", user="bob")
    fails(uc, f"GRANT SELECT ON TABLE {TABLE} TO carol", "INSUFFICIENT_PERMISSIONS", user="bob")
    rows(uc, f"GRANT MANAGE ON TABLE {TABLE} TO bob")
    uc.execute(f"ALTER TABLE {TABLE} ADD COLUMNS (x INT)", "bob")
    rows(uc, "REVOKE USE CATALOG ON CATALOG dev_retail FROM bob")
    fails(uc, f"SELECT * FROM {TABLE}", "INSUFFICIENT_PERMISSIONS", user="bob")


def test_ownership_moves_with_owner_to(uc: UnityCatalog) -> None:
    run_all(uc, ["CREATE CATALOG c", "CREATE SCHEMA c.s", "CREATE TABLE c.s.t (a INT)"], user="bob")
    uc.execute("ALTER TABLE c.s.t SET TAGS ('k' = 'v')", "bob")
    uc.execute("ALTER TABLE c.s.t OWNER TO `data_platform`", "bob")
    uc.execute("ALTER TABLE c.s.t SET TAGS ('k' = 'v')", "bob")  # still the schema's owner
    uc.execute("ALTER SCHEMA c.s OWNER TO `data_platform`", "bob")
    uc.execute("ALTER CATALOG c OWNER TO `data_platform`", "bob")
    fails(uc, "ALTER TABLE c.s.t SET TAGS ('k' = 'w')", "INSUFFICIENT_PERMISSIONS", user="bob")
    uc.execute("ALTER TABLE c.s.t SET TAGS ('k' = 'w')", USER)  # a member of the owner group
    assert rows(uc, "SELECT catalog_owner FROM c.information_schema.catalogs") == [["data_platform"]]
    assert rows(uc, "SELECT tag_value FROM c.information_schema.table_tags") == [["w"]]


def test_information_schema_shows_only_what_the_user_may_see(retail: UnityCatalog) -> None:
    uc = retail
    rows(uc, "GRANT USE CATALOG ON CATALOG dev_retail TO bob")
    rows(uc, "GRANT SELECT ON TABLE dev_retail.sales.products TO bob")
    assert rows(
        uc, "SELECT table_schema, table_name FROM dev_retail.information_schema.tables", user="bob"
    ) == [["sales", "products"]]


# --- the row store -------------------------------------------------------------------------------


def test_a_history_table_with_a_lock_row(uc: UnityCatalog) -> None:
    run_all(
        uc,
        [
            "CREATE CATALOG c",
            "CREATE SCHEMA IF NOT EXISTS c._accelerator",
            "CREATE SCHEMA IF NOT EXISTS c._accelerator",
            "CREATE TABLE IF NOT EXISTS c._accelerator.schema_history (version STRING NOT NULL, checksum STRING, "
            "applied_at TIMESTAMP, applied_by STRING, duration_ms BIGINT, status STRING, statements_done INT, "
            "id BIGINT GENERATED ALWAYS AS IDENTITY)",
            "CREATE TABLE IF NOT EXISTS c._accelerator.schema_history (version STRING)",
        ],
    )
    history = "c._accelerator.schema_history"
    lock = (
        f"INSERT INTO {history} (version, status, applied_by, applied_at) "
        f"SELECT 'lock', 'locked', current_user(), current_timestamp() "
        f"WHERE NOT EXISTS (SELECT 1 FROM {history} WHERE version = 'lock')"
    )
    assert rows(uc, lock) == [[1, 1]]
    assert rows(uc, lock) == [[0, 0]]  # held: a second apply does not take it
    rows(
        uc,
        f"INSERT INTO {history} (version, checksum, status, statements_done) VALUES (:v, :c, 'running', 0)",
        v="0001",
        c="abc",
    )
    rows(uc, f"UPDATE {history} SET statements_done = statements_done + 1 WHERE version = :v", v="0001")
    rows(uc, f"UPDATE {history} SET status = 'applied', duration_ms = 12 WHERE version = '0001'")
    assert rows(
        uc, f"SELECT version, checksum, status, statements_done, id FROM {history} WHERE version <> 'lock'"
    ) == [["0001", "abc", "applied", 1, 2]]
    assert rows(uc, f"SELECT applied_by FROM {history} WHERE version = 'lock'") == [[USER]]
    stale = f"DELETE FROM {history} WHERE version = 'lock' AND applied_at < current_timestamp() - INTERVAL 10 MINUTES"
    assert rows(uc, stale) == [[0]]
    assert rows(uc, f"DELETE FROM {history} WHERE version = 'lock' AND applied_by = current_user()") == [[1]]
    assert rows(uc, f"SELECT version FROM {history} ORDER BY id DESC LIMIT 1") == [["0001"]]
    fails(
        uc,
        f"INSERT INTO {history} (version, id) VALUES ('x', 5)",
        "DELTA_IDENTITY_COLUMNS_EXPLICIT_INSERT_NOT_SUPPORTED",
    )
    fails(uc, f"INSERT INTO {history} (status) VALUES ('x')", "DELTA_NOT_NULL_CONSTRAINT_VIOLATED")
    fails(uc, f"SELECT * FROM {history} WHERE version = :missing", "UNBOUND_SQL_PARAMETER")


def test_queries_filter_sort_and_limit(uc: UnityCatalog) -> None:
    run_all(uc, ["CREATE CATALOG c", "CREATE SCHEMA c.s", "CREATE TABLE c.s.t (n INT, s STRING)"])
    rows(uc, "INSERT INTO c.s.t VALUES (3, 'c'), (1, 'a'), (2, NULL), (4, 'd')")
    assert rows(uc, "SELECT n FROM c.s.t WHERE s IS NOT NULL AND n > 1 ORDER BY n DESC") == [[4], [3]]
    assert rows(uc, "SELECT s FROM c.s.t ORDER BY n LIMIT 2") == [["a"], [None]]
    assert rows(uc, "SELECT n FROM c.s.t WHERE s IN ('a', 'd') OR s LIKE 'c%' ORDER BY 1") == [[1], [3], [4]]
    assert rows(uc, "SELECT coalesce(s, '-') AS s FROM c.s.t WHERE n BETWEEN 2 AND 3 ORDER BY n") == [
        ["-"],
        ["c"],
    ]
    assert rows(uc, "SELECT DISTINCT n > 2 FROM c.s.t ORDER BY 1") == [[False], [True]]
    assert rows(uc, "SELECT 1 + 1 AS two, current_user() AS me") == [[2, USER]]


def test_the_state_survives_a_restart(tmp_path: Path, migrations: Migrations) -> None:
    first = UnityCatalog(tmp_path)
    first.add_members(OWNER_GROUP, [USER])
    run_all(first, migrations.files["dev"][0][1])
    again = UnityCatalog(tmp_path)
    assert again.metastore == first.metastore
    assert rows(again, "SELECT count(*) FROM dev_retail.information_schema.columns") == [[28]]


def test_masks_and_row_filters_apply_to_what_a_query_reads(retail: UnityCatalog) -> None:
    uc = retail
    rows(
        uc,
        f"INSERT INTO {TABLE} (customer_id, email, phone, birth_date) VALUES (1, 'a@x.io', '0612345678', '1990-05-01')",
    )
    rows(uc, "INSERT INTO dev_retail.sales.orders (order_id, ip_address) VALUES (1, '10.0.0.1')")
    query = f"SELECT email, phone, birth_date FROM {TABLE}"
    assert rows(uc, query) == [["***", "******5678", None]]  # masks hold for the owner group too
    uc.add_members("pii_readers", [USER])
    assert rows(uc, query) == [["a@x.io", "0612345678", "1990-05-01"]]
    assert rows(
        uc, "SELECT ip_address FROM dev_retail.sales.orders"
    ) == [  # sha2(val, 256); not in `security`
        ["f5047344122f0dee9974ba6761e61c6b8649e1f3968d13a635ebbf7be53a3a0d"]
    ]
    run_all(
        uc,
        [
            "CREATE FUNCTION dev_retail.crm.only_one(id BIGINT) RETURNS BOOLEAN RETURN id = 1",
            f"INSERT INTO {TABLE} (customer_id) VALUES (2)",
            f"ALTER TABLE {TABLE} SET ROW FILTER dev_retail.crm.only_one ON (customer_id)",
        ],
    )
    assert rows(uc, f"SELECT customer_id FROM {TABLE}") == [[1]]
    uc.execute(f"ALTER TABLE {TABLE} DROP ROW FILTER", USER)
    assert rows(uc, f"SELECT count(*) FROM {TABLE}") == [[2]]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_whole_model_script_runs_and_runs_again(uc: UnityCatalog, env: str) -> None:
    """render_sql's script (CREATE ... IF NOT EXISTS, multi-line tables, governance after): twice."""
    from accelerator.generate import ErdInput, PolicyInput, govern_inputs
    from accelerator.render import render_sql
    from accelerator.sandbox.databricks.sqltext import split_statements

    from .conftest import EXAMPLE

    erd = EXAMPLE / "erd" / "retail.dbml"
    policy = EXAMPLE / "policies" / "governance.yaml"
    governed = govern_inputs(
        "retail",
        [ErdInput("erd/retail.dbml", erd.read_text(encoding="utf-8"), "retail")],
        PolicyInput("policies/governance.yaml", policy.read_text(encoding="utf-8")),
    )
    (script,) = render_sql(governed.project, env).values()
    statements = split_statements(script)
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS") and "\n" in s for s in statements)
    run_all(uc, statements)
    run_all(uc, statements)  # every statement of the script can run again
    assert rows(uc, f"SELECT count(*) FROM {env}_retail.information_schema.column_masks") == [[7]]
