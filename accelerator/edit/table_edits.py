"""Edits of a table's structure: rename a table or a column, add or drop a column.

Each class is the whole operation: fields (the LLM's tool schema), command forms, parse-tree
reading, description, resolution (its base class), effect on the model and ERD patch primitive.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.located import Located
from accelerator.edit.names import ModelNames
from accelerator.edit.operation import ColumnEdit, CommandForm, ResolvedOp, TableEdit, resolved_in_table
from accelerator.edit.readers import (
    data_type,
    default_value,
    subtrees,
    table_and_column,
    table_name,
    word,
    written_source_type,
)
from accelerator.edit.values import ColumnName, DatabricksType, NewColumnName, NewName, TableName
from accelerator.erd.patch_inputs import ErdPatcher, NewColumn, TableTarget
from accelerator.erd.text_edits import TextEdit
from accelerator.errors import EditConflictError
from accelerator.model.elements import Column, ForeignKey


def quote(text: str) -> str:
    """A text in double quotes for descriptions, escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _renamed(names: list[str], old: str, new: str) -> list[str]:
    return [new if name.lower() == old.lower() else name for name in names]


class RenameTable(TableEdit):
    """Rename a table (it stays in its schema). References to it are updated."""

    op: Literal["rename_table"] = "rename_table"
    new_name: NewName

    forms = (
        CommandForm(
            "rename_table",
            "rename table",
            "rename table T to NAME",
            "rename table sales.order_items to order_lines",
            "rename a table",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, new_name = tree.children
        assert isinstance(name, Tree)
        return cls(table=table_name(name), new_name=word(new_name))

    def describe(self) -> str:
        return f"rename table {self.table} → {self.new_name}"

    def apply_to(self, target: Located) -> None:
        table, schema = target.require_table(), target.schema
        assert schema is not None
        if self.new_name == table.name:
            raise target.unchanged(f"is already named `{self.new_name}`")
        clash = schema.table(self.new_name)
        if clash is not None and clash is not table:
            raise EditConflictError(
                f"cannot rename {target.where} to `{self.new_name}`: {schema.name}.{clash.name} exists",
                hint="choose another name; Unity Catalog names are case-insensitive",
            )
        for other, index in target.references():
            other.foreign_keys[index].ref_table = self.new_name
        table.name = self.new_name

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.rename_table(table, self.new_name)


class RenameColumn(ColumnEdit):
    """Rename a column of a table. Keys and foreign keys naming it are updated."""

    op: Literal["rename_column"] = "rename_column"
    new_name: NewName

    forms = (
        CommandForm(
            "rename_column",
            "rename column",
            "rename column T.c to NAME",
            "rename column sales.products.product_name to title",
            "rename a column (also `rename T.c to NAME`)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, new_name = tree.children
        assert isinstance(name, Tree)
        table, column = table_and_column(name)
        return cls(table=table, column=column, new_name=word(new_name))

    def describe(self) -> str:
        return f"rename column {self.table}.{self.column} → {self.new_name}"

    def apply_to(self, target: Located) -> None:
        table, column, new = target.require_table(), target.require_column(), self.new_name
        if new == column.name:
            raise target.unchanged(f"is already named `{new}`")
        clash = table.column(new)
        if clash is not None and clash is not column:
            raise EditConflictError(
                f"cannot rename {target.where} to `{new}`: the table already has a column `{clash.name}`",
                hint="choose another name; Unity Catalog names are case-insensitive",
            )
        old = column.name
        if table.primary_key:
            table.primary_key.columns = _renamed(table.primary_key.columns, old, new)
        for unique in table.unique_keys:
            unique.columns = _renamed(unique.columns, old, new)
        for fk in table.foreign_keys:
            fk.columns = _renamed(fk.columns, old, new)
        table.cluster_by = _renamed(table.cluster_by, old, new)
        for other, index in target.references():
            fk = other.foreign_keys[index]
            fk.ref_columns = _renamed(fk.ref_columns, old, new)
        column.name = new

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.rename_column(table, self.column, self.new_name)


class AddColumn(TableEdit):
    """Add a column at the end of a table."""

    op: Literal["add_column"] = "add_column"
    column: NewColumnName
    type: DatabricksType
    not_null: bool = Field(default=False, description="True for NOT NULL.")
    default: str | None = Field(
        default=None, description="A Databricks SQL default expression, e.g. 0, 'new' or current_timestamp()."
    )
    comment: str | None = Field(default=None, description="The column's description.")
    source_type: str | None = Field(
        default=None,
        description="The type as the user wrote it (e.g. varchar(20)), when it is not `type` itself; "
        "the ERD keeps this spelling where it means the same Databricks type.",
    )

    forms = (
        CommandForm(
            "add_column",
            "add column",
            'add column T.c TYPE [not null] [default V] [comment "..."]',
            "add column sales.orders.channel varchar(20) not null default 'web' comment \"Sales channel\"",
            "add a column",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, written_type, *options = subtrees(tree)
        table, column = table_and_column(name)
        not_null, default, comment = False, None, None
        for option in options:
            if option.data == "not_null":
                not_null = True
            elif option.data == "default":
                value = option.children[0]
                assert isinstance(value, Tree)
                default = default_value(value, text)
            else:
                comment = word(option)
        type_ = data_type(written_type, text)
        return cls(
            table=table,
            column=column,
            type=type_,
            not_null=not_null,
            default=default,
            comment=comment,
            source_type=written_source_type(written_type, text, type_),
        )

    def describe(self) -> str:
        text = f"add column {self.table}.{self.column} {self.type}"
        text += " NOT NULL" if self.not_null else ""
        text += f" DEFAULT {self.default}" if self.default is not None else ""
        text += f" comment {quote(self.comment)}" if self.comment else ""
        return text

    def apply_to(self, target: Located) -> None:
        table = target.require_table()
        existing = table.column(self.column)
        if existing is not None:
            raise EditConflictError(
                f"{target.where} already has a column `{existing.name}`",
                hint="choose another name, or change the existing column's type",
            )
        table.columns.append(
            Column(
                name=self.column,
                type=self.type,
                source_type=self.source_type or self.type,
                nullable=not self.not_null,
                default=self.default,
                comment=self.comment,
            )
        )

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        new = NewColumn(self.column, self.type, self.not_null, self.default, self.comment, self.source_type)
        return patcher.add_column(table, new)


class DropColumn(ColumnEdit):
    """Drop a column from a table (destructive: its data is lost)."""

    op: Literal["drop_column"] = "drop_column"

    forms = (
        CommandForm(
            "drop_column",
            "drop column",
            "drop column T.c",
            "drop column sales.orders.ip_address",
            "drop a column",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        (name,) = subtrees(tree)
        table, column = table_and_column(name)
        return cls(table=table, column=column)

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column}"

    def apply_to(self, target: Located) -> None:
        table, column = target.require_table(), target.require_column()
        name = column.name.lower()

        def uses(columns: list[str]) -> bool:
            return name in (c.lower() for c in columns)

        blockers: list[str] = []
        if table.primary_key and uses(table.primary_key.columns):
            blockers.append("the primary key")
        blockers += [
            "a multi-column unique key" for u in table.unique_keys if uses(u.columns) and len(u.columns) > 1
        ]
        blockers += [
            "a multi-column foreign key"
            for fk in table.foreign_keys
            if uses(fk.columns) and len(fk.columns) > 1
        ]
        if uses(table.cluster_by):
            blockers.append("the clustering keys")
        for other, index in target.references():
            if uses(other.foreign_keys[index].ref_columns):
                blockers.append(f"a foreign key of {other.name}")
        if len(table.columns) == 1:
            blockers.append("the table (its only column)")
        if blockers:
            raise EditConflictError(
                f"cannot drop {target.where}: it is used by {', '.join(dict.fromkeys(blockers))}",
                hint="change or remove what uses it first",
            )
        # its own single-column unique key and foreign key go with it, as they do in the ERD's column line
        table.unique_keys = [u for u in table.unique_keys if not uses(u.columns)]
        table.foreign_keys = [fk for fk in table.foreign_keys if not uses(fk.columns)]
        table.columns = [c for c in table.columns if c is not column]

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.drop_column(table, self.column)


# Before AddForeignKey: help lists (and its test applies) the examples in this order, on keys the example has.
class DropForeignKey(ColumnEdit):
    """Drop the foreign key of a column."""

    op: Literal["drop_foreign_key"] = "drop_foreign_key"

    forms = (
        CommandForm(
            "drop_foreign_key",
            "drop foreign key",
            "drop foreign key on T.c",
            "drop foreign key on crm.addresses.customer_id",
            "drop a column's foreign key",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        table, column = table_and_column(subtrees(tree)[0])
        return cls(table=table, column=column)

    def describe(self) -> str:
        return f"drop foreign key on {self.table}.{self.column}"

    def apply_to(self, target: Located) -> None:
        table, column = target.require_table(), target.require_column()
        kept = [fk for fk in table.foreign_keys if column.name.lower() not in (c.lower() for c in fk.columns)]
        if len(kept) == len(table.foreign_keys):
            raise target.unchanged("has no foreign key")
        table.foreign_keys = kept

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.drop_foreign_key(table, [self.column])


class AddForeignKey(TableEdit):
    """Add a single-column foreign key: `column` of `table` references `ref_column` of `ref_table`."""

    op: Literal["add_foreign_key"] = "add_foreign_key"
    column: ColumnName
    ref_table: TableName
    ref_column: ColumnName

    forms = (
        CommandForm(
            "add_foreign_key",
            "add foreign key",
            "add foreign key T.c references T.c",
            "add foreign key crm.addresses.customer_id references crm.customers.customer_id",
            "add a foreign key",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, ref = subtrees(tree)
        table, column = table_and_column(name)
        ref_table, ref_column = table_and_column(ref)
        return cls(table=table, column=column, ref_table=ref_table, ref_column=ref_column)

    def describe(self) -> str:
        return f"add foreign key {self.table}.{self.column} → {self.ref_table}.{self.ref_column}"

    def resolve(self, names: ModelNames) -> ResolvedOp:
        ref = names.table(self.table)
        column = names.column(ref, self.column)
        referenced = names.table(self.ref_table)
        ref_column = names.column(referenced, self.ref_column)
        if referenced[0] is not ref[0]:
            raise EditConflictError(
                f"{names.qualified_table(ref)} and {names.qualified_table(referenced)} are in different catalogs",
                hint="a foreign key references a table of its own catalog",
            )
        resolved = resolved_in_table(self, names, ref, column)
        update = {"ref_table": names.qualified_table(referenced), "ref_column": ref_column.name}
        return replace(resolved, op=resolved.op.model_copy(update=update))

    def apply_to(self, target: Located) -> None:
        table, column = target.require_table(), target.require_column()
        schema_name, _, table_name = self.ref_table.rpartition(".")
        schema = target.catalog.schema(schema_name.rpartition(".")[2])
        referenced = schema.table(table_name) if schema else None
        assert schema is not None and referenced is not None  # resolved
        ref_column = referenced.column(self.ref_column)
        assert ref_column is not None
        for fk in table.foreign_keys:
            if [c.lower() for c in fk.columns] == [column.name.lower()]:
                raise EditConflictError(
                    f"{target.where} already has a foreign key, to {fk.ref_schema}.{fk.ref_table}",
                    hint="drop it first (`drop foreign key on T.c`)",
                )
        unique = (
            referenced.primary_key
            and [c.lower() for c in referenced.primary_key.columns] == [ref_column.name.lower()]
        ) or any([c.lower() for c in u.columns] == [ref_column.name.lower()] for u in referenced.unique_keys)
        if not unique:
            raise EditConflictError(
                f"{self.ref_table}.{ref_column.name} is neither the primary key nor a unique key of its table",
                hint="a foreign key references a primary or unique key",
            )
        if column.type != ref_column.type:
            raise EditConflictError(
                f"{target.where} is {column.type} but {self.ref_table}.{ref_column.name} is {ref_column.type}",
                hint="change one column's type first so that both match",
            )
        table.foreign_keys.append(
            ForeignKey(
                columns=[column.name],
                ref_schema=schema.name,
                ref_table=referenced.name,
                ref_columns=[ref_column.name],
            )
        )

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        schema, _, name = self.ref_table.rpartition(".")
        return patcher.add_foreign_key(
            table, [self.column], schema.rpartition(".")[2], name, [self.ref_column]
        )


class MoveTable(TableEdit):
    """Move a table to another schema of its catalog. Foreign keys referencing it follow."""

    op: Literal["move_table"] = "move_table"
    schema_name: NewName = Field(description="The schema to move the table to (it must exist).")

    forms = (
        CommandForm(
            "move_table",
            "move table",
            "move table T to SCHEMA",
            "move table sales.products to crm",
            "move a table to another schema",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, schema = tree.children
        assert isinstance(name, Tree)
        return cls(table=table_name(name), schema_name=word(schema))

    def describe(self) -> str:
        return f"move table {self.table} to schema {self.schema_name}"

    def apply_to(self, target: Located) -> None:
        table, schema = target.require_table(), target.schema
        assert schema is not None
        destination = target.catalog.schema(self.schema_name)
        if destination is None:
            known = ", ".join(s.name for s in target.catalog.schemas)
            raise EditConflictError(
                f"schema `{self.schema_name}` not found in catalog {target.catalog.name}",
                hint=f"schemas: {known}",
            )
        if destination is schema:
            raise target.unchanged(f"is already in schema {schema.name}")
        if destination.table(table.name) is not None:
            raise EditConflictError(
                f"cannot move {target.where}: {destination.name}.{table.name} exists",
                hint="rename one of the tables first",
            )
        for other, index in target.references():
            other.foreign_keys[index].ref_schema = destination.name
        schema.tables = [t for t in schema.tables if t is not table]
        destination.tables = [*destination.tables, table]

    def plan_erd(self, patcher: ErdPatcher, table: TableTarget) -> list[TextEdit]:
        return patcher.move_table(table, self.schema_name)
