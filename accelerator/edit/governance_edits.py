"""Governance edits of tables and columns: tags and classifications (written to the policy), and
what an edit of the ERD must change in the policy in the same turn (`policy_follow_up`).

A classification, once decided (by a name rule or by `classify`), is kept explicit: `classify`
writes the column's own `classified_columns` entry (that table's column only), and a rename writes
one for the new name instead of leaving the class to be derived again from a name that may match
nothing. Grants follow a renamed or moved table the same way, so the policy never names a table
that no longer exists.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.located import Located
from accelerator.edit.operation import ColumnEdit, CommandForm, EditBase, TableEdit, TableOrColumnEdit
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.edit.readers import name_parts, table_and_column, target_names, word
from accelerator.edit.table_edits import DropColumn, MoveTable, RenameColumn, RenameTable
from accelerator.edit.values import ClassificationName
from accelerator.erd.text_edits import TextEdit, apply_text_edits
from accelerator.errors import UnknownObjectError, UnsupportedEditError
from accelerator.model.elements import Catalog, Column, Project, Schema, Table
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
        CommandForm(
            "set_tag",
            "tag",
            "tag T[.c] KEY=VALUE",
            "tag sales.orders tier=gold",
            "set a tag (the policy's `objects`)",
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
        name = f"{self.table}.{self.column}" if self.column else self.table  # resolved: schema.table[.column]
        return policy.set_object_tag(name, self.key, self.value)


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


Triple = tuple[str, str, str]  # a table's catalog, schema and name, as the model has them
ColumnKey = tuple[Triple, str]


@dataclass
class _Change:
    """What an ERD edit does to the names the policy may hold."""

    tables: dict[Triple, Triple] = field(default_factory=dict)  # renamed or moved tables
    columns: dict[ColumnKey, ColumnKey | None] = field(default_factory=dict)  # renamed; None: dropped
    kept: dict[str, str] = field(default_factory=dict)  # entry to write (schema.table.column) -> class
    before: list[Triple] = field(default_factory=list)  # every table of the model before the edit

    def __bool__(self) -> bool:
        return bool(self.tables or self.columns or self.kept)

    def after(self) -> list[Triple]:
        return [self.tables.get(table, table) for table in self.before]


def _change(governed: Project, op: EditBase) -> _Change:
    change = _Change(before=[(c.name, s.name, t.name) for c, s, t in governed.iter_tables()])
    found = _table_ref(governed, op.table) if isinstance(op, TableEdit | ColumnEdit) else None
    if found is None:
        return change
    catalog, schema, table = found
    old: Triple = (catalog.name, schema.name, table.name)
    if isinstance(op, RenameTable | MoveTable):
        if isinstance(op, RenameTable):
            new: Triple = (catalog.name, schema.name, op.new_name)
        else:
            destination = catalog.schema(op.schema_name)
            new = (catalog.name, destination.name if destination else op.schema_name, table.name)
        change.tables[old] = new
        change.columns.update({(old, c.name): (new, c.name) for c in table.columns})
    elif isinstance(op, RenameColumn):
        change.columns[(old, op.column)] = (old, op.new_name)
        column = table.column(op.column)
        if column is not None and column.classification:
            change.kept[f"{op.table}.{op.new_name}"] = column.classification
    elif isinstance(op, DropColumn):
        change.columns[(old, op.column)] = None
    return change


def policy_follow_up(
    governed: Project, op: EditBase, policy_file: str | None, sources: dict[str, str]
) -> PolicyFollowUp | None:
    """The policy change of `op` (an ERD edit resolved against `governed`, the governed model before
    it), so that the policy governs the edited model as it governed the old one:

    - a renamed or moved table: every grant and `classified_columns` entry naming it exactly is
      rewritten in the form it was written (qualified or not, quoted or not); a grant pattern
      (`sales.*`) is left alone, with a note when it no longer matches any table or now also
      covers the moved table;
    - a renamed column keeps its class as an explicit `classified_columns` entry (its existing entry
      is renamed); a dropped column's entry goes.

    None when the policy needs no change. Without a policy file, one is created
    (`starting_policy`) only when a class has to be kept."""
    change = _change(governed, op)
    if not change:
        return None
    created = policy_file is None or policy_file not in sources
    if created:
        if not change.kept:
            return None  # the built-in policy has no entries to follow
        file, text = starting_policy(policy_file or CONVENTIONAL_POLICY_FILE)
    else:
        assert policy_file is not None
        file, text = policy_file, sources[policy_file]
        if not change.kept and not _may_be_named(change, text):
            return None  # no entry can name what the edit renames or drops: skip composing the YAML
    document = PolicyDocument(file, text)
    edits: list[TextEdit] = []
    notes: list[str] = []
    _follow_grants(document, change, edits, notes)
    _follow_classified_columns(document, change, edits, notes)
    _follow_objects(document, change, edits, notes)
    if not edits:  # a pattern that matches nothing is also a grants.target finding, which says so
        return None
    if created:
        notes.insert(0, f"created {file} from the built-in policy")
    return PolicyFollowUp(file, apply_text_edits({file: text}, edits)[file], notes, created)


def _may_be_named(change: _Change, text: str) -> bool:
    """Whether the policy's text may name a table or column the edit renames or drops: an entry that
    names one holds its name, unless YAML escapes a character of it (then assume it may)."""
    names = [table[2] for table in change.tables] + [column for (_, column) in change.columns]
    lowered = text.lower()
    return any(
        not name.isascii() or any(c in name for c in "'\"\\") or name.lower() in lowered for name in names
    )


def _follow_grants(
    document: PolicyDocument, change: _Change, edits: list[TextEdit], notes: list[str]
) -> None:
    """Grants on a renamed or moved table name it anew; a pattern that matches no table any more is noted."""
    file = document.file
    for grant in document.named_grants():
        if grant.kind != "table":
            continue
        written = str(grant.name.value)
        parts = written.split(".")
        if "*" in written:
            if any(_names(parts, t) for t in change.before) and not any(
                _names(parts, t) for t in change.after()
            ):
                notes.append(
                    f"the grant to {grant.principal} on tables {written} ({file}: {grant.where}) "
                    "no longer matches any table; it is left as written"
                )
            gained = [
                new for old, new in change.tables.items() if _names(parts, new) and not _names(parts, old)
            ]
            notes += [
                f"the grant to {grant.principal} on tables {written} ({file}: {grant.where}) "
                f"now also applies to {'.'.join(table[1:])}"
                for table in gained
            ]
            continue
        for old, new in change.tables.items():
            if _names(parts, old):
                renamed = _renamed(parts, old, new)
                edits += document.rename_scalars([(grant.name, renamed)])
                notes.append(
                    f"the grant to {grant.principal} on table {written} now names {renamed} ({file}: {grant.where})"
                )
                break


def _follow_objects(
    document: PolicyDocument, change: _Change, edits: list[TextEdit], notes: list[str]
) -> None:
    """`objects` entries (owner, tags) follow a renamed or moved table and a renamed column; a dropped
    column's entry is noted (it would name nothing)."""
    renamed: list[tuple[Any, str]] = []
    for node in document.object_keys():
        written = str(node.value)
        parts = written.split(".")
        new_name = next(
            (
                _renamed(parts, old, new)
                for old, new in change.tables.items()
                if len(parts) >= 2 and _names(parts, old)
            ),
            None,
        )
        if new_name is None and len(parts) >= 3:
            for (table, column), new in change.columns.items():
                if _names(parts, (*table, column)):
                    if new is None:
                        notes.append(
                            f"the objects entry {written} names a dropped column: remove it ({document.file})"
                        )
                    else:
                        new_name = _renamed(parts, (*table, column), (*new[0], new[1]))
                    break
        if new_name is not None and new_name != written:
            renamed.append((node, new_name))
            notes.append(f"the objects entry {written} now names {new_name} ({document.file})")
    edits += document.rename_scalars(renamed)


def _follow_classified_columns(
    document: PolicyDocument, change: _Change, edits: list[TextEdit], notes: list[str]
) -> None:
    """`classified_columns` entries follow renamed columns and tables; a dropped column's goes; a
    class kept through a rename is written for the new name."""
    file = document.file
    renamed: dict[str, str] = {}  # the entry as written -> its new name
    gone: list[str] = []
    for key in document.classified_columns():
        parts = key.split(".")
        for (table, column), new in change.columns.items():
            if _names(parts, (*table, column)):
                if new is None:
                    gone.append(key)
                else:
                    renamed[key] = _renamed(parts, (*table, column), (*new[0], new[1]))
                break
    if renamed:
        edits += document.rename_classified_columns(renamed)
        notes += [f"keep the classification of {old} on {new} ({file})" for old, new in renamed.items()]
    written_for = {".".join(new.lower().split(".")[-3:]) for new in renamed.values()}
    for key, name in change.kept.items():
        if key.lower() not in written_for:
            edits += document.classify_column(name, key)
            notes.append(f"keep {key} classified as {name} ({file}: classified_columns)")
    if gone:
        edits += document.unclassify_columns(gone)
        notes += [
            f"remove the classification entry of the dropped column {column} ({file})" for column in gone
        ]


def _names(parts: list[str], qualified: tuple[str, ...]) -> bool:
    """`parts` (a name as written) names `qualified` by its last names; `*` as the last part
    matches every table of a schema (as the policy's grants read it)."""
    names = [n.lower() for n in qualified]
    if not 0 < len(parts) <= len(names):
        return False
    tail = names[len(names) - len(parts) :]
    return all(
        p.lower() == n or (p == "*" and i == len(parts) - 1)
        for i, (p, n) in enumerate(zip(parts, tail, strict=True))
    )


def _renamed(parts: list[str], old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """The name written as `parts` (naming `old`), naming `new` in the same form: as many parts, and
    each part that does not change kept as written."""
    tail = len(old) - len(parts)
    return ".".join(
        written if before == after else after
        for written, before, after in zip(parts, old[tail:], new[tail:], strict=True)
    )


def _table_ref(project: Project, qualified: str) -> tuple[Catalog, Schema, Table] | None:
    parts = qualified.lower().split(".")
    for catalog, schema, table in project.iter_tables():
        names = [catalog.name.lower(), schema.name.lower(), table.name.lower()]
        if names[-len(parts) :] == parts:
            return catalog, schema, table
    return None
