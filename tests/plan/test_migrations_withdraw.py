"""Withdrawing a migration never applied (pure): when the model is back where it was before the last
migration and the conversation made it, the migration and its line of the sum go; otherwise (a
migration maybe applied, the model elsewhere, a different rename) a new migration takes the change
back. The renames that lead back (`reverted`) are those of the turn, inverted."""

from __future__ import annotations

import random

from accelerator.generate import Generation, Governed, MigrationHistory, generate, with_migrations
from accelerator.model import canonical_dict
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Project
from accelerator.plan import apply_changes, diff, renames_from_ops
from accelerator.plan.migrations import SUM_FILE, file_hash, parse_sum, reverted, verify_migrations
from accelerator.plan.renames import Rename
from accelerator.policy import default_policy
from accelerator.render import render_model_json
from tests.plan.conftest import random_edits
from tests.plan.test_migrations import edited


def governed(project: Project) -> Governed:
    return Governed(project, [], default_policy())


def step(project: Project, history: MigrationHistory, **extra: object) -> Generation:
    base = generate(governed(project), ["prod"], terraform=False, sql=False)
    return with_migrations(base, MigrationHistory(**{**history.__dict__, **extra}), terraform=False)  # type: ignore[arg-type]


def after(generation: Generation, *, withdrawable: Project | None = None) -> MigrationHistory:
    """The history the next generation follows; with `withdrawable` (the model before them), its
    migrations were made by the conversation."""
    files = {p.split("/")[2]: t for p, t in generation.files.items() if p.startswith("sql/prod/")}
    names = {n: t for n, t in files.items() if n != SUM_FILE}
    before = file_hash(render_model_json(withdrawable)) if withdrawable is not None else None
    return MigrationHistory(
        generation.governed.project,
        {"prod": names},
        {"prod": files[SUM_FILE]},
        withdrawable={"prod": dict.fromkeys(names, before)} if before else {},
    )


def prod_names(generation: Generation) -> list[str]:
    return sorted(p.split("/")[2] for p in generation.files if p.startswith("sql/prod/V"))


def test_returning_to_the_model_before_the_last_migration_withdraws_it(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    base = after(first)
    second = step(edited(retail_project), base)
    assert second.added == ["sql/prod/V0002__add_orders_channel_drop_orders_ip_address.sql"]
    back = step(retail_project, after(second, withdrawable=retail_project))
    assert prod_names(back) == ["V0001__initial.sql"] and back.added == []
    assert back.removed == ["sql/prod/V0002__add_orders_channel_drop_orders_ip_address.sql"]
    assert back.files["sql/prod/migrations.sum"] == first.files["sql/prod/migrations.sum"]
    assert verify_migrations("prod", {"V0001__initial.sql": back.files["sql/prod/V0001__initial.sql"]},
                             back.files["sql/prod/migrations.sum"]) == []  # fmt: skip


def test_a_migration_maybe_applied_is_never_withdrawn(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    second = step(edited(retail_project), after(first))
    back = step(retail_project, after(second))
    names = prod_names(back)
    assert names[:2] == ["V0001__initial.sql", "V0002__add_orders_channel_drop_orders_ip_address.sql"]
    assert len(names) == 3 and names[2].startswith("V0003__drop_orders_channel_add_orders_ip_address")
    assert back.removed == []


def test_a_model_elsewhere_is_a_new_migration_not_a_withdrawal(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    second = step(edited(retail_project), after(first, withdrawable=retail_project))
    elsewhere = deep_copied(retail_project)
    [orders] = [t for _, s, t in elsewhere.iter_tables() if t.name == "orders"]
    orders.comment = "changed too"
    third = step(elsewhere, after(second, withdrawable=retail_project))
    assert len(prod_names(third)) == 3 and third.removed == []


def test_an_undone_rename_is_withdrawn_and_a_rename_back_of_an_applied_one_is_a_rename(
    retail_project: Project,
) -> None:
    renamed = deep_copied(retail_project)
    [orders] = [t for _, s, t in renamed.iter_tables() if t.name == "orders"]
    [column] = [c for c in orders.columns if c.name == "ip_address"]
    column.name = "client_ip"
    forward = [Rename("column", "sales", "orders", "ip_address", "client_ip")]
    first = step(retail_project, MigrationHistory(None))
    second = step(renamed, after(first), renames=forward)
    assert "RENAME COLUMN `ip_address` TO `client_ip`" in second.files[second.added[0]]
    assert prod_names(step(retail_project, after(second, withdrawable=retail_project))) == [
        "V0001__initial.sql"
    ]
    # maybe applied: going back is a migration of its own, renaming back with the inverted renames
    back = step(retail_project, after(second), renames=reverted(forward))
    assert "RENAME COLUMN `client_ip` TO `ip_address`" in back.files[back.added[0]]
    assert "DROP COLUMN" not in back.files[back.added[0]]


def test_reverted_renames_lead_back_over_random_edit_sequences(retail_project: Project) -> None:
    """Replaying diff(after, before) with the reverted renames yields `before`, and a renamed column
    is renamed back, never dropped and added (the check withdrawal relies on)."""
    for seed in range(30):
        rng = random.Random(seed)
        changed, ops = random_edits(retail_project, rng, rng.randrange(1, 6))
        forward = renames_from_ops([op.model_dump(mode="json") for op in ops])
        back = diff(changed, retail_project, renames=reverted(forward))
        assert canonical_dict(apply_changes(changed, back)) == canonical_dict(retail_project), seed
        forward_codes = [c.code for c in diff(retail_project, changed, renames=forward)]
        back_codes = [c.code for c in back]
        assert forward_codes.count("BC102") == back_codes.count("BC102"), seed
        assert forward_codes.count("BC101") == back_codes.count("BC101"), seed


def test_a_table_and_its_column_renamed_in_one_turn_are_reverted_by_the_new_table_name() -> None:
    forward = [
        Rename("table", "crm", "customers", "customers", "clients"),
        Rename("column", "crm", "customers", "phone", "mobile"),
    ]
    assert reverted(forward) == [
        Rename("table", "crm", "clients", "clients", "customers"),
        Rename("column", "crm", "clients", "mobile", "phone"),
    ]


def test_the_sum_loses_the_withdrawn_line_and_stays_consistent(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    second = step(edited(retail_project), after(first, withdrawable=retail_project))
    back = step(retail_project, after(second, withdrawable=retail_project))
    recorded = parse_sum(back.files["sql/prod/migrations.sum"])
    assert recorded.names == ["V0001__initial.sql"] and recorded.consistent
