"""Edits land in the example ERDs and policy as minimal textual patches that mean exactly the edit."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from accelerator.edit import EditBase
from accelerator.edit.column_edits import ChangeType, SetComment, SetNotNull
from accelerator.edit.effects import apply_edit
from accelerator.edit.governance_edits import Classify
from accelerator.edit.grant_edits import Grant, Revoke
from accelerator.edit.patch import (
    TextEdit,
    UnsupportedEditError,
    apply_text_edits,
    erd_tables,
    patch_sources,
)
from accelerator.edit.table_edits import AddColumn, DropColumn, RenameColumn, RenameTable
from accelerator.erd import ParsedErd, parse_erd
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.model import Project, canonical_json
from accelerator.model.build import build_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD_FILES = {"dbml": "erd/retail.dbml", "mermaid": "erd/retail.mmd", "sql": "erd/retail.sql"}
POLICY = "policies/governance.yaml"


def load(
    kind: str, text: str | None = None, dialect: str = "postgres"
) -> tuple[Project, dict[str, str], str]:
    file = ERD_FILES[kind]
    text = text if text is not None else (EXAMPLES / file).read_text()
    parsed = parse_erd(text, file, format=kind, dialect=dialect)
    return build_project("retail", [("retail", parsed)]), {file: text}, file


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines; everything else is byte-identical by construction of the diff."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:].rstrip("\n"))
        elif line.startswith("+ "):
            added.append(line[2:].rstrip("\n"))
    return removed, added


def patch(
    kind: str, op: EditBase, *, text: str | None = None, dialect: str = "postgres"
) -> tuple[str, str, Project]:
    project, sources, file = load(kind, text, dialect)
    patched = patch_sources(op, project, sources, formats={file: kind}, dialects={file: dialect})
    after = patched[file]
    reparsed = build_project("retail", [("retail", parse_erd(after, file, format=kind, dialect=dialect))])
    assert erd_tables(reparsed, file) == erd_tables(apply_edit(project, op), file)
    return sources[file], after, project


SQL_CUSTOMER_LINES = [
    line for line in (EXAMPLES / ERD_FILES["sql"]).read_text().splitlines() if "crm.customers" in line
]
RENAME_COLUMN = RenameColumn(table="crm.customers", column="customer_id", new_name="id")
# (format, op, removed lines, added lines): exactly these lines change, in this order.
CASES = [
    (
        "dbml",
        RenameTable(table="crm.customers", new_name="clients"),
        ["Table crm.customers {"] + ["  customer_id bigint [ref: > crm.customers.customer_id]"] * 2,
        ["Table crm.clients {"] + ["  customer_id bigint [ref: > crm.clients.customer_id]"] * 2,
    ),
    (
        "dbml",
        RENAME_COLUMN,
        ["  customer_id bigint [pk, note: 'Surrogate key']"]
        + ["  customer_id bigint [ref: > crm.customers.customer_id]"] * 2,
        ["  id bigint [pk, note: 'Surrogate key']"] + ["  customer_id bigint [ref: > crm.customers.id]"] * 2,
    ),
    (
        "dbml",
        AddColumn(
            table="sales.orders",
            column="channel",
            type="STRING",
            not_null=True,
            default="'web'",
            comment="It's",
        ),
        [],
        ["  channel varchar [not null, default: 'web', note: 'It\\'s']"],
    ),
    (
        "dbml",
        DropColumn(table="crm.customers", column="phone"),
        ["  phone varchar(32) [note: 'Mobile phone number']"],
        [],
    ),
    (
        "dbml",
        ChangeType(table="sales.orders", column="created_at", type="TIMESTAMP_NTZ"),
        ["  created_at timestamptz"],
        ["  created_at timestamp_ntz"],
    ),
    (
        "dbml",
        SetNotNull(table="crm.customers", column="email", not_null=True),
        ["  email varchar(255) [unique, note: 'Login and contact email']"],
        ["  email varchar(255) [not null, unique, note: 'Login and contact email']"],
    ),
    (
        "dbml",
        SetComment(table="sales.orders", column="order_date", comment='Day "placed"'),
        ["  order_date date"],
        ["  order_date date [note: 'Day \"placed\"']"],
    ),
    ("dbml", SetComment(table="sales.orders", comment=""), ["  Note: 'One row per order'"], []),
    (
        "mermaid",
        RenameTable(table="crm.customers", new_name="clients"),
        [
            "    customers {",
            '    customers ||--o{ addresses : "lives at"',
            "    customers ||--o{ orders : places",
        ],
        ["    clients {", '    clients ||--o{ addresses : "lives at"', "    clients ||--o{ orders : places"],
    ),
    (
        "mermaid",
        RENAME_COLUMN,
        ['        bigint customer_id PK "Surrogate key"'],
        ['        bigint id PK "Surrogate key"'],
    ),
    (
        "mermaid",
        AddColumn(table="sales.orders", column="channel", type="STRING", comment="Web or shop"),
        [],
        ['        string channel "Web or shop"'],
    ),
    (
        "mermaid",
        DropColumn(table="crm.customers", column="phone"),
        ['        varchar(32) phone "Mobile phone number"'],
        [],
    ),
    (
        "mermaid",
        ChangeType(table="sales.orders", column="status", type="INT"),
        ['        varchar(20) status "placed, shipped, delivered or returned"'],
        ['        int status "placed, shipped, delivered or returned"'],
    ),
    (
        "mermaid",
        SetComment(table="sales.orders", column="order_date", comment="Day"),
        ["        date order_date"],
        ['        date order_date "Day"'],
    ),
    (
        "mermaid",
        SetComment(table="sales.orders", comment="Orders"),
        ["    %% One row per order"],
        ["    %% Orders"],
    ),
    (
        "sql",
        RenameTable(table="crm.customers", new_name="clients"),
        SQL_CUSTOMER_LINES,  # CREATE TABLE, 7 COMMENT ON, 1 REFERENCES, 1 ALTER TABLE ... REFERENCES
        [line.replace("crm.customers", "crm.clients") for line in SQL_CUSTOMER_LINES],
    ),
    (
        "sql",
        RENAME_COLUMN,
        [
            "    customer_id bigint PRIMARY KEY,",
            "COMMENT ON COLUMN crm.customers.customer_id IS 'Surrogate key';",
            "    customer_id bigint REFERENCES crm.customers (customer_id),",
            "    ADD FOREIGN KEY (customer_id) REFERENCES crm.customers (customer_id);",
        ],
        [
            "    id bigint PRIMARY KEY,",
            "COMMENT ON COLUMN crm.customers.id IS 'Surrogate key';",
            "    customer_id bigint REFERENCES crm.customers (id),",
            "    ADD FOREIGN KEY (customer_id) REFERENCES crm.customers (id);",
        ],
    ),
    (
        "sql",
        RenameColumn(table="sales.order_items", column="order_id", new_name="order_key"),
        [
            "    order_id bigint,",
            "    PRIMARY KEY (order_id, line_number)",
            "    ADD FOREIGN KEY (order_id) REFERENCES sales.orders (order_id);",
        ],
        [
            "    order_key bigint,",
            "    PRIMARY KEY (order_key, line_number)",
            "    ADD FOREIGN KEY (order_key) REFERENCES sales.orders (order_id);",
        ],
    ),
    (
        "sql",
        AddColumn(
            table="sales.orders",
            column="channel",
            type="STRING",
            not_null=True,
            default="'web'",
            comment="It's",
        ),
        ["    created_at timestamptz"],
        [
            "    created_at timestamptz,",
            "    channel text NOT NULL DEFAULT 'web'",
            "COMMENT ON COLUMN sales.orders.channel IS 'It''s';",
        ],
    ),
    (
        "sql",
        AddColumn(table="sales.order_items", column="discount", type="DECIMAL(5,2)"),
        [],
        ["    discount numeric(5, 2),"],
    ),
    (
        "sql",
        DropColumn(table="crm.customers", column="phone"),
        ["    phone varchar(32),", "COMMENT ON COLUMN crm.customers.phone IS 'Mobile phone number';"],
        [],
    ),
    (
        "sql",
        DropColumn(table="crm.customers", column="created_at"),
        [
            "    birth_date date,",
            "    created_at timestamptz",
            "COMMENT ON COLUMN crm.customers.created_at IS 'When the customer signed up';",
        ],
        ["    birth_date date"],
    ),
    (
        "sql",
        ChangeType(table="sales.orders", column="created_at", type="TIMESTAMP_NTZ"),
        ["    created_at timestamptz"],
        ["    created_at timestamp"],
    ),
    (
        "sql",
        SetNotNull(table="sales.orders", column="status", not_null=True),
        ["    status varchar(20),"],
        ["    status varchar(20) NOT NULL,"],
    ),
    (
        "sql",
        SetComment(table="sales.orders", column="status", comment=""),
        ["COMMENT ON COLUMN sales.orders.status IS 'placed, shipped, delivered or returned';"],
        [],
    ),
    (
        "sql",
        SetComment(table="sales.orders", column="order_date", comment="Day"),
        [],
        ["COMMENT ON COLUMN sales.orders.order_date IS 'Day';"],
    ),
]


@pytest.mark.parametrize(("kind", "op", "removed", "added"), CASES, ids=lambda v: getattr(v, "op", None))
def test_edit_changes_only_the_expected_lines_and_means_the_edit(
    kind: str, op: EditBase, removed: list[str], added: list[str]
) -> None:
    before, after, _ = patch(kind, op)
    assert changed_lines(before, after) == (removed, added)


def test_comments_and_blank_lines_survive() -> None:
    before, after, _ = patch("mermaid", RenameTable(table="crm.customers", new_name="clients"))
    kept = [line for line in before.splitlines() if line.strip().startswith("%%") or not line.strip()]
    assert kept == [line for line in after.splitlines() if line.strip().startswith("%%") or not line.strip()]


def test_rename_ignores_the_name_inside_comments_and_strings() -> None:
    text = (
        (EXAMPLES / ERD_FILES["sql"])
        .read_text()
        .replace("CREATE SCHEMA crm;", "CREATE SCHEMA crm; -- crm.customers keeps customer_id")
    )
    _, after, _ = patch("sql", RENAME_COLUMN, text=text)
    assert "-- crm.customers keeps customer_id" in after
    text = (
        (EXAMPLES / ERD_FILES["dbml"])
        .read_text()
        .replace("Note: 'People who buy from us'", "Note: 'customer_id'")
    )
    _, after, _ = patch("dbml", RENAME_COLUMN, text=text)
    assert "Note: 'customer_id'" in after


MYSQL = """CREATE TABLE shop.items (
  id bigint PRIMARY KEY,
  label varchar(20) COMMENT 'Shown name', -- keep me
  price decimal(10,2)
) COMMENT='Items';
"""


def test_mysql_comments_are_inline() -> None:
    file = "shop.sql"
    project = build_project("shop", [("shop", parse_erd(MYSQL, file, format="sql", dialect="mysql"))])
    add = AddColumn(table="shop.items", column="note", type="STRING", comment="It's")
    patched = patch_sources(add, project, {file: MYSQL}, formats={file: "sql"}, dialects={file: "mysql"})[
        file
    ]
    assert changed_lines(MYSQL, patched) == (
        ["  price decimal(10,2)"],
        ["  price decimal(10,2),", "  note text COMMENT 'It\\'s'"],
    )
    comment = SetComment(table="shop.items", column="label", comment="Name")
    patched = patch_sources(comment, project, {file: MYSQL}, formats={file: "sql"}, dialects={file: "mysql"})[
        file
    ]
    assert changed_lines(MYSQL, patched) == (
        ["  label varchar(20) COMMENT 'Shown name', -- keep me"],
        ["  label varchar(20) COMMENT 'Name', -- keep me"],
    )


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (SetNotNull(table="sales.orders", column="status", not_null=True), "cannot express NOT NULL"),
        (AddColumn(table="sales.orders", column="c", type="INT", not_null=True), "cannot express NOT NULL"),
        (AddColumn(table="sales.orders", column="c", type="INT", default="0"), "DEFAULT"),
        (SetComment(table="sales.orders", column="status", comment='say "hi"'), "double quote"),
    ],
)
def test_mermaid_refuses_what_it_cannot_express(op: EditBase, message: str) -> None:
    project, sources, file = load("mermaid")
    with pytest.raises(UnsupportedEditError, match=message) as error:
        patch_sources(op, project, sources, formats={file: "mermaid"})
    assert "DBML or SQL" in (error.value.hint or "")


def test_mermaid_fk_rename_that_breaks_inference_is_refused_clearly() -> None:
    project, sources, file = load("mermaid")
    op = RenameColumn(table="sales.orders", column="customer_id", new_name="buyer")
    with pytest.raises(
        UnsupportedEditError,
        match=re.escape("sales.orders.buyer FK would no longer reference crm.customers.customer_id"),
    ):
        patch_sources(op, project, sources, formats={file: "mermaid"})


def test_verification_against_the_model_before_the_policy_accepts_and_catches_the_same() -> None:
    """The agent passes `erd_model` (Governed.model): plain JSON per table instead of the canonical
    form without policy fields. Both accept a good patch (test_patch_verification.py: both catch a
    wrong one)."""
    for kind, op in (
        ("dbml", RenameColumn(table="crm.customers", column="email", new_name="email_address")),
        ("sql", DropColumn(table="sales.orders", column="status")),
    ):
        file = ERD_FILES[kind]
        governed = govern_inputs(
            "retail",
            [ErdInput(file, (EXAMPLES / file).read_text(), "retail", kind)],
            PolicyInput(POLICY, (EXAMPLES / POLICY).read_text()),
        )
        sources = {file: (EXAMPLES / file).read_text()}
        plain = patch_sources(op, governed.project, sources, formats={file: kind}, erd_model=governed.model)
        assert plain == patch_sources(op, governed.project, sources, formats={file: kind})


def test_governance_takes_over_the_parse_that_verified_a_patch_and_only_of_that_text() -> None:
    file = ERD_FILES["dbml"]
    text = (EXAMPLES / file).read_text()
    policy = PolicyInput(POLICY, (EXAMPLES / POLICY).read_text())
    governed = govern_inputs("retail", [ErdInput(file, text, "retail", "dbml")], policy)
    parsed: dict[str, ParsedErd] = {}
    op = RenameColumn(table="crm.customers", column="email", new_name="email_address")
    patched = patch_sources(op, governed.project, {file: text}, erd_model=governed.model, parsed=parsed)
    reparsed = parsed[file]
    assert reparsed.source == patched[file]
    after = govern_inputs("retail", [ErdInput(file, patched[file], "retail", "dbml")], policy, parsed)
    assert after.model is not None and after.model.catalogs[0].schemas[0] is reparsed.schemas[0]  # taken over
    fresh = govern_inputs("retail", [ErdInput(file, patched[file], "retail", "dbml")], policy)
    assert canonical_json(after.project) == canonical_json(fresh.project) and after.findings == fresh.findings
    stale = govern_inputs("retail", [ErdInput(file, text, "retail", "dbml")], policy, {file: reparsed})
    assert stale.model is not None and stale.model.catalogs[0].schemas[0] is not reparsed.schemas[0]
    assert canonical_json(stale.project) == canonical_json(governed.project)


def policy_sources() -> tuple[Project, dict[str, str]]:
    project, sources, _ = load("dbml")
    sources[POLICY] = (EXAMPLES / POLICY).read_text()
    return project, sources


def test_grant_appends_one_line_in_the_siblings_style_and_keeps_comments() -> None:
    project, sources = policy_sources()
    op = Grant(
        privileges=["SELECT"],
        securable_kind="table",
        securable="crm.customers",
        principal="auditors",
        environment="prod",
    )
    patched = patch_sources(op, project, sources, policy_file=POLICY)[POLICY]
    assert changed_lines(sources[POLICY], patched) == (
        [],
        [
            "  - {on: table, name: crm.customers, principal: auditors, privileges: [SELECT], environments: [prod]}"
        ],
    )
    assert patched.startswith("# Governance policy of the retail domain.")


def test_revoke_narrows_the_written_grant() -> None:
    project, sources = policy_sources()
    op = Revoke(privileges=["MODIFY"], securable_kind="schema", securable="*", principal="data_platform")
    patched = patch_sources(op, project, sources, policy_file=POLICY)[POLICY]
    removed, added = changed_lines(sources[POLICY], patched)
    assert added == [
        "  - {on: schema, name: '*', principal: data_platform, privileges: [USE_SCHEMA, CREATE_TABLE, SELECT]}"
    ]
    assert len(removed) == 1


def test_classify_names_exactly_that_column_not_every_column_of_its_name() -> None:
    project, sources = policy_sources()
    op = Classify(table="crm.customers", column="created_at", classification="pii.name")
    patched = patch_sources(op, project, sources, policy_file=POLICY)[POLICY]
    removed, added = changed_lines(sources[POLICY], patched)
    assert removed == [] and added[-2:] == ["classified_columns:", "  crm.customers.created_at: pii.name"]


@pytest.mark.parametrize(
    "op",
    [
        Revoke(privileges=["SELECT"], securable_kind="table", securable="crm.customers", principal="nobody"),
    ],
)
def test_policy_edits_it_cannot_express_are_refused(op: EditBase) -> None:
    project, sources = policy_sources()
    with pytest.raises(UnsupportedEditError):
        patch_sources(op, project, sources, policy_file=POLICY)


def test_policy_edit_without_policy_file_is_refused() -> None:
    project, sources, _ = load("dbml")
    with pytest.raises(UnsupportedEditError, match="no policy file"):
        patch_sources(Classify(table="crm.customers", column="phone", classification="pii"), project, sources)


def test_apply_text_edits_keeps_planned_order_and_rejects_overlaps() -> None:
    sources = {"f": "abcdef"}
    edits = [TextEdit("f", 2, 2, "X"), TextEdit("f", 2, 2, "Y"), TextEdit("f", 4, 6, "")]
    assert apply_text_edits(sources, edits) == {"f": "abXYcd"}
    assert sources == {"f": "abcdef"}
    with pytest.raises(ValueError, match="overlapping"):
        apply_text_edits(sources, [TextEdit("f", 1, 4, ""), TextEdit("f", 3, 5, "")])


def test_markdown_fences_are_patched_in_place() -> None:
    diagram = (EXAMPLES / ERD_FILES["mermaid"]).read_text()
    text = "# Retail\n\nThe customers table:\n\n```mermaid\n" + diagram + "```\n\nMore customers prose.\n"
    file = "docs/retail.md"
    project = build_project("retail", [("retail", parse_erd(text, file, format="markdown"))])
    op = RenameTable(table="crm.customers", new_name="clients")
    patched = patch_sources(op, project, {file: text}, formats={file: "markdown"})[file]
    removed, added = changed_lines(text, patched)
    assert added == [line.replace("customers", "clients", 1) for line in removed]
    assert len(removed) == 3 and "The customers table:" in patched and "More customers prose." in patched
