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
from accelerator.plan.migrations import SUM_FILE, parse_sum, reverted, verify_migrations
from accelerator.plan.renames import Rename
from accelerator.policy import default_policy
from tests.plan.conftest import random_edits
from tests.plan.test_migrations import edited


def governed(project: Project) -> Governed:
    return Governed(project, [], default_policy())


def step(project: Project, history: MigrationHistory, **extra: object) -> Generation:
    base = generate(governed(project), ["prod"], terraform=False, sql=False)
    return with_migrations(base, MigrationHistory(**{**history.__dict__, **extra}), terraform=False)  # type: ignore[arg-type]


def after(generation: Generation, *, withdrawable: bool) -> MigrationHistory:
    """The history the next generation follows; its migrations withdrawable or not."""
    files = {p.split("/")[2]: t for p, t in generation.files.items() if p.startswith("sql/prod/")}
    names = {n: t for n, t in files.items() if n != SUM_FILE}
    return MigrationHistory(
        generation.governed.project,
        {"prod": names},
        {"prod": files[SUM_FILE]},
        withdrawable={"prod": frozenset(names)} if withdrawable else {},
    )


def prod_names(generation: Generation) -> list[str]:
    return sorted(p.split("/")[2] for p in generation.files if p.startswith("sql/prod/V"))


def test_returning_to_the_model_before_the_last_migration_withdraws_it(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    base = after(first, withdrawable=False)
    second = step(edited(retail_project), base)
    assert second.added == ["sql/prod/V0002__add_orders_channel_drop_orders_ip_address.sql"]
    back = step(retail_project, after(second, withdrawable=True))
    assert prod_names(back) == ["V0001__initial.sql"] and back.added == []
    assert back.removed == ["sql/prod/V0002__add_orders_channel_drop_orders_ip_address.sql"]
    assert back.files["sql/prod/migrations.sum"] == first.files["sql/prod/migrations.sum"]
    assert verify_migrations("prod", {"V0001__initial.sql": back.files["sql/prod/V0001__initial.sql"]},
                             back.files["sql/prod/migrations.sum"]) == []  # fmt: skip


def test_a_migration_maybe_applied_is_never_withdrawn(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    second = step(edited(retail_project), after(first, withdrawable=False))
    back = step(retail_project, after(second, withdrawable=False))
    names = prod_names(back)
    assert names[:2] == ["V0001__initial.sql", "V0002__add_orders_channel_drop_orders_ip_address.sql"]
    assert len(names) == 3 and names[2].startswith("V0003__drop_orders_channel_add_orders_ip_address")
    assert back.removed == []


def test_a_model_elsewhere_is_a_new_migration_not_a_withdrawal(retail_project: Project) -> None:
    first = step(retail_project, MigrationHistory(None))
    second = step(edited(retail_project), after(first, withdrawable=True))
    elsewhere = deep_copied(retail_project)
    [orders] = [t for _, s, t in elsewhere.iter_tables() if t.name == "orders"]
    orders.comment = "changed too"
    third = step(elsewhere, after(second, withdrawable=True))
    assert len(prod_names(third)) == 3 and third.removed == []


def test_an_undone_rename_is_withdrawn_only_with_the_renames_that_lead_back(retail_project: Project) -> None:
    renamed = deep_copied(retail_project)
    [orders] = [t for _, s, t in renamed.iter_tables() if t.name == "orders"]
    [column] = [c for c in orders.columns if c.name == "ip_address"]
    column.name = "client_ip"
    forward = [Rename("column", "sales", "orders", "ip_address", "client_ip")]
    first = step(retail_project, MigrationHistory(None))
    second = step(renamed, after(first, withdrawable=False), renames=forward)
    assert "RENAME COLUMN `ip_address` TO `client_ip`" in second.files[second.added[0]]
    history = after(second, withdrawable=True)
    # the undo goes from the model before the rename to the one after: the turn's own renames
    assert prod_names(step(retail_project, history, reverts=forward)) == ["V0001__initial.sql"]
    # a turn renaming it back goes the other way: its renames, inverted, lead to the model after
    back = reverted(forward)
    assert back == [Rename("column", "sales", "orders", "client_ip", "ip_address")]
    assert prod_names(step(retail_project, history, renames=back, reverts=reverted(back))) == [
        "V0001__initial.sql"
    ]
    # without the renames back, the way back is a drop and an add: not that migration, so not withdrawn
    assert len(prod_names(step(retail_project, history))) == 3


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
    second = step(edited(retail_project), after(first, withdrawable=True))
    back = step(retail_project, after(second, withdrawable=True))
    recorded = parse_sum(back.files["sql/prod/migrations.sum"])
    assert recorded.names == ["V0001__initial.sql"] and recorded.consistent
