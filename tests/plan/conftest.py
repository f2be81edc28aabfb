"""The governed retail example, and random typed edits of it, for the plan tests."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from accelerator.edit import column_edits, governance_edits, grant_edits, table_edits
from accelerator.edit.effects import apply_edit
from accelerator.edit.names import ModelNames
from accelerator.edit.operation import EditBase
from accelerator.errors import AcceleratorError
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.model.elements import Project

ROOT = Path(__file__).resolve().parents[2] / "examples" / "retail"
ERD, POLICY = "erd/retail.dbml", "policies/governance.yaml"
TYPES = ["TINYINT", "SMALLINT", "INT", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL(12,2)", "DECIMAL(20,4)", "STRING", "DATE", "TIMESTAMP_NTZ", "BOOLEAN"]  # fmt: skip
WORDS = ["alpha", "beta", "gamma", "delta", "note", "code", "label"]


def governed_retail() -> Project:
    erd = ErdInput(ERD, (ROOT / ERD).read_text(), "retail")
    return govern_inputs("retail", [erd], PolicyInput(POLICY, (ROOT / POLICY).read_text())).project


@pytest.fixture(scope="session")
def retail_project() -> Project:
    return governed_retail()


def random_edit(project: Project, rng: random.Random) -> EditBase:
    """One random typed edit of `project` (it may not fit: the caller skips those that raise)."""
    _catalog, schema, table = rng.choice(project.iter_tables())
    name = f"{schema.name}.{table.name}"
    column = rng.choice(table.columns).name
    word = rng.choice(WORDS) + str(rng.randrange(3))
    choices: list[EditBase] = [
        table_edits.RenameTable(table=name, new_name=f"{table.name}_{word}"),
        table_edits.RenameColumn(table=name, column=column, new_name=word),
        table_edits.AddColumn(
            table=name,
            column=word,
            type=rng.choice(TYPES),
            not_null=rng.random() < 0.3,
            default=rng.choice([None, "0", "'x'"]) if rng.random() < 0.3 else None,
            comment=rng.choice([None, "a new one"]),
        ),
        table_edits.DropColumn(table=name, column=column),
        column_edits.ChangeType(table=name, column=column, type=rng.choice(TYPES)),
        column_edits.SetNotNull(table=name, column=column, not_null=rng.random() < 0.5),
        column_edits.SetComment(table=name, column=rng.choice([column, None]), comment=rng.choice(["", "It's new"])),
        governance_edits.SetTag(table=name, column=rng.choice([column, None]), key=rng.choice(["domain", "tier"]), value=word),
        governance_edits.Classify(table=name, column=column, classification=rng.choice(["pii", "pii.email", "confidential"])),
        grant_edits.Grant(
            securable_kind="table", securable=name, privileges=["SELECT"], principal=rng.choice(["analysts", "auditors"]),
            environment=rng.choice([None, "dev", "prod"]),
        ),
        grant_edits.Revoke(
            securable_kind="table", securable=name, privileges=["SELECT"], principal=rng.choice(["analysts", "auditors"]),
            environment=rng.choice([None, "prod"]),
        ),
        grant_edits.SetOwner(securable_kind="table", securable=name, principal=rng.choice(["owners", "sales-team"])),
    ]  # fmt: skip
    return rng.choice(choices)


def random_edits(project: Project, rng: random.Random, count: int) -> tuple[Project, list[EditBase]]:
    applied: list[EditBase] = []
    while len(applied) < count:
        op = random_edit(project, rng)
        try:
            resolved = op.resolve(ModelNames(project)).op
            project = apply_edit(project, op)
        except (AcceleratorError, ValueError):
            continue
        applied.append(resolved)
    return project, applied
