"""Governance edits of tables and columns: tags and classifications (written to the policy), and
what a structural edit must change in the policy so that a classification follows its column.

A classification, once decided (by a name rule or by `classify`), is kept explicit: `classify`
writes the column's own `classified_columns` entry (that table's column only), and a rename writes
one for the new name (`classification_follow_up`) instead of leaving the class to be derived again
from a name that may match nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.located import Located
from accelerator.edit.operation import ColumnEdit, CommandForm, EditBase, TableOrColumnEdit
from accelerator.edit.policy_patch import PolicyDocument, no_place_for
from accelerator.edit.readers import name_parts, table_and_column, target_names, word
from accelerator.edit.table_edits import DropColumn, RenameColumn, RenameTable
from accelerator.edit.values import ClassificationName
from accelerator.erd.text_edits import TextEdit, apply_text_edits
from accelerator.errors import UnknownObjectError, UnsupportedEditError
from accelerator.model.elements import Column, Project, Table
from accelerator.policy import DEFAULT_POLICY_PATH

# Where `classify` creates the policy of a project that uses the built-in one.
CONVENTIONAL_POLICY_FILE = "policies/governance.yaml"


class SetTag(TableOrColumnEdit):
    """Set a governance tag `key=value` on a table, or on a column when `column` is given."""

    op: Literal["set_tag"] = "set_tag"
    key: str = Field(min_length=1, description="The tag key, e.g. `domain`.")
    value: str = Field(description="The tag value, e.g. `sales`.")

    writes = "policy"
    forms = (
        # Not in `help` until the policy has a place for one object's tags.
        CommandForm(
            "set_tag",
            "tag",
            "tag T[.c] KEY=VALUE",
            "tag sales.orders domain=sales",
            "set a tag",
            listed=False,
        ),
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
            "classify crm.addresses.city as pii.address",
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
        known = policy.class_names()
        if self.classification not in known:
            close = difflib.get_close_matches(self.classification, known, n=1, cutoff=0.5)
            raise UnknownObjectError(
                f"{policy.file} defines no classification {self.classification!r}; "
                f"its classes: {', '.join(known) or 'none'}",
                kind="classification",
                name=self.classification,
                suggestions=close,
                hint=(f"did you mean {close[0]}? " if close else "")
                + f"a new class needs its match, tags and mask under `classification:` in {policy.file}",
            )
        if "." not in self.table:
            raise UnsupportedEditError(
                f"classify names the column by its table and schema: {self.table} is not qualified",
                hint=f"write e.g. `classify <schema>.{self.table}.{self.column} as {self.classification}`",
            )
        return policy.classify_column(self.classification, f"{self.table}.{self.column}")


def starting_policy(file: str = CONVENTIONAL_POLICY_FILE) -> tuple[str, str]:
    """The policy file to create for a project that uses the built-in policy: its path and text
    (the built-in policy's, so that nothing governs differently until it is edited)."""
    header = (
        "# Created from the accelerator's built-in policy (accelerator/policy/default.yaml), so that edits\n"
        "# such as `classify` have a file to go to. Format: accelerator/policy/POLICY.md.\n"
    )
    return file, header + DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


@dataclass(frozen=True)
class PolicyFollowUp:
    """What an edit of the ERD changes in the policy in the same turn, and the reply's lines."""

    file: str
    text: str  # the policy's new text
    notes: list[str] = field(default_factory=list)
    created: bool = False  # the file did not exist (the project used the built-in policy)


def classification_follow_up(
    governed: Project, op: EditBase, policy_file: str | None, sources: dict[str, str]
) -> PolicyFollowUp | None:
    """The policy change that keeps classifications on their columns through `op` (resolved against
    `governed`, the governed model before it): a renamed column keeps its class as an explicit
    `classified_columns` entry (its existing entry is renamed), entries follow a renamed table, and
    a dropped column's entry goes. None when the policy needs no change. Without a policy file, one
    is created (`starting_policy`) only when a class has to be kept."""
    renamed: dict[str, str] = {}
    kept: dict[str, str] = {}
    dropped: list[str] = []
    if isinstance(op, RenameColumn):
        column = _column(governed, op.table, op.column)
        old, new = f"{op.table}.{op.column}", f"{op.table}.{op.new_name}"
        renamed[old] = new
        if column is not None and column.classification:
            kept[new] = column.classification
    elif isinstance(op, RenameTable):
        schema = op.table.rsplit(".", 1)[0] if "." in op.table else ""
        new_table = f"{schema}.{op.new_name}" if schema else op.new_name
        table = _table(governed, op.table)
        for column in table.columns if table is not None else []:
            renamed[f"{op.table}.{column.name}"] = f"{new_table}.{column.name}"
    elif isinstance(op, DropColumn):
        dropped.append(f"{op.table}.{op.column}")
    if not (renamed or kept or dropped):
        return None
    created = policy_file is None or policy_file not in sources
    if created:
        if not kept:
            return None  # the built-in policy has no entries to follow
        file, text = starting_policy(policy_file or CONVENTIONAL_POLICY_FILE)
    else:
        assert policy_file is not None
        file, text = policy_file, sources[policy_file]
    document = PolicyDocument(file, text)
    short = len(next(iter([*renamed, *kept, *dropped])).split(".")) == 3  # the op names no catalog
    written: dict[str, str] = {}  # by the name as the op has it (schema.table.column): the entry as written
    for key in document.classified_columns():
        parts = key.lower().split(".")
        written.setdefault(".".join(parts[-3:]) if short else key.lower(), key)
    edits: list[TextEdit] = []
    notes: list[str] = []
    entries = {  # the entry as written -> its new name, with a catalog where it had one
        written[old.lower()]: _same_form(written[old.lower()], new)
        for old, new in renamed.items()
        if old.lower() in written
    }
    if entries:
        edits += document.rename_classified_columns(entries)
        notes += [f"keep the classification of {old} on {new} ({file})" for old, new in entries.items()]
    for key, name in kept.items():
        if not any(old.lower() in written and new == key for old, new in renamed.items()):
            edits += document.classify_column(name, key)
            notes.append(f"keep {key} classified as {name} ({file}: classified_columns)")
    gone = [written[column.lower()] for column in dropped if column.lower() in written]
    if gone:
        edits += document.unclassify_columns(gone)
        notes += [
            f"remove the classification entry of the dropped column {column} ({file})" for column in gone
        ]
    if not edits:
        return None
    if created:
        notes.insert(0, f"created {file} from the built-in policy")
    return PolicyFollowUp(file, apply_text_edits({file: text}, edits)[file], notes, created)


def _same_form(written: str, new: str) -> str:
    """`new` with the catalog the entry was written with (`retail.crm.customers.x`), if any."""
    extra = len(written.split(".")) - len(new.split("."))
    return ".".join([*written.split(".")[:extra], new]) if extra > 0 else new


def _table(project: Project, qualified: str) -> Table | None:
    parts = qualified.lower().split(".")
    for catalog, schema, table in project.iter_tables():
        names = [catalog.name.lower(), schema.name.lower(), table.name.lower()]
        if names[-len(parts) :] == parts:
            return table
    return None


def _column(project: Project, table: str, column: str) -> Column | None:
    found = _table(project, table)
    return found.column(column) if found is not None else None
