"""A conversation's edits reach the versioned migrations as `accelerator generate` writes them: each
applied turn adds a migration with only its change, and a rename is a rename (its data kept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator.cli import app
from tests.channels.test_chat_cli import invoke, project

__all__ = ["project"]  # the fixture
runner = CliRunner()


def sql_files(root: Path, env: str = "dev") -> list[str]:
    return sorted(p.name for p in (root / "generated" / "sql" / env).iterdir())


def test_each_applied_turn_is_a_migration_of_its_own_and_plan_has_nothing_left(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    assert sql_files(project) == ["V0001__initial.sql", "migrations.sum"]
    turns = "add column crm.customers.nickname string\nrename column crm.customers.phone to phone_number\n"
    result = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    names = sql_files(project)
    assert names[0] == "V0001__initial.sql" and names[-1] == "migrations.sum" and len(names) == 4, names
    added, renamed = ((project / "generated" / "sql" / "dev" / name).read_text() for name in names[1:3])
    assert "nickname" in added and "phone" not in added
    assert "RENAME COLUMN `phone` TO `phone_number`" in renamed and "DROP COLUMN" not in renamed
    plan = runner.invoke(app, ["plan", "--env", "dev"])
    assert plan.exit_code == 0 and "no changes" in plan.output, plan.output
    check = runner.invoke(app, ["check"])  # the sum matches what the conversation wrote
    assert check.exit_code == 0 and "migrations.tampered" not in check.output, check.output


def test_chat_refuses_to_write_through_a_link_out_of_the_repository(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "generated").mkdir()
    (project / "generated" / "docs").symlink_to(outside, target_is_directory=True)
    result = invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path)
    assert result.exit_code == 2, result.output
    assert "outside the repository root" in result.output
    assert list(outside.iterdir()) == []


def test_a_destructive_turn_says_its_migration_needs_an_approval(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    result = invoke(
        "chat", turns="drop column sales.orders.ip_address\n", database_url=database_url, directory=tmp_path
    )
    assert "migrations.destructive" in result.output and "ip_address" in result.output, result.output
    assert runner.invoke(app, ["check"]).exit_code == 1  # until someone approves it
    approve = ["allow", "DS103", "on", "retail.sales.orders.ip_address", "--by", "ana"]
    assert runner.invoke(app, approve).exit_code == 0
    assert runner.invoke(app, ["check"]).exit_code == 0


def migration_texts(root: Path, env: str = "dev") -> dict[str, str]:
    directory = root / "generated" / "sql" / env
    return {p.name: p.read_text() for p in sorted(directory.iterdir()) if p.name.startswith("V")}


def test_undo_withdraws_the_turns_migration_and_its_line_of_the_sum_and_redo_brings_it_back(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    sum_file = project / "generated" / "sql" / "dev" / "migrations.sum"
    initial_sum = sum_file.read_text()
    added = invoke(
        "chat",
        turns="add column crm.customers.nickname string\n",
        database_url=database_url,
        directory=tmp_path,
    )
    assert added.exit_code == 0, added.output
    [new] = [name for name in migration_texts(project) if not name.startswith("V0001")]
    assert new.startswith("V0002__") and new in sum_file.read_text()
    undone = invoke("chat", turns="undo\n", database_url=database_url, directory=tmp_path)
    assert undone.exit_code == 0 and "Undone" in undone.output, undone.output
    assert list(migration_texts(project)) == ["V0001__initial.sql"]  # withdrawn, never applied
    assert sum_file.read_text() == initial_sum  # its line is gone: check finds nothing removed
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 0 and "migrations.tampered" not in check.output, check.output
    assert "nickname" not in (project / "generated" / "model.json").read_text()
    redone = invoke("chat", turns="redo\n", database_url=database_url, directory=tmp_path)
    assert redone.exit_code == 0, redone.output
    assert list(migration_texts(project)) == ["V0001__initial.sql", new]
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_undo_of_a_rename_withdraws_the_rename_and_a_manual_rename_back_does_too(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    turns = (
        "rename column crm.customers.phone to phone_number\nundo\n"
        "rename column crm.customers.phone to mobile\nrename column crm.customers.mobile to phone\n"
    )
    result = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    assert list(migration_texts(project)) == ["V0001__initial.sql"]
    plan = runner.invoke(app, ["plan", "--env", "dev"])
    assert plan.exit_code == 0 and "no changes" in plan.output, plan.output


def test_a_migration_the_thread_did_not_make_is_never_withdrawn(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    """Another thread's migration (or `generate`'s) may have been applied: taking its change back is
    a new migration, even when the model returns exactly to where it was before it."""
    turns = "add column crm.customers.nickname string\n"
    assert invoke("chat", turns=turns, database_url=database_url, directory=tmp_path).exit_code == 0
    back = "drop column crm.customers.nickname\n"
    result = invoke("chat", "--resume", "other", turns=back, database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    texts = migration_texts(project)
    assert list(texts) == [
        "V0001__initial.sql",
        "V0002__add_customers_nickname.sql",
        "V0003__drop_customers_nickname.sql",
    ]
    assert "DROP COLUMN `nickname`" in texts["V0003__drop_customers_nickname.sql"]


def test_the_memory_restores_the_migrations_and_model_json_deleted_from_the_tree(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    turns = "add column crm.customers.nickname string\n"
    assert invoke("chat", turns=turns, database_url=database_url, directory=tmp_path).exit_code == 0
    before = migration_texts(project)
    assert list(before) == ["V0001__initial.sql", "V0002__add_customers_nickname.sql"]
    for path in (project / "generated" / "sql" / "dev").iterdir():
        path.unlink()
    (project / "generated" / "model.json").unlink()
    result = invoke(
        "chat", turns="add column crm.customers.alias string\n", database_url=database_url, directory=tmp_path
    )
    assert result.exit_code == 0, result.output
    after = migration_texts(project)
    assert {name: after[name] for name in before} == before
    [third] = [name for name in after if name not in before]
    assert third.startswith("V0003__") and "alias" in after[third] and "nickname" not in after[third]
    assert runner.invoke(app, ["check"]).exit_code == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_the_conversations_migrations_leave_catalogs_to_terraform_as_accelerator_yaml_says(
    project: Path, database_url: str, tmp_path: Path, enabled: bool
) -> None:
    """chat writes no Terraform by default (it is slow), but who owns the catalogs and schemas is
    the project's choice: with terraform.enabled its migrations leave them to Terraform, as
    `accelerator generate` and `plan` do, so the pull request's SQL does not depend on the channel."""
    config = project / "accelerator.yaml"
    config.write_text(config.read_text().replace("enabled: true", f"enabled: {str(enabled).lower()}"))
    result = invoke("chat", turns="status\n", database_url=database_url, directory=tmp_path)
    assert result.exit_code == 0, result.output
    opening = (project / "generated" / "sql" / "dev" / "V0001__initial.sql").read_text()
    assert "CREATE TABLE" in opening
    assert ("CREATE CATALOG" in opening) is not enabled, opening[:400]
    assert not (project / "generated" / "terraform").exists()
