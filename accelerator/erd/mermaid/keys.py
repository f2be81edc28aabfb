"""The entities of a Mermaid `erDiagram` -> schemas and tables, and their foreign keys.

`ModelBuilder` merges the declarations `accelerator.erd.mermaid.reader` reads into schemas and tables. Foreign
keys come from `FK` marks and relationships:

Mermaid marks an attribute `FK` without saying what it references; the relationships of its entity
and the names say it. For an FK attribute of entity A, among the entities related to A:

1. the one whose primary key has a column of the same name (`orders.customer_id` ->
   `customers.customer_id`); a composite key counts when A marks every one of its columns FK, and
   those attributes then form one composite foreign key;
2. else the one with a single-column primary key whose name, singular or plural, followed by that
   key is the attribute name (`customer_id` -> `customers.id`, `carRegistrationNumber` ->
   `CAR.registrationNumber`);
3. else, when exactly one entity related to A is not referenced by A's other FK attributes and its
   primary key is one column, that key (`orders.buyer FK` with only `customers ||--o{ orders` ->
   `customers.customer_id`), with an `erd.mermaid.inferred_fk` info saying so.

Anything else (no relationship, no candidate, several candidates, part of a composite key) is an
`erd.mermaid.unresolved_fk` finding located at the attribute: never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accelerator.erd.parsed import ParsedErd
from accelerator.erd.types import MappedType, map_type
from accelerator.errors import ErdSyntaxError
from accelerator.model import (
    Column,
    Finding,
    ForeignKey,
    Identity,
    PrimaryKey,
    Schema,
    Span,
    Table,
    UniqueKey,
)

UNRESOLVED_FK = "erd.mermaid.unresolved_fk"
INFERRED_FK = "erd.mermaid.inferred_fk"
_GENERIC = re.compile(r"~([^~]*)~")


@dataclass(slots=True)  # 100,000s of these: no __dict__
class Attribute:
    type: str
    type_at: tuple[int, int, int]  # line, column, end column: a Span is made only when one is needed
    name: str
    name_span: Span
    keys: frozenset[str]  # shared between attributes: never mutated
    comment: str | None
    span: Span

    @property
    def type_span(self) -> Span:
        line, column, end_column = self.type_at
        return Span(self.span.file, line, column, line, end_column)


@dataclass
class Entity:
    schema: str
    name: str
    schema_span: Span | None
    span: Span  # the declaration (or the first mention, for an entity never declared)
    name_span: Span
    attributes: list[Attribute] = field(default_factory=list)
    comment: str | None = None
    has_block: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def primary_key(self) -> list[str]:
        return [attribute.name for attribute in self.attributes if "PK" in attribute.keys]

    def describe_key(self) -> str:
        key = self.primary_key
        return f"{self.qualified} (key {', '.join(key)})" if key else f"{self.qualified} (no primary key)"


@dataclass
class Relationship:
    left: Entity
    right: Entity
    label: str


@dataclass(frozen=True)
class Name:
    """An entity name as written (`orders`, `sales.orders`, `"sales.orders"`), with its spans."""

    schema: str | None  # written in the name
    schema_span: Span | None
    table: str
    table_span: Span
    span: Span
    scope: str | None  # the `%% schema:` in effect where the name is written
    scope_span: Span | None


@dataclass
class Declaration:
    name: Name
    attributes: list[Attribute]
    has_block: bool
    span: Span
    comment: str | None


@dataclass
class Diagram:
    declarations: list[Declaration] = field(default_factory=list)
    relationships: list[tuple[Name, Name, str]] = field(default_factory=list)


class ModelBuilder:
    """Merges the diagrams of one file into entities, then into schemas and tables."""

    def __init__(self, file: str, source: str, default_schema: str) -> None:
        self.file = file
        self.source = source
        self.default_schema = default_schema
        self.entities: dict[tuple[str, str], Entity] = {}
        self.mentions: list[tuple[Name, Name, str]] = []
        self.declared: dict[str, list[Entity]] = {}  # table name (lower) -> its declarations
        self.mapped_types: dict[str, MappedType] = {}  # map_type is pure: map each spelling once
        self.written_types: dict[str, MappedType] = {}  # the same, before `~`/`-` are read

    def add(self, diagram: Diagram) -> None:
        for declaration in diagram.declarations:
            name = declaration.name
            schema = name.schema or name.scope or self.default_schema
            key = (schema.lower(), name.table.lower())
            entity = self.entities.get(key)
            if entity is None:
                entity = self.entities[key] = Entity(
                    schema=schema,
                    name=name.table,
                    schema_span=name.schema_span or name.scope_span,
                    span=declaration.span,
                    name_span=name.table_span,
                )
                self.declared.setdefault(key[1], []).append(entity)
            if declaration.has_block and not entity.has_block:  # the block is the declaration to point at
                entity.span, entity.name_span, entity.has_block = declaration.span, name.table_span, True
            entity.attributes.extend(declaration.attributes)
            entity.comment = entity.comment or declaration.comment
        self.mentions.extend(diagram.relationships)

    def build(self) -> ParsedErd:
        # Relationships are resolved after every declaration, so that `customers` at the end of a
        # diagram finds the `customers { ... }` declared under an earlier `%% schema:` line.
        relationships = [
            Relationship(self._mentioned(left), self._mentioned(right), label)
            for left, right, label in self.mentions
        ]
        partners = relationship_partners(relationships)
        findings: list[Finding] = []
        schemas: dict[str, Schema] = {}
        for entity in self.entities.values():
            table = self._table(entity)
            table.foreign_keys = resolve_foreign_keys(entity, partners.get(id(entity), {}), findings)
            schema = schemas.get(entity.schema.lower())
            if schema is None:
                schema = schemas[entity.schema.lower()] = Schema(
                    name=entity.schema, span=entity.schema_span, name_span=entity.schema_span
                )
            schema.tables.append(table)  # one without attributes is left out by `fit_to_databricks`, told
        return ParsedErd(
            file=self.file, source=self.source, schemas=list(schemas.values()), findings=findings
        )

    def _mentioned(self, name: Name) -> Entity:
        """The entity a relationship names: declared anywhere in the file, else created here."""
        table = name.table.lower()
        if name.schema is not None:
            schema = name.schema
        else:
            declared = self.declared.get(table, [])
            in_scope = (name.scope or self.default_schema).lower()
            if len(declared) == 1:
                return declared[0]
            scoped = [entity for entity in declared if entity.schema.lower() == in_scope]
            if len(scoped) == 1:
                return scoped[0]
            if declared:
                choices = " or ".join(f"`{entity.qualified}`" for entity in declared)
                raise ErdSyntaxError(
                    f"entity {name.table} is declared in several schemas; this relationship could mean {choices}",
                    file=self.file,
                    line=name.span.line,
                    column=name.span.column,
                    hint=f"write the entity with its schema, e.g. `{declared[0].qualified}`",
                    source=self.source,
                )
            schema = name.scope or self.default_schema
        key = (schema.lower(), table)
        if key not in self.entities:
            self.entities[key] = Entity(
                schema=schema,
                name=name.table,
                schema_span=name.schema_span or name.scope_span,
                span=name.span,
                name_span=name.table_span,
            )
        return self.entities[key]

    def _table(self, entity: Entity) -> Table:
        primary = [attribute for attribute in entity.attributes if "PK" in attribute.keys]
        return Table(
            name=entity.name,
            columns=[self._column(attribute) for attribute in entity.attributes],
            primary_key=PrimaryKey(columns=[a.name for a in primary], span=primary[0].span)
            if primary
            else None,
            unique_keys=[
                UniqueKey(columns=[a.name], span=a.span) for a in entity.attributes if "UK" in a.keys
            ],
            comment=entity.comment,
            span=entity.span,
            name_span=entity.name_span,
        )

    def _column(self, attribute: Attribute) -> Column:
        mapped = self.written_types.get(attribute.type)
        if mapped is None:
            # Mermaid types cannot hold spaces: `double-precision` means `double precision`.
            readable = _GENERIC.sub(r"<\1>", attribute.type.rstrip("?")).replace("-", " ")
            mapped = self.mapped_types.get(readable)
            if mapped is None:
                mapped = map_type(readable, family="generic", span=attribute.type_span, source=self.source)
                self.mapped_types[readable] = mapped
            self.written_types[attribute.type] = mapped
        return Column(
            name=attribute.name,
            type=mapped.type,
            source_type=attribute.type,
            nullable="PK" not in attribute.keys,
            identity=Identity(span=attribute.type_span) if mapped.identity else None,
            comment=attribute.comment,
            allowed_values=mapped.allowed_values,
            span=attribute.span,
            name_span=attribute.name_span,
        )


Partners = dict[int, tuple[Entity, str]]  # id(entity) -> (related entity, first relationship label)


def resolve_foreign_keys(entity: Entity, partners: Partners, findings: list[Finding]) -> list[ForeignKey]:
    """The foreign keys of `entity`'s FK attributes (`partners`: see `relationship_partners`);
    what cannot be resolved goes to `findings`."""
    marked = [attribute for attribute in entity.attributes if "FK" in attribute.keys]
    if not marked:
        return []
    marked_names = {attribute.name.lower() for attribute in marked}
    targets: dict[int, tuple[Entity, list[tuple[Attribute, str]]]] = {}
    resolved_by: dict[int, tuple[Entity, str] | _Deferred | None] = {}
    for attribute in marked:  # by name first: what they reference is out of the third rule's choice
        resolved_by[id(attribute)] = _resolve(attribute, entity, partners, marked_names, findings, None)
    taken = {id(found[0]) for found in resolved_by.values() if isinstance(found, tuple)}
    for attribute in marked:
        resolved = resolved_by[id(attribute)]
        if resolved is _DEFERRED:
            resolved = _resolve(attribute, entity, partners, marked_names, findings, taken)
        if isinstance(resolved, tuple):
            target, column = resolved
            targets.setdefault(id(target), (target, []))[1].append((attribute, column))
    foreign_keys: list[ForeignKey] = []
    for target, pairs in targets.values():
        label = partners[id(target)][1] or None
        if len(target.primary_key) > 1:  # one composite key, its columns in the target's key order
            order = [name.lower() for name in target.primary_key]
            written_first = pairs[0][0].span
            pairs.sort(key=lambda pair: order.index(pair[1].lower()))
            foreign_keys.append(_foreign_key(target, pairs, label, written_first))
        else:
            foreign_keys.extend(_foreign_key(target, [pair], label, pair[0].span) for pair in pairs)
    return foreign_keys


def _foreign_key(
    target: Entity, pairs: list[tuple[Attribute, str]], label: str | None, span: Span
) -> ForeignKey:
    return ForeignKey(
        columns=[attribute.name for attribute, _ in pairs],
        ref_schema=target.schema,
        ref_table=target.name,
        ref_columns=[column for _, column in pairs],
        label=label,
        span=span,
    )


def relationship_partners(relationships: list[Relationship]) -> dict[int, Partners]:
    """For each entity (by id), the entities related to it (itself, for a self-relationship)."""
    partners: dict[int, Partners] = {}
    for relationship in relationships:
        for this, other in ((relationship.left, relationship.right), (relationship.right, relationship.left)):
            partners.setdefault(id(this), {}).setdefault(id(other), (other, relationship.label))
    return partners


class _Deferred:
    """`_resolve` by name only: no name rule applies; the third rule is tried once all are known."""


_DEFERRED = _Deferred()


def _resolve(
    attribute: Attribute,
    entity: Entity,
    partners: Partners,
    marked_names: set[str],
    findings: list[Finding],
    taken: set[int] | None,
) -> tuple[Entity, str] | _Deferred | None:
    """What `attribute` references; with `taken` None, `_DEFERRED` where only the third rule
    could apply (`taken`: the entities the other FK attributes reference by name)."""
    name = attribute.name.lower()
    where = f"{entity.qualified}.{attribute.name}"
    if not partners:
        _unresolved(
            findings,
            attribute,
            where,
            f"{where} is marked FK but {entity.name} takes part in no relationship, so what it references "
            f"is unknown; add a relationship such as `{entity.name} }}o--|| OTHER : label` to the entity "
            f"whose key it holds, or remove the FK mark",
        )
        return None
    same_name: list[tuple[Entity, str]] = []
    partial: list[Entity] = []
    for other, _ in partners.values():
        key = [column.lower() for column in other.primary_key]
        if name not in key or (other is entity and name in key):
            continue
        if set(key) <= marked_names:
            same_name.append((other, other.primary_key[key.index(name)]))
        else:
            partial.append(other)
    if len(same_name) == 1:
        return same_name[0]
    candidates = same_name or [
        (other, other.primary_key[0])
        for other, _ in partners.values()
        if len(other.primary_key) == 1 and _compact(name) in _key_names(other.name, other.primary_key[0])
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and not partial:
        if taken is None:
            return _DEFERRED
        only = _only_parent(entity, partners, taken)
        if only is not None:
            parent, column = only
            findings.append(
                Finding(
                    rule=INFERRED_FK,
                    severity="info",
                    message=f"{where} is taken to reference {parent.qualified}.{column}: {parent.name} is the "
                    f"only entity related to {entity.name} that its other FK attributes do not reference, "
                    f"and {column} its key",
                    span=attribute.span,
                    object=where,
                )
            )
            return only
    if candidates:
        listed = " and ".join(f"{other.qualified}.{column}" for other, column in candidates)
        _unresolved(
            findings,
            attribute,
            where,
            f"{where} could reference {listed}; keep a relationship to only one of them, or rename "
            f"{attribute.name} after the key it references",
        )
        return None
    related = ", ".join(other.describe_key() for other, _ in partners.values())
    if partial:
        other = partial[0]
        missing = [column for column in other.primary_key if column.lower() not in marked_names]
        advice = (
            f"{attribute.name} is part of the composite key of {other.qualified}; mark "
            f"{', '.join(missing)} FK in {entity.name} too, so that together they reference it"
        )
    else:
        advice = (
            f"rename {attribute.name} after the key it references (e.g. a primary key column of the same "
            f"name, or `<entity>_id` for a key named `id`), or relate {entity.name} to the entity it references"
        )
    _unresolved(findings, attribute, where, f"cannot tell what {where} references among {related}: {advice}")
    return None


def _only_parent(entity: Entity, partners: Partners, taken: set[int]) -> tuple[Entity, str] | None:
    """The single-column key of the one entity related to `entity` and not `taken`, when there is
    exactly one."""
    others = [other for other, _ in partners.values() if other is not entity and id(other) not in taken]
    if len(others) != 1 or len(others[0].primary_key) != 1:
        return None
    return others[0], others[0].primary_key[0]


def _unresolved(findings: list[Finding], attribute: Attribute, where: str, message: str) -> None:
    findings.append(
        Finding(rule=UNRESOLVED_FK, severity="error", message=message, span=attribute.span, object=where)
    )
    return None


def _compact(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name.lower())


def _key_names(entity_name: str, key: str) -> set[str]:
    """`<singular or plural><key>` for an entity, compacted: (customers, id) -> customerid, ..."""
    return {_compact(form[: -len("_id")]) + _compact(key) for form in _id_names(entity_name)}


def _id_names(entity_name: str) -> set[str]:
    """`<singular or plural>_id` for an entity name: customers -> customer_id, customers_id."""
    name = re.sub(r"[\s-]+", "_", entity_name.lower())  # `LINE-ITEM`, `Customer Account` -> snake case
    forms = {name, name + "s", name + "es"}
    if name.endswith("ies"):
        forms.add(name[:-3] + "y")
    if name.endswith("es"):
        forms.add(name[:-2])
    if name.endswith("s"):
        forms.add(name[:-1])
    if name.endswith("y"):
        forms.add(name[:-1] + "ies")
    return {form + "_id" for form in forms}
