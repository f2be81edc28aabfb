"""Foreign keys of a Mermaid `erDiagram`: from `FK` marks and relationships to `ForeignKey`s.

Mermaid marks an attribute `FK` without saying what it references; the relationships of its entity
and the names say it. For an FK attribute of entity A, among the entities related to A:

1. the one whose primary key has a column of the same name (`orders.customer_id` ->
   `customers.customer_id`); a composite key counts when A marks every one of its columns FK, and
   those attributes then form one composite foreign key;
2. else the one whose primary key is the single column `id` and whose name, singular or plural,
   followed by `_id` is the attribute name (`customer_id` -> `customers.id`).

Anything else (no relationship, no candidate, several candidates, part of a composite key) is an
`erd.mermaid.unresolved_fk` finding located at the attribute: never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accelerator.model import Finding, ForeignKey, Span

UNRESOLVED_FK = "erd.mermaid.unresolved_fk"


@dataclass
class Attribute:
    type: str
    type_span: Span
    name: str
    name_span: Span
    keys: set[str]
    comment: str | None
    span: Span


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


Partners = dict[int, tuple[Entity, str]]  # id(entity) -> (related entity, first relationship label)


def resolve_foreign_keys(entity: Entity, partners: Partners, findings: list[Finding]) -> list[ForeignKey]:
    """The foreign keys of `entity`'s FK attributes (`partners`: see `relationship_partners`);
    what cannot be resolved goes to `findings`."""
    marked = [attribute for attribute in entity.attributes if "FK" in attribute.keys]
    if not marked:
        return []
    marked_names = {attribute.name.lower() for attribute in marked}
    targets: dict[int, tuple[Entity, list[tuple[Attribute, str]]]] = {}
    for attribute in marked:
        resolved = _resolve(attribute, entity, partners, marked_names, findings)
        if resolved is not None:
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


def _resolve(
    attribute: Attribute,
    entity: Entity,
    partners: Partners,
    marked_names: set[str],
    findings: list[Finding],
) -> tuple[Entity, str] | None:
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
        (other, "id")
        for other, _ in partners.values()
        if [column.lower() for column in other.primary_key] == ["id"] and name in _id_names(other.name)
    ]
    if len(candidates) == 1:
        return candidates[0]
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


def _unresolved(findings: list[Finding], attribute: Attribute, where: str, message: str) -> None:
    findings.append(
        Finding(rule=UNRESOLVED_FK, severity="error", message=message, span=attribute.span, object=where)
    )
    return None


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
