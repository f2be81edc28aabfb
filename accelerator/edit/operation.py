"""What an operation of the conversation is: one typed, frozen value that knows all about itself.

An operation class declares, next to its fields (whose JSON schema, docstring included, is the
LLM's tool schema):
- `forms`: its command forms (the grammar rule that parses each, the help line, an example);
- `from_tree`: the value a parse tree of one of its rules means;
- `describe`: one line for replies.
An edit (`EditBase`) also knows, through the target base it derives from (`TableEdit`,
`ColumnEdit`, `TableOrColumnEdit`, `SecurableEdit`), how its names resolve against a model; and
`apply_to` (its effect on the model) and `writes` + `plan_erd` / `plan_policy` (how it lands in
the source texts). `operations.py` collects the classes into the registry that everything
dispatches through.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from lark import Token, Tree
from pydantic import BaseModel, ConfigDict, Field

from accelerator.edit.located import Located, copied_for
from accelerator.edit.names import ModelNames, ObjectKind, TableRef
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.edit.values import ColumnName, Principal, SecurableKind, SecurableName, TableName
from accelerator.erd.patch_inputs import ErdPatcher, TableTarget
from accelerator.erd.text_edits import TextEdit
from accelerator.errors import UnsupportedEditError
from accelerator.model.elements import Column, Project


@dataclass(frozen=True)
class CommandForm:
    """One way to write an operation: the grammar rule that parses it, and its line in `help`."""

    rule: str  # the rule of commands.lark, e.g. "rename_column"
    keywords: str  # the words that start the form, e.g. "rename column"
    form: str  # the form with placeholders, e.g. "rename column T.c to NAME"
    example: str  # a test parses every example into this operation, and applies it to the example project
    summary: str
    listed: bool = True  # in `help`; a form whose edit has no place to be written yet is not


class Operation(BaseModel):
    """Base of everything a statement of a comment can mean."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The operation's name; each concrete class narrows it to a Literal with that default (the
    # discriminator of the JSON unions). Declared here so that it comes first in every dump.
    op: str
    forms: ClassVar[tuple[CommandForm, ...]]

    @classmethod
    @abstractmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        """The operation that a parse tree of one of `forms`' rules means (`text`: the statement)."""

    @abstractmethod
    def describe(self) -> str:
        """One line for replies, e.g. "rename column crm.customers.email_addr → email"."""


class CommandBase(Operation):
    """Base of the conversation's commands that do not edit the model (undo, explain, ...)."""


class Question(CommandBase):
    """A read-only question answered from the governed model (`questions.py`)."""

    @abstractmethod
    def answer(self, project: Project) -> str:
        """The reply, from the model; never changes it."""


@dataclass(frozen=True)
class ResolvedOp:
    """An edit checked against a model. `op` carries the model's spelling of every name, tables
    qualified as `schema.table` (`catalog.schema.table` when the project has several catalogs);
    the other fields locate the object it changes."""

    op: EditBase
    kind: ObjectKind
    catalog: str
    schema: str | None = None
    table: str | None = None
    column: str | None = None


class EditBase(Operation):
    """Base of every edit of the model."""

    # Where the edit lands: the ERD file that declares its table, or the governance policy.
    writes: ClassVar[Literal["erd", "policy"]] = "erd"

    @abstractmethod
    def resolve(self, names: ModelNames) -> ResolvedOp:
        """Check the names against the model; raise `UnknownObjectError` / `AmbiguousObjectError`."""

    @abstractmethod
    def apply_to(self, target: Located) -> None:
        """Change the located objects (of a copy of the model); called on the resolved edit. Raise
        `EditConflictError` when the edit would leave the model invalid or unchanged."""

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        """The text edits of the ERD file declaring `table` (called on the resolved edit)."""
        raise UnsupportedEditError(f"{self.__class__.__name__} cannot be written to an ERD file")

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        """The text edits of the governance policy (called on the edit as written: the policy matches
        names as people write them)."""
        raise UnsupportedEditError(f"{self.__class__.__name__} cannot be written to the policy")


def resolve(op: EditBase, project: Project) -> ResolvedOp:
    """Check `op`'s names against `project`; return it with the model's names, or raise
    `UnknownObjectError` / `AmbiguousObjectError`. A policy edit is also tried on a copy of the model,
    raising `EditConflictError` when it would change nothing (a grant already held): its patch is
    not verified by re-parsing, as an ERD edit's is."""
    resolved = op.resolve(ModelNames(project))
    if op.writes == "policy":
        resolved.op.apply_to(Located.of(copied_for(project, resolved), resolved))
    return resolved


def resolved_in_table(op: EditBase, names: ModelNames, ref: TableRef, column: Column | None) -> ResolvedOp:
    update: dict[str, object] = {"table": names.qualified_table(ref)}
    if column is not None:
        update["column"] = column.name
    catalog, schema, table = ref
    return ResolvedOp(
        op=op.model_copy(update=update),
        kind="column" if column is not None else "table",
        catalog=catalog.name,
        schema=schema.name,
        table=table.name,
        column=column.name if column is not None else None,
    )


class TableEdit(EditBase):
    """An edit of one table (its own name, or a column it does not have yet)."""

    table: TableName

    def resolve(self, names: ModelNames) -> ResolvedOp:
        return resolved_in_table(self, names, names.table(self.table), None)


class ColumnEdit(EditBase):
    """An edit of one existing column."""

    table: TableName
    column: ColumnName

    def resolve(self, names: ModelNames) -> ResolvedOp:
        ref = names.table(self.table)
        return resolved_in_table(self, names, ref, names.column(ref, self.column))


class TableOrColumnEdit(EditBase):
    """An edit of a table, or of one of its columns when `column` is given (or the name says so)."""

    table: TableName
    column: str | None = Field(default=None, description="The column; null for the table itself.")
    table_only: bool = Field(
        default=False, description="True when `table` is a table for sure (never read as TABLE.COLUMN)."
    )

    def resolve(self, names: ModelNames) -> ResolvedOp:
        if self.table_only and self.column is None:  # `comment on table T`: the user said it is a table
            return resolved_in_table(self, names, names.table(self.table), None)
        ref, column = names.table_or_column(self.table, self.column)
        return resolved_in_table(self, names, ref, column)


class SecurableEdit(EditBase):
    """An edit of a catalog, schema or table as a Unity Catalog securable (owner, grants)."""

    securable_kind: SecurableKind | None = Field(
        default=None, description="What `securable` names; null to infer it from the model."
    )
    securable: SecurableName
    principal: Principal

    def resolve(self, names: ModelNames) -> ResolvedOp:
        kind = self.securable_kind or names.securable_kind(self.securable)
        if kind == "catalog":
            catalog = names.catalog(self.securable)
            update = {"securable": catalog.name, "securable_kind": kind}
            return ResolvedOp(self.model_copy(update=update), kind, catalog.name)
        if kind == "schema":
            catalog, schema = names.schema(self.securable)
            update = {"securable": names.qualified_schema(catalog, schema), "securable_kind": kind}
            return ResolvedOp(self.model_copy(update=update), kind, catalog.name, schema.name)
        ref = names.table(self.securable)
        update = {"securable": names.qualified_table(ref), "securable_kind": "table"}
        return ResolvedOp(self.model_copy(update=update), "table", ref[0].name, ref[1].name, ref[2].name)
