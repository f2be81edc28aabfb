"""Governance edits of tables and columns: tags and classifications (written to the policy)."""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.located import Located
from accelerator.edit.operation import ColumnEdit, CommandForm, TableOrColumnEdit
from accelerator.edit.policy_patch import PolicyDocument, no_place_for
from accelerator.edit.readers import name_parts, table_and_column, target_names, word
from accelerator.edit.values import ClassificationName
from accelerator.erd.text_edits import TextEdit
from accelerator.model.elements import Column, Table


class SetTag(TableOrColumnEdit):
    """Set a governance tag `key=value` on a table, or on a column when `column` is given."""

    op: Literal["set_tag"] = "set_tag"
    key: str = Field(min_length=1, description="The tag key, e.g. `domain`.")
    value: str = Field(description="The tag value, e.g. `sales`.")

    writes = "policy"
    forms = (
        CommandForm("set_tag", "tag", "tag T[.c] KEY=VALUE", "tag sales.orders domain=sales", "set a tag"),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        target, key, value = tree.children
        assert isinstance(target, Tree)
        table, column = target_names(target)
        return cls(table=table, column=column, key=word(key), value=word(value))

    def describe(self) -> str:
        target = f"{self.table}.{self.column}" if self.column else self.table
        return f"tag {target} {self.key}={self.value}"

    def apply_to(self, target: Located) -> None:
        element: Table | Column = target.column or target.require_table()
        if element.tags.get(self.key) == self.value:
            raise target.unchanged(f"already has the tag {self.key}={self.value}")
        element.tags[self.key] = self.value

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        raise no_place_for("tag")


class Classify(ColumnEdit):
    """Classify a column, e.g. as `pii` or `pii.email`; the policy then masks and tags it."""

    op: Literal["classify"] = "classify"
    classification: ClassificationName

    writes = "policy"
    forms = (
        CommandForm(
            "classify",
            "classify",
            "classify T.c as CLASS",
            "classify crm.customers.phone as pii.phone",
            "classify a column",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        name, classification = tree.children
        assert isinstance(name, Tree) and isinstance(classification, Tree)
        table, column = table_and_column(name)
        return cls(table=table, column=column, classification=".".join(name_parts(classification)))

    def describe(self) -> str:
        return f"classify {self.table}.{self.column} as {self.classification}"

    def apply_to(self, target: Located) -> None:
        column = target.require_column()
        if column.classification == self.classification:
            raise target.unchanged(f"is already classified as {self.classification}")
        column.classification = self.classification

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        return policy.classify_column(self.classification, self.column)
