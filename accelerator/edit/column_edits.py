"""Edits of what a column (or a table) says: its type, NOT NULL, its comment."""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.located import Located
from accelerator.edit.operation import ColumnEdit, CommandForm, TableOrColumnEdit
from accelerator.edit.readers import (
    data_type,
    subtrees,
    table_and_column,
    target_names,
    word,
    written_source_type,
)
from accelerator.edit.table_edits import quote
from accelerator.edit.values import DatabricksType
from accelerator.erd.patch_inputs import ErdPatcher, TableTarget
from accelerator.erd.text_edits import TextEdit
from accelerator.errors import EditConflictError
from accelerator.model.elements import Column, Table


class ChangeType(ColumnEdit):
    """Change the type of a column."""

    op: Literal["change_type"] = "change_type"
    type: DatabricksType
    source_type: str | None = Field(
        default=None,
        description="The type as the user wrote it (e.g. varchar(20)), when it is not `type` itself; "
        "the ERD keeps this spelling where it means the same Databricks type.",
    )

    forms = (
        CommandForm(
            "change_type",
            "change type of",
            "change type of T.c to TYPE",
            "change type of sales.orders.total_amount to decimal(14,2)",
            "change a column's type",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, written_type = subtrees(tree)
        table, column = table_and_column(name)
        type_ = data_type(written_type, text)
        source_type = written_source_type(written_type, text, type_)
        return cls(table=table, column=column, type=type_, source_type=source_type)

    def describe(self) -> str:
        written = f"{self.source_type} ({self.type} in Databricks)" if self.source_type else self.type
        return f"change type of {self.table}.{self.column} → {written}"

    def apply_to(self, target: Located) -> None:
        column = target.require_column()
        written = self.source_type or self.type
        if (
            self.type == column.type
            and column.allowed_values is None  # else: the enum's values go
            and _spelling(written) == _spelling(column.source_type or column.type)
        ):  # varchar(20) -> varchar(30) is the same Databricks STRING, but another ERD type
            raise target.unchanged(f"is already {column.source_type or self.type}")
        if column.identity is not None and self.type != "BIGINT":
            raise EditConflictError(
                f"cannot change {target.where} to {self.type}: it is an identity column, which must be BIGINT",
                hint="keep it BIGINT, or add a new column",
            )
        column.type, column.source_type = self.type, self.source_type or self.type
        column.allowed_values = None  # the enum's values belonged to the old type

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.change_type(table, self.column, self.type, self.source_type)


def _spelling(type_: str) -> str:
    """A type as written, compared without case and spaces (`VARCHAR(20)` is `varchar( 20 )`)."""
    return "".join(type_.split()).lower()


class SetNotNull(ColumnEdit):
    """Make a column NOT NULL (not_null=true) or nullable again (not_null=false)."""

    op: Literal["set_not_null"] = "set_not_null"
    not_null: bool = Field(description="True adds NOT NULL, false drops it.")

    forms = (
        CommandForm(
            "set_not_null", "set not null on", "set not null on T.c", "set not null on sales.orders.order_date",
            "add NOT NULL",
        ),
        CommandForm(
            "drop_not_null", "drop not null on", "drop not null on T.c", "drop not null on sales.orders.order_date",
            "drop NOT NULL",
        ),
    )  # fmt: skip

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        (name,) = subtrees(tree)
        table, column = table_and_column(name)
        return cls(table=table, column=column, not_null=tree.data == "set_not_null")

    def describe(self) -> str:
        return f"{'set' if self.not_null else 'drop'} NOT NULL on {self.table}.{self.column}"

    def apply_to(self, target: Located) -> None:
        table, column = target.require_table(), target.require_column()
        if column.nullable != self.not_null:
            raise target.unchanged("is already " + ("NOT NULL" if self.not_null else "nullable"))
        in_primary_key = table.primary_key and column.name.lower() in (
            c.lower() for c in table.primary_key.columns
        )
        if not self.not_null and in_primary_key:
            raise EditConflictError(
                f"cannot drop NOT NULL on {target.where}: primary key columns are always NOT NULL",
                hint="remove the column from the primary key first",
            )
        column.nullable = not self.not_null

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.set_not_null(table, self.column, self.not_null)


class SetComment(TableOrColumnEdit):
    """Set the comment (description) of a table, or of a column when `column` is given.

    An empty comment removes it.
    """

    op: Literal["set_comment"] = "set_comment"
    comment: str = Field(description="The new comment; empty to remove it.")

    forms = (
        CommandForm(
            "comment_on",
            "comment on",
            'comment on [table|column] T[.c] "..."',
            'comment on sales.orders.order_date "Day the order was placed"',
            "set a comment (an empty one removes it)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        target, comment = tree.children
        assert isinstance(target, Tree)
        table, column = target_names(target)
        table_only = target.data == "table_target"
        return cls(table=table, column=column, comment=word(comment), table_only=table_only)

    def describe(self) -> str:
        target = f"{self.table}.{self.column}" if self.column else self.table
        return (
            f"comment on {target}: {quote(self.comment)}"
            if self.comment
            else f"remove the comment on {target}"
        )

    def apply_to(self, target: Located) -> None:
        element: Table | Column = target.column or target.require_table()
        comment = self.comment or None  # an empty comment removes it
        if element.comment == comment:
            raise target.unchanged("already has that comment" if comment else "has no comment")
        element.comment = comment

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.set_comment(table, self.column, self.comment or None)
