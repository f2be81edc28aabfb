"""The typed changes between two models: one frozen class per kind of change.

Each change names the object it applies to (`path`, logical names), carries what the SQL and the
replay need, and has a stable `code` whose risk and explanation are in `codes.py` / `CHANGES.md`.
Names: a drop, and a constraint drop (`DropForeignKey`, `DropCheck`), names its object as it was;
every other change names it as it is after the renames. `phase` orders the changes for applying
them (SQL and `apply_changes`): constraints that go first, then drops, renames, additions,
alterations, constraints, governance, and ownership last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from accelerator.model.elements import (
    Catalog,
    Check,
    Column,
    Deployment,
    Environment,
    ForeignKey,
    Mask,
    PrimaryKey,
    Schema,
    Table,
    UniqueKey,
)
from accelerator.plan.codes import CODES, Risk
from accelerator.plan.paths import ObjectPath
from accelerator.plan.type_widening import TypeChangeKind, type_change_kind


@dataclass(frozen=True, kw_only=True)
class Change:
    path: ObjectPath
    PHASE: ClassVar[int]
    CODE: ClassVar[str] = ""

    @property
    def code(self) -> str:
        return self.CODE

    @property
    def risk(self) -> Risk:
        return CODES[self.code].risk

    @property
    def title(self) -> str:
        return CODES[self.code].title

    @property
    def phase(self) -> int:
        return self.PHASE

    def detail(self) -> tuple[str, ...]:
        """Orders changes of one kind on one object (a tag key, a principal)."""
        return ()

    def describe(self) -> str:
        return f"{self.title}: {self.path}"


# --- catalogs, schemas, tables: added, dropped, renamed -------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddCatalog(Change):
    """A catalog, created empty: its schemas, tags, grants and owner are changes of their own."""

    catalog: Catalog
    PHASE = 5
    CODE = "AD101"


@dataclass(frozen=True, kw_only=True)
class AddSchema(Change):
    schema: Schema
    PHASE = 5
    CODE = "AD102"


@dataclass(frozen=True, kw_only=True)
class AddTable(Change):
    """A table with its columns (their types, NOT NULL, defaults, identity, comments), primary and
    unique keys, comment, clustering and properties; its governance follows as changes of its own."""

    table: Table
    PHASE = 5
    CODE = "AD103"


@dataclass(frozen=True, kw_only=True)
class DropCatalog(Change):
    PHASE = 1
    CODE = "DS100"


@dataclass(frozen=True, kw_only=True)
class DropSchema(Change):
    PHASE = 1
    CODE = "DS101"


@dataclass(frozen=True, kw_only=True)
class DropTable(Change):
    PHASE = 1
    CODE = "DS102"


@dataclass(frozen=True, kw_only=True)
class RenameTable(Change):
    """`path` is the new name; `old` the table's name before."""

    old: str
    PHASE = 2
    CODE = "BC101"

    def describe(self) -> str:
        return f"{self.title}: {self.path.with_table(self.old)} -> {self.path.table}"


# --- columns ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddColumn(Change):
    """A column added at the end of its table (`ReorderColumns` moves it when it is not the last)."""

    column: Column

    PHASE = 5

    @property
    def code(self) -> str:
        return "MF103" if not self.column.nullable and self.column.default is None else "AD104"


@dataclass(frozen=True, kw_only=True)
class DropColumn(Change):
    """`column` is the column as it was (its CHECK constraint must go before it)."""

    column: Column
    PHASE = 3
    CODE = "DS103"


@dataclass(frozen=True, kw_only=True)
class RenameColumn(Change):
    """`path` names the new column; `old` its name before; `allowed_values` its CHECK constraint,
    which Delta requires dropped while a column it references is renamed."""

    old: str
    allowed_values: tuple[str, ...] | None = None
    column_mapping: bool = False  # the table already declares delta.columnMapping.mode = 'name'
    PHASE = 4
    CODE = "BC102"

    def describe(self) -> str:
        return f"{self.title}: {self.path.with_column(self.old)} -> {self.path.column}"


@dataclass(frozen=True)
class ForeignKeyOf:
    """A foreign key and the table that declares it."""

    table: ObjectPath
    foreign_key: ForeignKey


@dataclass(frozen=True)
class HeldConstraints:
    """The constraints of the new model that name a column (or the key a column is part of), which
    Delta requires gone while the column is dropped, and which the migration then puts back:
    `DROP PRIMARY KEY ... CASCADE` also drops the foreign keys that reference the key."""

    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKeyOf, ...] = ()  # the table's own, and others' on its primary key
    checks: tuple[tuple[str, Check], ...] = ()  # (constraint name, CHECK) of the table

    def __bool__(self) -> bool:
        return bool(self.primary_key or self.foreign_keys or self.checks)


@dataclass(frozen=True, kw_only=True)
class ChangeColumnType(Change):
    """`column` is the column as it is after the change (a rewrite re-declares its settings);
    `held`, the constraints a rewrite (which drops the column) must lift and put back."""

    old: str
    new: str
    column: Column
    after: str | None = None  # the column before it in the table, for a rewrite to keep its place
    held: HeldConstraints = field(default_factory=HeldConstraints)
    PHASE = 6

    @property
    def kind(self) -> TypeChangeKind:
        return type_change_kind(self.old, self.new)

    @property
    def code(self) -> str:
        return {"same": "TY001", "widening": "TY001", "narrowing": "TY101"}.get(self.kind, "TY102")

    def describe(self) -> str:
        return f"{self.title}: {self.path} {self.old} -> {self.new}"


@dataclass(frozen=True, kw_only=True)
class SetNullability(Change):
    nullable: bool

    @property
    def phase(self) -> int:
        return 6 if self.nullable else 7  # NOT NULL once defaults and types are in place

    @property
    def code(self) -> str:
        return "NL001" if self.nullable else "MF104"


@dataclass(frozen=True, kw_only=True)
class SetDefault(Change):
    old: str | None
    new: str | None
    PHASE = 6
    CODE = "DF001"


@dataclass(frozen=True, kw_only=True)
class SetIdentity(Change):
    """An identity cannot be added to, changed on or removed from an existing Delta column."""

    column: Column
    PHASE = 6
    CODE = "ID101"


@dataclass(frozen=True, kw_only=True)
class ReorderColumns(Change):
    """`order` is the table's column order; `before` the order the earlier changes leave."""

    order: tuple[str, ...]
    before: tuple[str, ...]
    PHASE = 6
    CODE = "PO001"


# --- settings of any object ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetComment(Change):
    old: str | None
    new: str | None
    PHASE = 8
    CODE = "CM001"


@dataclass(frozen=True, kw_only=True)
class SetTag(Change):
    key: str
    old: str | None
    new: str
    PHASE = 8
    CODE = "TG001"

    def detail(self) -> tuple[str, ...]:
        return (self.key,)

    def describe(self) -> str:
        return f"{self.title}: {self.path} {self.key}={self.new}"


@dataclass(frozen=True, kw_only=True)
class UnsetTag(Change):
    key: str
    old: str
    classified: bool = False  # the column was classified
    PHASE = 8

    @property
    def code(self) -> str:
        return "GV101" if self.classified else "TG002"

    def detail(self) -> tuple[str, ...]:
        return (self.key,)

    def describe(self) -> str:
        return f"{self.title}: {self.path} {self.key}={self.old}"


@dataclass(frozen=True, kw_only=True)
class SetClassification(Change):
    """Model only: the policy turns a classification into tags and a mask, which are changes too."""

    old: str | None
    new: str | None
    PHASE = 8

    @property
    def code(self) -> str:
        return "GV102" if self.new is None else "CL001"


@dataclass(frozen=True, kw_only=True)
class SetMask(Change):
    """`function_schema`: the schema of the mask function; `column_type` its argument's type."""

    mask: Mask
    column_type: str
    function_schema: str
    PHASE = 8
    CODE = "MK001"


@dataclass(frozen=True, kw_only=True)
class DropMask(Change):
    old: Mask
    classified: bool = False
    PHASE = 8

    @property
    def code(self) -> str:
        return "GV103" if self.classified else "MK002"


@dataclass(frozen=True, kw_only=True)
class SetOwner(Change):
    old: str | None
    new: str | None
    PHASE = 9

    @property
    def code(self) -> str:
        return "OW002" if self.new is None else "OW001"


@dataclass(frozen=True, kw_only=True)
class GrantPrivileges(Change):
    """`privileges` granted to `principal` in `environments` (empty: every environment)."""

    principal: str
    privileges: tuple[str, ...]
    environments: tuple[str, ...] = ()
    PHASE = 8
    CODE = "GR001"

    def detail(self) -> tuple[str, ...]:
        return (self.principal, *self.environments)

    def applies_in(self, environment: str) -> bool:
        return not self.environments or environment in self.environments

    def describe(self) -> str:
        where = f" in {', '.join(self.environments)}" if self.environments else ""
        return f"{self.title}: {', '.join(self.privileges)} on {self.path} to {self.principal}{where}"


@dataclass(frozen=True, kw_only=True)
class RevokePrivileges(Change):
    """`privileges` no longer declared for `principal` in `environments`; `lost` holds, per
    environment, those it no longer holds at all (another declaration may still grant some)."""

    principal: str
    privileges: tuple[str, ...]
    environments: tuple[str, ...] = ()
    lost: tuple[tuple[str, tuple[str, ...]], ...] = ()
    PHASE = 8
    CODE = "GR101"

    def detail(self) -> tuple[str, ...]:
        return (self.principal, *self.environments)

    def lost_in(self, environment: str) -> tuple[str, ...]:
        return dict(self.lost).get(environment, ())

    def describe(self) -> str:
        where = f" in {', '.join(self.environments)}" if self.environments else ""
        return f"{self.title}: {', '.join(self.privileges)} on {self.path} from {self.principal}{where}"


# --- tables: constraints, clustering, properties ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DropCheck(Change):
    """The allowed values of a column (as it was) are no longer checked."""

    old: tuple[str, ...]
    PHASE = 0
    CODE = "CK002"


@dataclass(frozen=True, kw_only=True)
class SetCheck(Change):
    old: tuple[str, ...] | None
    new: tuple[str, ...]
    PHASE = 7
    CODE = "CK001"


@dataclass(frozen=True, kw_only=True)
class DropTableCheck(Change):
    """A CHECK constraint of the table (as it was) is dropped; `name` as generated SQL names it."""

    name: str
    PHASE = 0
    CODE = "CK004"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)

    def describe(self) -> str:
        return f"{self.title}: {self.name} on {self.path}"


@dataclass(frozen=True, kw_only=True)
class AddTableCheck(Change):
    check: Check
    name: str
    PHASE = 7
    CODE = "CK003"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)

    def describe(self) -> str:
        return f"{self.title}: {self.name} CHECK ({self.check.expression}) on {self.path}"


@dataclass(frozen=True, kw_only=True)
class SetPrimaryKey(Change):
    """`referencing`: the other tables' foreign keys on this key that the new model keeps as they
    were: dropping the old key drops them too (CASCADE), so the migration adds them back."""

    old: PrimaryKey | None
    new: PrimaryKey | None
    referencing: tuple[ForeignKeyOf, ...] = ()
    PHASE = 7
    CODE = "KY001"


@dataclass(frozen=True, kw_only=True)
class SetUniqueKeys(Change):
    """Model only: Unity Catalog declares no UNIQUE constraint."""

    old: tuple[UniqueKey, ...]
    new: tuple[UniqueKey, ...]
    PHASE = 7
    CODE = "KY002"


@dataclass(frozen=True, kw_only=True)
class AddForeignKey(Change):
    foreign_key: ForeignKey
    PHASE = 7
    CODE = "FK001"

    def detail(self) -> tuple[str, ...]:
        return tuple(self.foreign_key.columns)


@dataclass(frozen=True, kw_only=True)
class DropForeignKey(Change):
    foreign_key: ForeignKey
    PHASE = 0
    CODE = "FK002"

    def detail(self) -> tuple[str, ...]:
        return tuple(self.foreign_key.columns)


@dataclass(frozen=True, kw_only=True)
class SetClustering(Change):
    cluster_by: tuple[str, ...]
    auto: bool
    old_cluster_by: tuple[str, ...] = ()
    old_auto: bool = False
    PHASE = 6
    CODE = "CB001"


@dataclass(frozen=True, kw_only=True)
class SetProperty(Change):
    key: str
    old: str | None
    new: str
    PHASE = 6
    CODE = "PR001"

    def detail(self) -> tuple[str, ...]:
        return (self.key,)


@dataclass(frozen=True, kw_only=True)
class UnsetProperty(Change):
    key: str
    old: str
    PHASE = 6
    CODE = "PR002"

    def detail(self) -> tuple[str, ...]:
        return (self.key,)


# --- the project: environments and deployment (Terraform's side; no SQL) ---------------------------


@dataclass(frozen=True, kw_only=True)
class AddEnvironment(Change):
    environment: Environment
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 5
    CODE = "EN001"

    def detail(self) -> tuple[str, ...]:
        return (self.environment.name,)


@dataclass(frozen=True, kw_only=True)
class DropEnvironment(Change):
    name: str
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 1
    CODE = "EN101"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True, kw_only=True)
class SetCatalogTemplate(Change):
    name: str
    old: str
    new: str
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 5
    CODE = "TF101"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True, kw_only=True)
class SetCatalogStorage(Change):
    """Environment `name`'s managed location of its catalogs (`Environment.storage_root`)."""

    name: str
    old: str | None
    new: str | None
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 5
    CODE = "TF102"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)

    def describe(self) -> str:
        return f"{self.title}: {self.name} {self.old or 'metastore root'} -> {self.new or 'metastore root'}"


@dataclass(frozen=True, kw_only=True)
class SetCatalogIsolation(Change):
    """Environment `name`'s isolation mode of its catalogs (`Environment.isolation_mode`)."""

    name: str
    old: Literal["OPEN", "ISOLATED"] | None
    new: Literal["OPEN", "ISOLATED"] | None
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 5
    CODE = "TF103"

    def detail(self) -> tuple[str, ...]:
        return (self.name,)

    def describe(self) -> str:
        return f"{self.title}: {self.name} {self.old or 'OPEN'} -> {self.new or 'OPEN'}"


@dataclass(frozen=True, kw_only=True)
class SetDeployment(Change):
    old: Deployment
    new: Deployment
    path: ObjectPath = field(default_factory=ObjectPath)
    PHASE = 5
    CODE = "DP101"


# The order of kinds on one object, for the diff's deterministic order.
KIND_ORDER: dict[type[Change], int] = {
    kind: position
    for position, kind in enumerate(
        [
            DropEnvironment, AddEnvironment, SetCatalogTemplate, SetCatalogStorage, SetCatalogIsolation,
            SetDeployment,
            DropCatalog, AddCatalog, DropSchema, AddSchema, DropTable, RenameTable, AddTable,
            DropColumn, RenameColumn, AddColumn, ChangeColumnType, SetNullability, SetDefault, SetIdentity,
            ReorderColumns, SetPrimaryKey, SetUniqueKeys, DropForeignKey, AddForeignKey, DropCheck, SetCheck,
            DropTableCheck, AddTableCheck,
            SetClustering, SetProperty, UnsetProperty, SetComment, SetClassification, SetTag, UnsetTag,
            SetMask, DropMask, GrantPrivileges, RevokePrivileges, SetOwner,
        ]
    )
}  # fmt: skip


def change_order(change: Change) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    return change.path.sort_key(), KIND_ORDER[type(change)], change.detail()


def applying_order(changes: list[Change]) -> list[Change]:
    """The changes in the order they are applied: by phase, then as the diff lists them."""
    return sorted(changes, key=lambda change: change.phase)
