"""The diff skips tables that `same_content` (the render cache's content keys) says are equal, and
that never changes what it finds: over random edit sequences on the retail example, the changes are
the same with and without it."""

from __future__ import annotations

import random

import pytest

from accelerator.model.copying import copy_project
from accelerator.model.elements import Project, Table
from accelerator.plan import diff, renames_from_ops
from accelerator.render.cache import render_pass, same_content
from tests.plan.conftest import random_edits


@pytest.mark.parametrize("seed", range(40))
def test_skipping_equal_tables_finds_the_same_changes(retail_project: Project, seed: int) -> None:
    rng = random.Random(seed)
    edited, ops = random_edits(retail_project, rng, rng.randrange(1, 8))
    renames = renames_from_ops([op.model_dump(mode="json") for op in ops])
    with render_pass():
        skipping = diff(retail_project, edited, renames=renames, same_content=same_content)
    assert skipping == diff(retail_project, edited, renames=renames)


def test_only_the_changed_table_is_compared(retail_project: Project) -> None:
    edited = copy_project(retail_project)
    changed = edited.catalogs[0].schemas[0].tables[0]
    changed.comment = "changed by the test"  # copy_project shares columns: the table's own field
    compared: list[str] = []

    def recording(first: Table, second: Table) -> bool:
        equal = same_content(first, second)
        if not equal:
            compared.append(second.name)
        return equal

    with render_pass():
        changes = diff(retail_project, edited, same_content=recording)
    assert compared == [changed.name]
    assert [(change.code, str(change.path)) for change in changes] == [
        (change.code, str(change.path)) for change in diff(retail_project, edited)
    ]
    assert changes and all(str(change.path).endswith(changed.name) for change in changes)


def test_a_table_that_cannot_be_keyed_is_compared(retail_project: Project) -> None:
    edited = copy_project(retail_project)
    table = edited.catalogs[0].schemas[0].tables[0]
    table.comment = "\ud800"  # a lone surrogate: no content key, so never taken as equal
    assert not same_content(table, table.model_copy())
    assert any(change.code for change in diff(retail_project, edited, same_content=same_content))
