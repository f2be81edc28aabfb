"""The replay property: over random typed edit sequences on the retail example, applying
diff(a, b) to a yields b, and every statement of every environment is valid Databricks SQL."""

from __future__ import annotations

import random

import pytest

from accelerator.model import canonical_dict
from accelerator.model.elements import Project
from accelerator.plan import apply_changes, diff, migration_sql, renames_from_ops
from tests.plan.conftest import random_edits
from tests.plan.sql_check import assert_valid


@pytest.mark.parametrize("seed", range(40))
def test_replaying_the_diff_yields_the_edited_model(retail_project: Project, seed: int) -> None:
    rng = random.Random(seed)
    edited, ops = random_edits(retail_project, rng, rng.randrange(1, 8))
    renames = renames_from_ops([op.model_dump(mode="json") for op in ops])
    changes = diff(retail_project, edited, renames=renames)
    assert changes, [op.describe() for op in ops]
    assert canonical_dict(apply_changes(retail_project, changes)) == canonical_dict(edited)
    for environment in edited.environments:
        for statement in migration_sql(changes, environment):
            assert_valid(statement)


def test_declared_renames_keep_data(retail_project: Project) -> None:
    """Over the random sequences, a renamed object is never dropped and added back."""
    for seed in range(40):
        rng = random.Random(seed)
        edited, ops = random_edits(retail_project, rng, rng.randrange(1, 8))
        renames = renames_from_ops([op.model_dump(mode="json") for op in ops])
        codes = {change.code for change in diff(retail_project, edited, renames=renames)}
        kinds = {rename.kind for rename in renames}
        assert ("table" not in kinds or "BC101" in codes) and (
            "column" not in kinds or "BC102" in codes or "DS103" in codes
        )
