"""A conversation's edits reach the versioned migrations as `accelerator generate` writes them: each
applied turn adds a migration with only its change, and a rename is a rename (its data kept)."""

from __future__ import annotations

from pathlib import Path

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
