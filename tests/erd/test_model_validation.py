"""validate_project: a foreign key's table and columns are looked up (case-insensitively, the first
of a name) in its catalog; a dangling one, or two columns of one name, is a located ModelError."""

from __future__ import annotations

import pytest

from accelerator.errors import ModelError
from accelerator.model import Catalog, Column, ForeignKey, PrimaryKey, Project, Schema, Span, Table
from accelerator.model.build import validate_project

AT = Span("m.dbml", 7, 3, 7, 20)


def project(fk: ForeignKey, *, extra: list[Column] | None = None) -> Project:
    parent = Table(
        name="Parents",
        columns=[Column(name="ID", type="BIGINT"), Column(name="code", type="STRING")],
        primary_key=PrimaryKey(columns=["ID"]),
    )
    child = Table(
        name="children",
        columns=[Column(name="id", type="BIGINT"), Column(name="parent_id", type="BIGINT"), *(extra or [])],
        foreign_keys=[fk],
    )
    return Project(
        name="p",
        catalogs=[
            Catalog(
                name="c",
                schemas=[Schema(name="Crm", tables=[parent]), Schema(name="sales", tables=[child])],
            )
        ],
    )


def test_a_foreign_key_finds_its_table_and_columns_in_any_case() -> None:
    fk = ForeignKey(columns=["parent_id"], ref_schema="crm", ref_table="PARENTS", ref_columns=["id"])
    validate_project(project(fk))


def test_a_foreign_key_to_an_undefined_table_is_located_with_the_closest_name() -> None:
    fk = ForeignKey(columns=["parent_id"], ref_schema="crm", ref_table="parent", ref_columns=["id"], span=AT)
    with pytest.raises(ModelError) as caught:
        validate_project(project(fk))
    assert "references table crm.parent, which is not defined" in caught.value.message
    assert caught.value.hint == "did you mean 'Crm.Parents'?"
    assert (caught.value.file, caught.value.line, caught.value.column) == ("m.dbml", 7, 3)


def test_a_foreign_key_to_a_missing_column_names_the_table_and_its_columns() -> None:
    fk = ForeignKey(
        columns=["parent_id"], ref_schema="crm", ref_table="parents", ref_columns=["cod"], span=AT
    )
    with pytest.raises(ModelError) as caught:
        validate_project(project(fk))
    assert caught.value.message == (
        "foreign key of sales.children references column parents.cod, which crm.parents does not have"
    )
    assert caught.value.hint == "did you mean 'code'?"


def test_two_columns_of_one_name_are_refused_at_the_second() -> None:
    fk = ForeignKey(columns=["parent_id"], ref_schema="crm", ref_table="parents", ref_columns=["id"])
    with pytest.raises(ModelError) as caught:
        validate_project(project(fk, extra=[Column(name="PARENT_ID", type="BIGINT", name_span=AT)]))
    assert "duplicate column 'PARENT_ID' in sales.children" in caught.value.message
    assert caught.value.line == 7
