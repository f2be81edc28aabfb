"""The model's copier (`accelerator.model.copying`): what governance and the edits change is their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from accelerator.model import Column, Grant, Identity, Mask, PrimaryKey, Project, Span, Table, canonical_json
from accelerator.model.copying import copied, copy_project, deep_copied, moved

from .conftest import retail_project


def _full_table() -> Table:
    """A table with a value in every field, spans included."""

    def at(line: int) -> Span:
        return Span("erd/t.dbml", line, 3, line, 9)

    return Table(
        name="orders",
        span=at(1),
        name_span=at(1),
        columns=[
            Column(
                name="id",
                type="BIGINT",
                source_type="bigint",
                nullable=False,
                identity=Identity(always=True, start=1, increment=1, span=at(2)),
                span=at(2),
                name_span=at(2),
            ),
            Column(
                name="status",
                type="STRING",
                tags={"pii": "no"},
                classification="internal",
                mask=Mask(function="mask_status", strategy="partial", exempt_groups=["ops"], span=at(3)),
                allowed_values=["open", "closed"],
                comment="state",
                default="'open'",
                span=at(3),
            ),
        ],
        primary_key=PrimaryKey(columns=["id"], span=at(4)),
        comment="Orders",
        owner="sales",
        tags={"domain": "sales"},
        properties={"delta.appendOnly": "true"},
        cluster_by=["id"],
        cluster_by_auto=True,
        grants=[Grant(principal="analysts", privileges=["SELECT"], environments=["prod"], span=at(5))],
    )


def _mutable_parts(value: Any) -> Iterator[int]:
    """The ids of every model, list and dict inside `value` (what an edit could change in place)."""
    if isinstance(value, BaseModel):
        yield id(value)
        for item in value.__dict__.values():
            yield from _mutable_parts(item)
    elif isinstance(value, list | dict):
        yield id(value)
        for item in value.values() if isinstance(value, dict) else value:
            yield from _mutable_parts(item)


def test_a_deep_copy_is_equal_and_shares_nothing_mutable() -> None:
    table = _full_table()
    copy = deep_copied(table)
    assert copy == table and copy.model_fields_set == table.model_fields_set
    assert not set(_mutable_parts(copy)) & set(_mutable_parts(table))
    assert [c.span for c in copy.columns] == [c.span for c in table.columns]


def test_a_deep_copy_moved_by_lines_moves_every_span_and_nothing_else() -> None:
    table = _full_table()
    copy = deep_copied(table, 3)
    assert copy.model_dump() == table.model_dump()  # spans are not in the dump
    assert table.span is not None and copy.span == moved(table.span, 3)
    assert copy.columns[0].identity is not None and table.columns[0].identity is not None
    assert copy.columns[0].identity.span == moved(table.columns[0].identity.span, 3)  # type: ignore[arg-type]
    assert copy.grants[0].span == moved(table.grants[0].span, 3)  # type: ignore[arg-type]


def test_a_deep_copy_without_a_list_leaves_it_empty() -> None:
    table = _full_table()
    shell = deep_copied(table, without="columns")
    assert shell.columns == [] and len(table.columns) == 2
    assert shell.model_copy(update={"columns": table.columns}) == table


def test_a_field_the_copier_cannot_copy_is_an_error_at_once() -> None:
    class Nested(BaseModel):
        groups: dict[str, list[str]]

    with pytest.raises(TypeError, match=r"cannot copy Nested\.groups"):
        deep_copied(Nested(groups={"a": ["b"]}))


def test_a_shallow_copy_replaces_the_fields_given() -> None:
    column = _full_table().columns[1]
    renamed = copied(column, name="state")
    assert renamed.name == "state" and column.name == "status"
    assert renamed.tags is column.tags  # shared: governance replaces, never changes in place
    assert "name" in renamed.model_fields_set


def test_changing_the_containers_of_a_project_copy_leaves_the_project_as_it_was() -> None:
    project: Project = retail_project()
    before = canonical_json(project)
    copy = copy_project(project)
    _, schema, table = copy.iter_tables()[0]
    table.columns.append(Column(name="phone", type="STRING"))
    table.columns[0] = copied(table.columns[0], name="customer_id")
    table.tags["pii"] = "yes"
    table.grants.append(Grant(principal="x", privileges=["SELECT"]))
    schema.tables.append(Table(name="other"))
    copy.catalogs[0].tags["a"] = "b"
    copy.environments.clear()
    assert canonical_json(project) == before
