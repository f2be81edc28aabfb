"""`drift`: what the workspace holds against what the model declares, from `information_schema`.

Per catalog of the environment (its physical name), six views are read through statement execution:
`tables`, `columns`, `table_tags`, `column_tags`, `table_constraints` and `table_privileges` (direct
grants only: a privilege inherited from the schema or catalog is Terraform's business there). Each
difference is a `DriftFinding`:

- `missing`: declared but not there (a table, a column, a tag, a constraint, a grant);
- `undeclared`: there but not declared (a table made by hand, a tag or grant added in the UI);
- `differs`: both, with another value (a column's type, nullability or comment, a tag's value, the
  table's comment or owner).

Names compare case-insensitively (Unity Catalog lower-cases them); types after Databricks' aliases
(`INTEGER` is `INT`, `DECIMAL` is `DECIMAL(10,0)`). The history schema (`_accelerator`) and
`information_schema` are not the model's and are left out (by the query itself), as are `system.`
tags. Catalog and schema grants are Terraform's where it owns them (`terraform plan` reports their
drift); where the migrations write them (Terraform disabled, or `deployment.grants_in: sql`),
`catalog_privileges` and `schema_privileges` are read too and compared (direct grants only).

Each view is read in pages of `PAGE_ROWS` rows (`ORDER BY ... LIMIT ... OFFSET`), only the columns
compared, so that no one result comes near the Statement Execution API's 25 MiB inline limit on a
large workspace. The Markdown report (an issue body) stays under GitHub's 65,536 characters: past
`MAX_MARKDOWN_CHARS` its table ends with how many differences were left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

from accelerator.deploy.history import HISTORY_SCHEMA, missing_object
from accelerator.deploy.runner import Rows, StatementFailed, StatementRunner
from accelerator.model.elements import Grant, Project
from accelerator.model.sql_definitions import (
    check_name,
    expression_check_name,
    foreign_key_name,
    primary_key_name,
)
from accelerator.model.sql_quoting import quote_identifier

Kind = Literal["missing", "undeclared", "differs"]
IGNORED_SCHEMAS = frozenset({"information_schema", HISTORY_SCHEMA})
VIEWS = ("tables", "columns", "table_tags", "column_tags", "table_constraints", "table_privileges")
_TABLE = ("table_catalog", "table_schema", "table_name")
_TAGGED = ("catalog_name", "schema_name", "table_name")
# view -> (the columns read, the first three naming the table)
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "tables": (*_TABLE, "table_owner", "comment"),
    "columns": (*_TABLE, "column_name", "full_data_type", "data_type", "is_nullable", "comment"),
    "table_tags": (*_TAGGED, "tag_name", "tag_value"),
    "column_tags": (*_TAGGED, "column_name", "tag_name", "tag_value"),
    "table_constraints": (*_TABLE, "constraint_name", "constraint_type"),
    "table_privileges": (*_TABLE, "grantee", "privilege_type", "inherited_from"),
    "catalog_privileges": ("catalog_name", "grantee", "privilege_type", "inherited_from"),
    "schema_privileges": ("catalog_name", "schema_name", "grantee", "privilege_type", "inherited_from"),
}
GRANT_VIEWS = ("catalog_privileges", "schema_privileges")  # read where the migrations own those grants
PAGE_ROWS = 20_000  # rows of one statement: a few MiB at most, under the API's 25 MiB inline limit
MAX_MARKDOWN_CHARS = 60_000  # an issue body holds 65,536


@dataclass(frozen=True, order=True)
class DriftFinding:
    object: str  # catalog.schema.table[.column], physical names
    what: str  # table, column, type, nullability, comment, owner, table tag, column tag, constraint, grant
    kind: Kind
    expected: str | None = None
    actual: str | None = None

    @property
    def message(self) -> str:
        if self.kind == "missing":
            return f"{self.what} declared but missing: {self.expected}"
        if self.kind == "undeclared":
            return f"{self.what} not declared: {self.actual}"
        return f"{self.what} differs: declared {self.expected}, found {self.actual}"


# --- what the model declares ------------------------------------------------------------------


@dataclass
class ColumnState:
    type: str
    nullable: bool
    comment: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class TableState:
    comment: str | None = None
    owner: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    columns: dict[str, ColumnState] = field(default_factory=dict)  # lower-cased name ->
    constraints: dict[str, str] = field(default_factory=dict)  # lower-cased name -> type
    grants: set[tuple[str, str]] = field(default_factory=set)  # (principal, PRIVILEGE)
    names: dict[str, str] = field(default_factory=dict)  # lower-cased column -> as written


TableKey = tuple[str, str, str]  # (catalog, schema, table), lower-cased


def _applies(grant: Grant, environment: str) -> bool:
    return not grant.environments or environment in grant.environments


def declared_state(project: Project, environment: str) -> tuple[list[str], dict[TableKey, TableState]]:
    """The environment's physical catalogs and the tables the model declares in them."""
    env = project.environment(environment)
    if env is None:
        raise ValueError(f"environment {environment!r} is not in the model")
    catalogs: list[str] = []
    tables: dict[TableKey, TableState] = {}
    for catalog in project.catalogs:
        physical = env.catalog_name(catalog)
        catalogs.append(physical)
        for schema in catalog.schemas:
            for table in schema.tables:
                state = TableState(comment=_text(table.comment), owner=table.owner, tags=dict(table.tags))
                for column in table.columns:
                    key = column.name.lower()
                    state.names[key] = column.name
                    state.columns[key] = ColumnState(
                        normal_type(column.type), column.nullable, _text(column.comment), dict(column.tags)
                    )
                    if column.allowed_values:
                        state.constraints[check_name(table.name, column.name).lower()] = "CHECK"
                if table.primary_key is not None:
                    state.constraints[primary_key_name(table.name, table.primary_key.name).lower()] = (
                        "PRIMARY KEY"
                    )
                for foreign in table.foreign_keys:
                    name = foreign_key_name(table.name, foreign.columns, foreign.name)
                    state.constraints[name.lower()] = "FOREIGN KEY"
                for check in table.checks:
                    state.constraints[expression_check_name(table.name, check).lower()] = "CHECK"
                for grant in table.grants:
                    if _applies(grant, environment):
                        state.grants |= {(grant.principal, normal_privilege(p)) for p in grant.privileges}
                tables[(physical.lower(), schema.name.lower(), table.name.lower())] = state
    return catalogs, tables


_ALIASES = {
    "INTEGER": "INT",
    "LONG": "BIGINT",
    "SHORT": "SMALLINT",
    "BYTE": "TINYINT",
    "REAL": "FLOAT",
    "DEC": "DECIMAL",
    "NUMERIC": "DECIMAL",
}


def normal_type(text: str) -> str:
    """A Databricks type in one spelling: upper case, no spaces, aliases resolved."""
    compact = re.sub(r"\s+", "", text.upper())
    compact = re.sub(r"[A-Z]+", lambda m: _ALIASES.get(m.group(0), m.group(0)), compact)
    return re.sub(r"DECIMAL(?!\()", "DECIMAL(10,0)", compact)


def normal_privilege(text: str) -> str:
    return re.sub(r"[\s_]+", "_", text.strip().upper())


def _text(value: str | None) -> str | None:
    return value if value else None


# --- what the workspace holds -----------------------------------------------------------------


def view_query(catalog: str, view: str, offset: int = 0, limit: int | None = None) -> str:
    """One page of a view (`limit` rows, PAGE_ROWS by default): the columns compared, the ignored
    schemas left out, in a stable order."""
    limit = PAGE_ROWS if limit is None else limit
    columns = ", ".join(quote_identifier(name) for name in VIEW_COLUMNS[view])
    ignored = ", ".join(f"'{name}'" for name in sorted(IGNORED_SCHEMAS))
    where = (
        ""
        if view == "catalog_privileges"
        else f"WHERE {quote_identifier(VIEW_COLUMNS[view][1])} NOT IN ({ignored}) "
    )
    return (
        f"SELECT {columns} FROM {quote_identifier((catalog, 'information_schema', view))} "
        f"{where}ORDER BY {columns} LIMIT {limit} OFFSET {offset}"
    )


def read_views(runner: StatementRunner, catalog: str, views: Iterable[str] = VIEWS) -> dict[str, Rows] | None:
    """The views of `catalog`'s information_schema (the six of tables by default); None when the
    catalog does not exist."""
    found: dict[str, Rows] = {}
    for view in views:
        try:
            found[view] = _read_pages(runner, catalog, view)
        except StatementFailed as error:
            if not found and missing_object(error):
                return None
            raise
    return found


def _read_pages(runner: StatementRunner, catalog: str, view: str) -> Rows:
    columns: tuple[str, ...] = VIEW_COLUMNS[view]
    rows: list[tuple[str | None, ...]] = []
    while True:
        page = runner.execute(view_query(catalog, view, offset=len(rows)))
        columns = page.columns or columns
        rows.extend(page.rows)
        if len(page.rows) < PAGE_ROWS:
            return Rows(columns, tuple(rows))


def observed_state(views: Mapping[str, Rows]) -> dict[TableKey, TableState]:
    tables: dict[TableKey, TableState] = {}

    def key(row: Mapping[str, str | None], *names: str) -> TableKey | None:
        parts = [row.get(name) for name in names]
        if any(part is None for part in parts):
            return None
        catalog, schema, table = (str(part).lower() for part in parts)
        return None if schema in IGNORED_SCHEMAS else (catalog, schema, table)

    for row in views["tables"]:
        found = key(row, "table_catalog", "table_schema", "table_name")
        if found is not None:
            tables[found] = TableState(comment=_text(row.get("comment")), owner=row.get("table_owner"))
    for row in views["columns"]:
        found = key(row, "table_catalog", "table_schema", "table_name")
        if found in tables and row.get("column_name"):
            name = str(row["column_name"])
            type_text = row.get("full_data_type") or row.get("data_type") or ""
            tables[found].names[name.lower()] = name
            tables[found].columns[name.lower()] = ColumnState(
                normal_type(type_text),
                (row.get("is_nullable") or "YES").upper() == "YES",
                _text(row.get("comment")),
            )
    for row in views["table_tags"]:
        found = key(row, "catalog_name", "schema_name", "table_name")
        if found in tables and row.get("tag_name") and not str(row["tag_name"]).startswith("system."):
            tables[found].tags[str(row["tag_name"])] = row.get("tag_value") or ""
    for row in views["column_tags"]:
        found = key(row, "catalog_name", "schema_name", "table_name")
        column = (row.get("column_name") or "").lower()
        tag = str(row.get("tag_name") or "")
        if found in tables and column in tables[found].columns and tag and not tag.startswith("system."):
            tables[found].columns[column].tags[str(row["tag_name"])] = row.get("tag_value") or ""
    for row in views["table_constraints"]:
        found = key(row, "table_catalog", "table_schema", "table_name")
        if found in tables and row.get("constraint_name"):
            tables[found].constraints[str(row["constraint_name"]).lower()] = (
                row.get("constraint_type") or ""
            ).upper()
    for row in views["table_privileges"]:
        found = key(row, "table_catalog", "table_schema", "table_name")
        inherited = (row.get("inherited_from") or "NONE").upper()
        if found in tables and row.get("grantee") and row.get("privilege_type") and inherited == "NONE":
            tables[found].grants.add((str(row["grantee"]), normal_privilege(str(row["privilege_type"]))))
    return tables


# --- the difference -----------------------------------------------------------------------------


def compare(
    declared: Mapping[TableKey, TableState],
    observed: Mapping[TableKey, TableState],
    shown: Mapping[TableKey, str],
) -> list[DriftFinding]:
    """The differences, sorted by object; `shown` gives a table's name as the model writes it."""
    findings: list[DriftFinding] = []

    def name_of(key: TableKey) -> str:
        return shown.get(key, ".".join(key))

    for key in sorted(declared.keys() - observed.keys()):
        findings.append(DriftFinding(name_of(key), "table", "missing", expected=name_of(key)))
    for key in sorted(observed.keys() - declared.keys()):
        findings.append(DriftFinding(".".join(key), "table", "undeclared", actual=".".join(key)))
    for key in sorted(declared.keys() & observed.keys()):
        findings += _table_drift(name_of(key), declared[key], observed[key])
    return sorted(findings)


def _table_drift(name: str, want: TableState, have: TableState) -> list[DriftFinding]:
    found: list[DriftFinding] = []
    if want.comment != have.comment:
        found.append(DriftFinding(name, "comment", "differs", _shown(want.comment), _shown(have.comment)))
    if want.owner is not None and have.owner is not None and want.owner != have.owner:
        found.append(DriftFinding(name, "owner", "differs", want.owner, have.owner))
    found += _tags(name, "table tag", want.tags, have.tags)
    for column in sorted(want.columns.keys() - have.columns.keys()):
        found.append(
            DriftFinding(
                f"{name}.{want.names[column]}", "column", "missing", expected=want.columns[column].type
            )
        )
    for column in sorted(have.columns.keys() - want.columns.keys()):
        found.append(
            DriftFinding(
                f"{name}.{have.names[column]}", "column", "undeclared", actual=have.columns[column].type
            )
        )
    for column in sorted(want.columns.keys() & have.columns.keys()):
        path, declared, observed = f"{name}.{want.names[column]}", want.columns[column], have.columns[column]
        if declared.type != observed.type:
            found.append(DriftFinding(path, "type", "differs", declared.type, observed.type))
        if declared.nullable != observed.nullable:
            found.append(
                DriftFinding(
                    path, "nullability", "differs", _nullable(declared.nullable), _nullable(observed.nullable)
                )
            )
        if declared.comment != observed.comment:
            found.append(
                DriftFinding(path, "comment", "differs", _shown(declared.comment), _shown(observed.comment))
            )
        found += _tags(path, "column tag", declared.tags, observed.tags)
    for constraint in sorted(want.constraints.keys() - have.constraints.keys()):
        found.append(
            DriftFinding(
                name, "constraint", "missing", expected=f"{want.constraints[constraint]} {constraint}"
            )
        )
    for constraint in sorted(have.constraints.keys() - want.constraints.keys()):
        found.append(
            DriftFinding(
                name, "constraint", "undeclared", actual=f"{have.constraints[constraint]} {constraint}"
            )
        )
    for principal, privilege in sorted(want.grants - have.grants):
        found.append(DriftFinding(name, "grant", "missing", expected=f"{privilege} to {principal}"))
    for principal, privilege in sorted(have.grants - want.grants):
        found.append(DriftFinding(name, "grant", "undeclared", actual=f"{privilege} to {principal}"))
    return found


def _tags(path: str, what: str, want: Mapping[str, str], have: Mapping[str, str]) -> Iterable[DriftFinding]:
    for tag in sorted(want.keys() - have.keys()):
        yield DriftFinding(path, what, "missing", expected=f"{tag}={want[tag]}")
    for tag in sorted(have.keys() - want.keys()):
        yield DriftFinding(path, what, "undeclared", actual=f"{tag}={have[tag]}")
    for tag in sorted(want.keys() & have.keys()):
        if want[tag] != have[tag]:
            yield DriftFinding(path, what, "differs", f"{tag}={want[tag]}", f"{tag}={have[tag]}")


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)


def _nullable(value: bool) -> str:
    return "NULL" if value else "NOT NULL"


@dataclass
class DriftReport:
    environment: str
    catalogs: list[str]
    findings: list[DriftFinding]
    missing_catalogs: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings and not self.missing_catalogs


Grants = set[tuple[str, str]]  # (principal, PRIVILEGE)


def declared_grants(project: Project, environment: str) -> dict[tuple[str, ...], tuple[str, Grants]]:
    """The grants the model declares on each catalog and schema: lower-cased (catalog,) or (catalog,
    schema) of the physical names -> (the name shown, the grants)."""
    env = project.environment(environment)
    assert env is not None  # declared_state checked it
    found: dict[tuple[str, ...], tuple[str, Grants]] = {}
    for catalog in project.catalogs:
        physical = env.catalog_name(catalog)
        securables: list[tuple[tuple[str, ...], str, list[Grant]]] = [
            ((physical.lower(),), physical, catalog.grants)
        ]
        securables += [
            ((physical.lower(), schema.name.lower()), f"{physical}.{schema.name}", schema.grants)
            for schema in catalog.schemas
        ]
        for key, shown, declared in securables:
            found[key] = (
                shown,
                {
                    (grant.principal, normal_privilege(privilege))
                    for grant in declared
                    if _applies(grant, environment)
                    for privilege in grant.privileges
                },
            )
    return found


def observed_grants(views: Mapping[str, Rows]) -> dict[tuple[str, ...], Grants]:
    """The direct grants on the catalog and its schemas (not the information_schema's, nor the history's)."""
    grants: dict[tuple[str, ...], Grants] = {}
    for view, names in (
        ("catalog_privileges", ("catalog_name",)),
        ("schema_privileges", ("catalog_name", "schema_name")),
    ):
        for row in views.get(view, ()):
            key = tuple(str(row.get(name) or "").lower() for name in names)
            grantee, privilege = row.get("grantee"), row.get("privilege_type")
            if (
                (row.get("inherited_from") or "NONE").upper() != "NONE"
                or not all(key)
                or not grantee
                or not privilege
            ):
                continue
            if len(key) == 2 and key[1] in IGNORED_SCHEMAS:
                continue
            grants.setdefault(key, set()).add((str(grantee), normal_privilege(str(privilege))))
    return grants


def grant_drift(
    declared: Mapping[tuple[str, ...], tuple[str, Grants]], observed: Mapping[tuple[str, ...], Grants]
) -> list[DriftFinding]:
    """Missing and undeclared grants of the catalogs and schemas the model declares."""
    found: list[DriftFinding] = []
    for key, (name, want) in declared.items():
        have = observed.get(key, set())
        found += [
            DriftFinding(name, "grant", "missing", expected=f"{v} to {p}") for p, v in sorted(want - have)
        ]
        found += [
            DriftFinding(name, "grant", "undeclared", actual=f"{v} to {p}") for p, v in sorted(have - want)
        ]
    return found


def drift(
    runner: StatementRunner, project: Project, environment: str, *, securable_grants: bool = False
) -> DriftReport:
    """Read the environment's catalogs and compare them with the model; `securable_grants`: the
    migrations own the catalogs' and schemas' grants (Terraform does not), so compare those too."""
    catalogs, declared = declared_state(project, environment)
    observed: dict[TableKey, TableState] = {}
    missing: list[str] = []
    grants: dict[tuple[str, ...], Grants] = {}
    for catalog in catalogs:
        views = read_views(runner, catalog, (*VIEWS, *GRANT_VIEWS) if securable_grants else VIEWS)
        if views is None:
            missing.append(catalog)
            continue
        observed.update(observed_state(views))
        grants.update(observed_grants(views))
    wanted = {key: state for key, state in declared.items() if key[0] not in {c.lower() for c in missing}}
    shown = {
        (
            env_catalog.lower(),
            schema.name.lower(),
            table.name.lower(),
        ): f"{env_catalog}.{schema.name}.{table.name}"
        for env_catalog, catalog in zip(catalogs, project.catalogs, strict=True)
        for schema in catalog.schemas
        for table in schema.tables
    }
    findings = compare(wanted, observed, shown)
    if securable_grants:
        gone = {c.lower() for c in missing}
        want_grants = {k: v for k, v in declared_grants(project, environment).items() if k[0] not in gone}
        findings = sorted(findings + grant_drift(want_grants, grants))
    return DriftReport(environment, catalogs, findings, missing)


# --- output -------------------------------------------------------------------------------------


def drift_text(report: DriftReport) -> str:
    lines = [f"== drift in {report.environment} ({', '.join(report.catalogs)})"]
    lines += [
        f"missing    catalog {catalog}: declared but not in the workspace"
        for catalog in report.missing_catalogs
    ]
    lines += [f"{f.kind:<10} {f.object}: {f.message}" for f in report.findings]
    if report.clean:
        lines.append("clean: the workspace matches the model")
    else:
        count = len(report.findings) + len(report.missing_catalogs)
        lines.append(f"{count} difference{'s' if count != 1 else ''}")
    return "\n".join(lines) + "\n"


MARKER = "<!-- accelerator-drift -->"


def drift_markdown(report: DriftReport, limit: int = MAX_MARKDOWN_CHARS) -> str:
    """The body of the issue a scheduled workflow keeps up to date (MARKER finds it again); at most
    `limit` characters: the table's rows past it are counted, not listed."""
    lines = [MARKER, f"## Drift in `{report.environment}`", ""]
    if report.clean:
        lines.append("No drift: the workspace matches the model.")
        return "\n".join(lines) + "\n"
    count = len(report.findings) + len(report.missing_catalogs)
    lines += [f"{count} difference{'s' if count != 1 else ''}.", ""]
    lines += ["| kind | object | what | declared | found |", "|---|---|---|---|---|"]
    rows = [f"| missing | `{_cell(c)}` | catalog | `{_cell(c)}` | |" for c in report.missing_catalogs]
    rows += [
        f"| {f.kind} | `{_cell(f.object)}` | {f.what} | {_code(f.expected)} | {_code(f.actual)} |"
        for f in report.findings
    ]
    footer = [
        "",
        "Fix the workspace (`accelerator apply`), or declare what is there in the ERD or policy "
        "(`accelerator generate` writes the migration).",
    ]
    room = limit - len("\n".join(lines + footer)) - 200  # the "and N more" line
    for index, row in enumerate(rows):
        room -= len(row) + 1
        if room < 0:
            left = len(rows) - index
            lines.append(
                f"| ... | and {left} more | | | `accelerator drift --env {_cell(report.environment)}` lists all |"
            )
            break
        lines.append(row)
    return "\n".join(lines + footer) + "\n"


def _cell(text: str, limit: int = 500) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return shown.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _code(text: str | None) -> str:
    return f"`{_cell(text)}`" if text else ""


def drift_json(report: DriftReport) -> str:
    return json.dumps(
        {
            "environment": report.environment,
            "catalogs": report.catalogs,
            "missing_catalogs": report.missing_catalogs,
            "clean": report.clean,
            "findings": [{**asdict(f), "message": f.message} for f in report.findings],
        },
        indent=2,
        ensure_ascii=False,
    )
