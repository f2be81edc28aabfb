"""Re-rendering after an edit: unchanged tables come from the caches, and every output is exactly what a
render from scratch (caches cleared) gives, for SQL in several environments, the docs and model.json.
The suite runs with the cache checking its hits (tests/conftest.py), so a hit that differs from what
its key makes now fails here too.

Each turn of the agent re-parses and re-governs the model, so an edited project is built anew here too
(`edited(...)`): every table is a new object, most of them equal in content to the last turn's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2
import pytest

from accelerator.errors import ModelError, RenderError
from accelerator.generate import ErdInput, Governed, PolicyInput, govern_inputs
from accelerator.model import (
    Catalog,
    Column,
    Environment,
    Finding,
    ForeignKey,
    Grant,
    Mask,
    PrimaryKey,
    Project,
    Schema,
    Span,
    Table,
    canonical_json,
)
from accelerator.render import cache, mermaid, render_docs, render_model_json, render_sql, sql_context
from accelerator.render import sql as sql_module
from accelerator.templates import TEMPLATES_DIR

from .render_fixtures import governed_project, span

ENVIRONMENTS = ("dev", "staging", "prod")
Edit = Callable[[Project], None]


def base_project(**options: str | None) -> Project:
    """The retail fixture in three environments, plus a catalog whose Mermaid entity names can collide."""
    project = governed_project(**options)  # type: ignore[arg-type]
    project.environments = [
        Environment(name="dev"),
        Environment(name="staging", catalog_template="{domain}_{env}"),
        Environment(name="prod"),
    ]
    project.catalogs.append(
        Catalog(
            name="ops",
            schemas=[
                Schema(
                    name="a_b",
                    tables=[
                        Table(
                            name="c",
                            columns=[Column(name="id", type="BIGINT", nullable=False)],
                            primary_key=PrimaryKey(columns=["id"]),
                        )
                    ],
                ),
                Schema(
                    name="z",
                    tables=[
                        Table(
                            name="child",
                            columns=[Column(name="id", type="BIGINT"), Column(name="c_id", type="BIGINT")],
                            foreign_keys=[
                                ForeignKey(
                                    columns=["c_id"], ref_schema="a_b", ref_table="c", ref_columns=["id"]
                                )
                            ],
                        )
                    ],
                ),
            ],
        )
    )
    return project


def findings(project: Project) -> list[Finding]:
    located = next((table.span for _, _, table in project.iter_tables() if table.span), None)
    return [
        Finding(
            rule="naming.table.case",
            severity="warn",
            message="a finding with a location",
            span=located,
            object="retail.crm.customers",
        ),
        Finding(rule="policy.global", severity="info", message="project-wide"),
    ]


def outputs(
    project: Project,
    before_each: Callable[[], None] = lambda: None,
    found: list[Finding] | None = None,
) -> dict[str, object]:
    before_each()
    rendered: dict[str, object] = {"model.json": render_model_json(project)}
    for env in ENVIRONMENTS:
        before_each()
        rendered[f"sql/{env}"] = render_sql(project, env)
    before_each()
    rendered["docs"] = render_docs(project, findings(project) if found is None else found)
    return rendered


def edited(edit: Edit, **options: str | None) -> Project:
    project = base_project(**options)
    edit(project)
    return project


def from_scratch(edit: Edit, **options: str | None) -> dict[str, object]:
    """Each output rendered with empty caches (a render reuses its own pieces across environments)."""
    try:
        return outputs(edited(edit, **options), before_each=cache.clear)
    finally:
        cache.clear()


def _catalog(project: Project, name: str = "retail") -> Catalog:
    catalog = project.catalog(name)
    assert catalog is not None
    return catalog


def _schema(project: Project, name: str) -> Schema:
    schema = _catalog(project).schema(name)
    assert schema is not None
    return schema


def _table(project: Project, schema: str, name: str) -> Table:
    table = _schema(project, schema).table(name)
    assert table is not None
    return table


def _column(project: Project, schema: str, table: str, name: str) -> Column:
    column = _table(project, schema, table).column(name)
    assert column is not None
    return column


def rename_column(p: Project) -> None:
    _column(p, "crm", "customers", "phone").name = "mobile"


def add_column(p: Project) -> None:
    _table(p, "sales", "orders").columns.append(Column(name="note", type="STRING", comment="free text"))


def change_column_type_and_nullability(p: Project) -> None:
    column = _column(p, "sales", "orders", "total_amount")
    column.type, column.nullable = "DECIMAL(18,2)", False


def tag_a_table(p: Project) -> None:
    _table(p, "crm", "addresses").tags["pii"] = "address"


def tag_a_column(p: Project) -> None:
    _column(p, "crm", "addresses", "city").tags["pii"] = "city"


def classify_a_column(p: Project) -> None:
    _column(p, "crm", "addresses", "city").classification = "pii.address"


def comment_and_owner_of_a_table(p: Project) -> None:
    table = _table(p, "sales", "orders")
    table.comment, table.owner = "Orders | all of them", "sales-team"


def grant_on_a_table_in_prod_only(p: Project) -> None:
    _table(p, "sales", "orders").grants.append(
        Grant(principal="auditors", privileges=["SELECT"], environments=["prod"])
    )


def grant_on_a_table_in_every_environment(p: Project) -> None:
    _table(p, "crm", "addresses").grants.append(Grant(principal="support", privileges=["SELECT", "MODIFY"]))


def catalog_comment_owner_tags_grants(p: Project) -> None:
    catalog = _catalog(p)
    catalog.comment, catalog.owner = "Another comment", "other-admins"
    catalog.tags["cost_center"] = "43"
    catalog.grants.append(Grant(principal="auditors", privileges=["BROWSE"], environments=["staging"]))


def schema_comment_owner_tags_grants(p: Project) -> None:
    schema = _schema(p, "sales")
    schema.comment, schema.owner = "Orders only", "sales-team"
    schema.tags["domain"] = "sales"
    schema.grants.append(Grant(principal="finance", privileges=["USE_SCHEMA"], environments=["prod", "dev"]))


def add_a_mask(p: Project) -> None:
    _column(p, "crm", "addresses", "city").mask = Mask(function="mask_city", strategy="partial")


def change_a_mask(p: Project) -> None:
    column = _column(p, "crm", "customers", "email")
    column.mask = Mask(function="mask_email", strategy="redact", exempt_groups=["pii_readers", "dpo"])


def drop_a_mask(p: Project) -> None:
    _column(p, "crm", "customers", "birth_date").mask = None


def rename_a_referenced_table(p: Project) -> None:
    """The foreign keys that name it now dangle: their own tables are unchanged."""
    _table(p, "crm", "customers").name = "clients"


def rename_a_referenced_table_and_its_references(p: Project) -> None:
    _table(p, "crm", "customers").name = "clients"
    for schema in ("crm", "sales"):
        for table in _schema(p, schema).tables:
            for fk in table.foreign_keys:
                if fk.ref_table == "customers":
                    fk.ref_table = "clients"


def relabel_a_relationship(p: Project) -> None:
    """A foreign key's label is not in the model's JSON, but the diagram shows it."""
    _table(p, "sales", "orders").foreign_keys[0].label = "buys"


def make_a_foreign_key_column_nullable(p: Project) -> None:
    _column(p, "sales", "orders", "customer_id").nullable = True


def properties_and_clustering(p: Project) -> None:
    table = _table(p, "sales", "orders")
    table.properties["delta.appendOnly"] = "true"
    table.cluster_by = ["customer_id"]


def cluster_by_auto(p: Project) -> None:
    _table(p, "crm", "addresses").cluster_by_auto = True


def colliding_entity_name(p: Project) -> None:
    """`a.b_c` takes the Mermaid name `a_b_c` from `a_b.c`, which the unchanged `z.child` references."""
    _catalog(p, "ops").schemas.append(Schema(name="a", tables=[Table(name="b_c")]))


def add_a_table(p: Project) -> None:
    _schema(p, "sales").tables.append(
        Table(
            name="returns",
            columns=[Column(name="order_id", type="BIGINT", nullable=False)],
            foreign_keys=[
                ForeignKey(
                    columns=["order_id"], ref_schema="sales", ref_table="orders", ref_columns=["order_id"]
                )
            ],
        )
    )


def drop_a_table(p: Project) -> None:
    schema = _schema(p, "crm")
    schema.tables = [t for t in schema.tables if t.name != "addresses"]


def rename_a_schema(p: Project) -> None:
    """Its tables are unchanged, but their names in SQL and in the docs are not."""
    schema = _schema(p, "sales")
    schema.name = "shop"
    for fk in _table(p, "shop", "orders").foreign_keys:
        fk.ref_schema = "crm"


def rename_the_catalog(p: Project) -> None:
    _catalog(p).name = "store"


def move_every_span(p: Project) -> None:
    """Lines shift (a table was added above, say): only the findings show locations."""
    for _, _, table in p.iter_tables():
        line = table.span.line + 3 if table.span else 40
        table.span = Span(file="erd/retail.dbml", line=line, column=1, end_line=line, end_column=9)


def other_masks_schema(p: Project) -> None:
    p.deployment.masks_schema = "crm" if p.deployment.masks_schema else "governance"


def other_grants_in(p: Project) -> None:
    p.deployment.grants_in = "terraform" if p.deployment.grants_in != "terraform" else "sql"


def other_tables_in(p: Project) -> None:
    p.deployment.tables_in = "terraform" if p.deployment.tables_in == "sql" else "sql"


def environment_catalog_name(p: Project) -> None:
    p.environments[0].catalog_template = "{domain}_{env}_v2"


def one_catalog_name_in_every_environment(p: Project) -> None:
    """Environments in separate workspaces may share a catalog name: their grants still differ."""
    for environment in p.environments:
        environment.catalog_template = "{domain}"


def nothing(p: Project) -> None:
    pass


EDITS: list[Edit] = [
    rename_column,
    add_column,
    change_column_type_and_nullability,
    tag_a_table,
    tag_a_column,
    classify_a_column,
    comment_and_owner_of_a_table,
    grant_on_a_table_in_prod_only,
    grant_on_a_table_in_every_environment,
    catalog_comment_owner_tags_grants,
    schema_comment_owner_tags_grants,
    add_a_mask,
    change_a_mask,
    drop_a_mask,
    rename_a_referenced_table,
    rename_a_referenced_table_and_its_references,
    relabel_a_relationship,
    make_a_foreign_key_column_nullable,
    properties_and_clustering,
    cluster_by_auto,
    colliding_entity_name,
    add_a_table,
    drop_a_table,
    rename_a_schema,
    rename_the_catalog,
    move_every_span,
    other_masks_schema,
    other_grants_in,
    other_tables_in,
    environment_catalog_name,
    one_catalog_name_in_every_environment,
]
DEPLOYMENTS: list[dict[str, str | None]] = [
    {},
    {"tables_in": "terraform", "grants_in": "both", "masks_schema": "governance"},
]


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    cache.clear()


@pytest.mark.parametrize("options", DEPLOYMENTS, ids=["sql", "terraform-tables"])
@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__ for edit in EDITS])
def test_a_rerender_after_an_edit_is_exactly_a_render_from_scratch(
    edit: Edit, options: dict[str, str | None]
) -> None:
    before = outputs(base_project(**options))
    after = outputs(edited(edit, **options))  # most tables come from the caches
    assert after == from_scratch(edit, **options)
    assert after != before, "the edit should change some output"
    # and back: the pieces of the model before the edit are still right
    assert outputs(base_project(**options)) == before


def test_an_unchanged_model_renders_the_same_from_the_caches() -> None:
    first = outputs(base_project())
    assert outputs(base_project()) == first == from_scratch(nothing)


def test_a_one_table_edit_renders_only_that_table_again() -> None:
    outputs(base_project())
    before = cache.statistics()
    outputs(edited(rename_column))
    after = cache.statistics()
    misses = {kind: after[kind].misses - before[kind].misses for kind in after}
    assert misses[sql_context.SQL_TABLES.name] == len(ENVIRONMENTS)
    for kind in (cache.MODEL_JSON_TABLES, cache.DOCS_TABLES, cache.DIAGRAM_ENTITIES):
        assert misses[kind.name] == 1


@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__ for edit in EDITS])
def test_model_json_from_its_pieces_is_the_canonical_json(edit: Edit) -> None:
    outputs(base_project())
    project = edited(edit)
    assert render_model_json(project) == canonical_json(project)


@pytest.fixture
def every_hit_verified() -> Iterator[None]:
    previous = cache.verify_hits(1)
    yield
    cache.verify_hits(previous)


@pytest.mark.usefixtures("every_hit_verified")
def test_a_key_that_misses_what_its_piece_reads_is_caught() -> None:
    kind: cache.PieceKind[None, str] = cache.PieceKind("test piece", maxsize=4)
    suffix = ["a"]

    def make(_: None, table: Table) -> str:
        return table.name + suffix[0]  # reads `suffix`, which is not in the key

    table = Table(name="t")
    assert kind.piece(make, None, table) == "ta"
    suffix[0] = "b"
    with pytest.raises(cache.StalePieceError, match="cached test piece differs") as caught:
        kind.piece(make, None, table)
    assert "'ta'" in str(caught.value) and "'tb'" in str(caught.value)


@pytest.mark.usefixtures("every_hit_verified")
def test_a_diagram_key_without_the_relationship_labels_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The labels are not in the table's content key: the diagram's kind must show them."""
    monkeypatch.setattr(mermaid, "DIAGRAM_ENTITIES", cache.PieceKind("diagram entity", maxsize=64))
    outputs(base_project())
    with pytest.raises(cache.StalePieceError, match="cached diagram entity differs"):
        outputs(edited(relabel_a_relationship))


def test_successive_edits_each_match_a_render_from_scratch() -> None:
    steps = [rename_column, add_a_mask, relabel_a_relationship, colliding_entity_name, drop_a_mask]
    for count in range(1, len(steps) + 1):
        edit = _all_of(steps[:count])
        assert outputs(edited(edit)) == from_scratch(edit)
        outputs(edited(edit))  # the caches hold this turn's model for the next one


def _all_of(edits: list[Edit]) -> Edit:
    def edit(project: Project) -> None:
        for step in edits:
            step(project)

    return edit


def test_an_error_after_a_cached_render_is_raised_with_the_current_location() -> None:
    outputs(base_project())

    def bad_type(p: Project) -> None:
        column = _column(p, "sales", "orders", "total_amount")
        column.type, column.span = "DECIMAL(12,2)) --", span(21, 5)

    with pytest.raises(ModelError, match="is not a valid Databricks SQL type") as caught:
        render_sql(edited(bad_type), "dev")
    assert caught.value.location == "erd/retail.dbml:21:5"


def test_a_mask_conflict_with_a_cached_table_points_at_the_current_mask() -> None:
    outputs(base_project())

    def conflict(p: Project) -> None:
        column = _column(p, "crm", "customers", "email")
        assert column.mask is not None
        column.mask.span = span(30, 9)  # the cached customers table is equal in content: only moved
        _table(p, "crm", "addresses").columns.append(
            Column(name="code", type="INT", mask=Mask(function="mask_email", strategy="hash"))
        )

    with pytest.raises(ModelError, match="mask function 'mask_email' is used with different types") as caught:
        render_sql(edited(conflict), "dev")
    assert caught.value.location == "erd/retail.dbml:30:9"


def test_an_invalid_privilege_is_still_an_error_in_its_environment_only() -> None:
    outputs(base_project(grants_in="both"))

    def bad_grant(p: Project) -> None:
        _table(p, "sales", "orders").grants.append(
            Grant(principal="x", privileges=["SELEKT"], environments=["prod"])
        )

    project = edited(bad_grant, grants_in="both")
    render_sql(project, "dev")
    with pytest.raises(RenderError, match="unknown Unity Catalog privilege 'SELEKT'"):
        render_sql(project, "prod")


def test_a_table_changed_in_place_after_a_render_renders_right() -> None:
    """Content keys last one render pass: a table changed between two renders is keyed again."""
    project = base_project()
    outputs(project)
    rename_column(project)
    assert outputs(project) == from_scratch(rename_column)
    assert outputs(project) == from_scratch(rename_column)  # and from the caches filled again


def test_the_sql_cache_is_scoped_by_the_template_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An overriding template directory, and a template changed on disk (jinja reloads it as a new
    object), render with their own macros, never with pieces another template rendered."""
    for name in (sql_module.CATALOG_TEMPLATE, sql_module.MACROS_TEMPLATE):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((TEMPLATES_DIR / name).read_text())
    original = sql_module.sql_templates()
    overridden = original.overlay(loader=jinja2.FileSystemLoader(tmp_path))
    monkeypatch.setattr(sql_module, "sql_templates", lambda: overridden)
    default_sql = render_sql(base_project(), "dev")
    assert default_sql == render_sql(base_project(), "dev")
    macros = tmp_path / sql_module.MACROS_TEMPLATE
    macros.write_text(macros.read_text().replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE  IF NOT EXISTS"))
    later = macros.stat().st_mtime + 10
    os.utime(macros, (later, later))  # jinja compares modification times to reload a template
    changed = render_sql(base_project(), "dev")
    assert changed == {
        path: text.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE  IF NOT EXISTS")
        for path, text in default_sql.items()
    }
    monkeypatch.setattr(sql_module, "sql_templates", lambda: original)
    assert render_sql(base_project(), "dev") == default_sql


def test_threads_rendering_at_once_get_the_right_outputs() -> None:
    expected = {edit.__name__: from_scratch(edit) for edit in EDITS[:8]}
    failures: list[str] = []

    def work(offset: int) -> None:
        for round_ in range(3):
            for index in range(len(expected)):
                edit = EDITS[(index + offset + round_) % len(expected)]
                if outputs(edited(edit)) != expected[edit.__name__]:
                    failures.append(edit.__name__)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


RETAIL = Path(__file__).resolve().parents[2] / "examples" / "retail"
TextEdit = Callable[[str], str]


def _same(text: str) -> str:
    return text


def _replaced(old: str, new: str) -> TextEdit:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new)

    return edit


PROD_GRANT = "      - {on: table, name: crm.customers, principal: analysts, privileges: [SELECT]}"
RETAIL_EDITS: dict[str, tuple[TextEdit, TextEdit]] = {
    "rename a column": (_replaced("phone varchar(32)", "mobile varchar(32)"), _same),
    "rename a referenced table": (_replaced("crm.customers", "crm.clients"), _same),
    "add a column": (_replaced("  quantity int\n", "  quantity int\n  discount decimal(5,2)\n"), _same),
    "change a note": (_replaced("'One row per order'", "'One row per order, returns included'"), _same),
    "a grant in prod only": (
        _same,
        _replaced(
            PROD_GRANT,
            PROD_GRANT
            + "\n      - {on: table, name: sales.orders, principal: auditors, privileges: [SELECT]}",
        ),
    ),
    "a mask strategy": (
        _same,
        _replaced("mask: {strategy: partial, exempt_groups:", "mask: {strategy: hash, exempt_groups:"),
    ),
    "the catalog owner": (
        _same,
        _replaced("catalog_defaults:\n  owner: data_platform", "catalog_defaults:\n  owner: admins"),
    ),
}


def governed_retail(edit_erd: TextEdit, edit_policy: TextEdit) -> Governed:
    """The retail example through the real parser and policy, with its grants rendered in SQL too."""
    erd = edit_erd((RETAIL / "erd" / "retail.dbml").read_text())
    policy = edit_policy(
        (RETAIL / "policies" / "governance.yaml")
        .read_text()
        .replace("grants_in: terraform", "grants_in: both")
    )
    return govern_inputs(
        "retail",
        [ErdInput("erd/retail.dbml", erd, "retail", "dbml")],
        PolicyInput("policies/governance.yaml", policy),
    )


@pytest.mark.parametrize("name", list(RETAIL_EDITS))
def test_the_retail_example_reparsed_and_regoverned_after_an_edit(name: str) -> None:
    before = governed_retail(_same, _same)
    assert [env.name for env in before.project.environments] == list(ENVIRONMENTS)
    first = outputs(before.project, found=before.findings)
    after = governed_retail(*RETAIL_EDITS[name])
    rendered = outputs(after.project, found=after.findings)
    again = governed_retail(*RETAIL_EDITS[name])
    try:
        assert rendered == outputs(again.project, before_each=cache.clear, found=again.findings)
    finally:
        cache.clear()
    assert rendered != first
