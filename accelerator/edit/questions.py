"""Read-only questions, answered from the governed model; they change nothing.

"what tables have PII?", "show me the orders table", "who can read sales.orders in prod?", "list
tables", `explain X`. Each is a command (`Question.answer(project)` is its whole reply), so the
agent answers them all the same way, and a test can ask them without a conversation.
"""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.names import ModelNames, TableRef
from accelerator.edit.operation import CommandForm, Question
from accelerator.edit.readers import name_parts, subtrees, word
from accelerator.errors import AcceleratorError, UnknownObjectError
from accelerator.model.elements import Catalog, Column, Grant, Project, Schema

MAX_LISTED = 50  # tables or columns in one answer; a longer list is summarized

# What a question's verb asks for, as the privileges that allow it (ALL_PRIVILEGES allows all).
ACCESS = {
    "read": ("SELECT",),
    "query": ("SELECT",),
    "select from": ("SELECT",),
    "see": ("SELECT",),
    "write": ("MODIFY",),
    "modify": ("MODIFY",),
    "manage": ("MANAGE",),
    "use": ("USE_CATALOG", "USE_SCHEMA"),
}


def _listed(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"- ... and {len(lines) - MAX_LISTED} more {what}"]


def _column_line(column: Column) -> str:
    parts = [f"`{column.name}` {column.type}"]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.classification:
        mask = f", masked ({column.mask.strategy})" if column.mask else ""
        parts.append(f"[{column.classification}{mask}]")
    line = " ".join(parts)
    return f"- {line}: {column.comment}" if column.comment else f"- {line}"


def table_answer(names: ModelNames, ref: TableRef) -> str:
    """A table: its comment, owner, tags, columns, keys."""
    _, _, table = ref
    lines = [f"**{names.qualified_table(ref)}**: {table.comment or 'no comment'}"]
    if table.owner:
        lines.append(f"owner `{table.owner}`")
    if table.tags:
        lines.append("tags " + ", ".join(f"{k}={v}" for k, v in sorted(table.tags.items())))
    if table.primary_key:
        lines.append(f"primary key ({', '.join(table.primary_key.columns)})")
    lines += [
        f"foreign key ({', '.join(fk.columns)}) → {fk.ref_schema}.{fk.ref_table} ({', '.join(fk.ref_columns)})"
        for fk in table.foreign_keys
    ]
    lines.append(f"{len(table.columns)} column(s):")
    lines += _listed([_column_line(c) for c in table.columns], "columns")
    return "\n".join(lines)


def explain_object(project: Project, target: str) -> str:
    """What `target` names, in this order: a table, a column (`T.c`), a schema, a catalog, or the
    columns of that name in every table; else the table lookup's error, with its "did you mean"."""
    names = ModelNames(project)
    try:
        return table_answer(names, names.table(target))
    except AcceleratorError as not_a_table:
        first_error: AcceleratorError = not_a_table
    table_name, _, column_name = target.rpartition(".")
    if table_name:
        try:
            ref = names.table(table_name)
            column = names.column(ref, column_name)
            return f"column {names.qualified_table(ref)}.{column.name}:\n{_column_line(column)}" + (
                "\ntags " + ", ".join(f"{k}={v}" for k, v in sorted(column.tags.items()))
                if column.tags
                else ""
            )
        except UnknownObjectError as error:
            if error.kind == "column":
                return error.format()
    for kind, find in (("schema", names.schema), ("catalog", names.catalog)):
        try:
            found = find(target)
        except AcceleratorError:
            continue
        return _securable_answer(kind, found)
    columns = [
        f"- {names.qualified_table(ref)}.`{column.name}` {column.type}"
        for ref in project.iter_tables()
        for column in ref[2].columns
        if column.name.lower() == target.lower()
    ]
    if columns:
        return f"`{target}` is a column of {len(columns)} table(s):\n" + "\n".join(
            _listed(columns, "columns")
        )
    return first_error.format()


def _securable_answer(kind: str, found: Catalog | tuple[Catalog, Schema]) -> str:
    securable = found[1] if isinstance(found, tuple) else found
    tables = [t.name for t in securable.tables] if isinstance(securable, Schema) else [
        f"{s.name}.{t.name}" for s in securable.schemas for t in s.tables
    ]  # fmt: skip
    owner = f"; owner `{securable.owner}`" if securable.owner else ""
    return f"{kind} {securable.name}{owner}; {len(tables)} table(s): {', '.join(tables[:MAX_LISTED])}"


class ListTables(Question):
    """List the model's tables."""

    op: Literal["list_tables"] = "list_tables"

    forms = (CommandForm("list_tables", "list tables", "list tables", "list tables", "list the tables"),)

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "list the tables"

    def answer(self, project: Project) -> str:
        names = ModelNames(project)
        lines = [
            f"- {names.qualified_table(ref)} ({len(ref[2].columns)} columns)"
            + (f": {ref[2].comment}" if ref[2].comment else "")
            for ref in project.iter_tables()
        ]
        return f"{len(lines)} table(s):\n" + "\n".join(_listed(lines, "tables"))


class ShowTable(Question):
    """Show a table: its columns with types, keys, comments and classifications."""

    op: Literal["show_table"] = "show_table"
    table: str = Field(description="The table, e.g. `sales.orders`.")

    forms = (
        CommandForm(
            "show_table", "show", "show [table] T", "show table sales.orders", "show a table's columns"
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls(table=".".join(name_parts(subtrees(tree)[0])))

    def describe(self) -> str:
        return f"show table {self.table}"

    def answer(self, project: Project) -> str:
        names = ModelNames(project)
        try:
            return table_answer(names, names.table(self.table))
        except AcceleratorError as error:
            return error.format()


class ClassifiedColumns(Question):
    """List the columns classified as PII (or any class), by table, with their masks."""

    op: Literal["classified_columns"] = "classified_columns"

    forms = (
        CommandForm(
            "classified_columns",
            "what tables have pii",
            "what tables have PII",
            "what tables have PII?",
            "list the classified (PII) columns and their masks",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "list the classified columns"

    def answer(self, project: Project) -> str:
        names = ModelNames(project)
        lines = []
        for ref in project.iter_tables():
            classified = [c for c in ref[2].columns if c.classification]
            if classified:
                listed = ", ".join(
                    f"`{c.name}` ({c.classification}{', masked: ' + c.mask.strategy if c.mask else ''})"
                    for c in classified
                )
                lines.append(f"- {names.qualified_table(ref)}: {listed}")
        if not lines:
            return "No column is classified (no PII found by the policy's rules or by `classify`)."
        return f"{len(lines)} table(s) have classified columns:\n" + "\n".join(_listed(lines, "tables"))


class WhoCan(Question):
    """Who can read (or write, manage, use) a table, schema or catalog, in one or every environment;
    grants on the schema and catalog apply to their tables, as in Unity Catalog."""

    op: Literal["who_can"] = "who_can"
    access: Literal["read", "query", "select from", "see", "write", "modify", "manage", "use", "access"] = (
        "access"
    )
    securable: str = Field(description="A table, schema or catalog.")
    environment: str | None = None

    forms = (
        CommandForm(
            "who_can",
            "who can",
            "who can read|write|access X [in ENV]",
            "who can read sales.orders in prod?",
            "who holds privileges on an object (grants on its schema and catalog count)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        verb = next((c for c in tree.children if isinstance(c, Token) and c.type == "ACCESS_VERB"), None)
        name, *environment = subtrees(tree)
        access = " ".join(str(verb).lower().split()) if verb is not None else "access"
        return cls.model_validate(
            {
                "access": access,
                "securable": ".".join(name_parts(name)),
                "environment": word(environment[0].children[0]) if environment else None,
            }
        )

    def describe(self) -> str:
        where = f" in {self.environment}" if self.environment else ""
        return f"who can {self.access} {self.securable}{where}"

    def answer(self, project: Project) -> str:
        names = ModelNames(project)
        try:
            names.environment(self.environment)
            chain, label = self._chain(names)
        except AcceleratorError as error:
            return error.format()
        wanted = ACCESS.get(self.access)
        found: list[str] = []
        for kind, name, grants in chain:
            for grant in grants:
                if not _applies(grant, self.environment):
                    continue
                privileges = grant.privileges if wanted is None else [
                    p for p in grant.privileges if p in wanted or p == "ALL_PRIVILEGES"
                ]  # fmt: skip
                if privileges:
                    where = ", ".join(grant.environments) if grant.environments else "every environment"
                    found.append(f"- `{grant.principal}`: {', '.join(privileges)} on {kind} {name} ({where})")
        where = f" in {self.environment}" if self.environment else ""
        if not found:
            return f"Nobody is granted {self._what()} on {label}{where} (owners can always)."
        note = (
            "\n(each also needs USE_CATALOG and USE_SCHEMA on the table's catalog and schema)"
            if label.startswith("table") and wanted is not None and "SELECT" in wanted
            else ""
        )
        return f"Granted {self._what()} on {label}{where}:\n" + "\n".join(found) + note

    def _what(self) -> str:
        wanted = ACCESS.get(self.access)
        return "privileges" if wanted is None else " or ".join([*wanted, "ALL_PRIVILEGES"])

    def _chain(self, names: ModelNames) -> tuple[list[tuple[str, str, list[Grant]]], str]:
        """The securable and those it inherits from: (kind, name, grants), and its label."""
        kinds = names.kinds_named(self.securable)
        if "table" in kinds or not kinds:
            catalog, schema, table = ref = names.table(self.securable)
            label = f"table {names.qualified_table(ref)}"
            return [("table", table.name, table.grants), ("schema", schema.name, schema.grants),
                    ("catalog", catalog.name, catalog.grants)], label  # fmt: skip
        if "schema" in kinds:
            catalog, schema = names.schema(self.securable)
            return [("schema", schema.name, schema.grants), ("catalog", catalog.name, catalog.grants)], (
                f"schema {schema.name}"
            )
        catalog = names.catalog(self.securable)
        return [("catalog", catalog.name, catalog.grants)], f"catalog {catalog.name}"


def _applies(grant: Grant, environment: str | None) -> bool:
    return environment is None or not grant.environments or environment in grant.environments
