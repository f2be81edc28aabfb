"""Each environment has its own history: `generate --env` for some environments writes theirs and
leaves the others' migrations as they are, keeping the model those lead to as the environment's
baseline (`sql/<env>/model.json`), so that their next migration still holds every change since;
`plan` previews each environment from its own baseline; the baseline goes once it caught up."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from accelerator.cli import app
from tests.test_cli_plan import ADDED, DROPPED, example, migrations

__all__ = ["example"]  # the fixture
runner = CliRunner()


def run(*argv: str, code: int = 0) -> str:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == code, result.output
    return result.output


def sql(root: Path, env: str) -> Path:
    return root / "generated" / "sql" / env


def add_column(root: Path, line: str) -> None:
    erd = root / "erd" / "retail.dbml"
    erd.write_text(erd.read_text().replace(DROPPED, DROPPED + line))


def test_generating_one_environment_leaves_the_others_and_keeps_their_baseline(example: Path) -> None:
    run("generate", "--no-terraform")
    before = {env: {p.name: p.read_text() for p in sql(example, env).iterdir()} for env in ("dev", "staging")}
    model_before = (example / "generated" / "model.json").read_text()
    add_column(example, ADDED)
    run("generate", "--no-terraform", "--env", "prod")
    assert migrations(example, "prod") == [
        "V0001__initial.sql",
        "V0002__add_orders_channel.sql",
        "migrations.sum",
    ]
    for env in ("dev", "staging"):
        kept = {p.name: p.read_text() for p in sql(example, env).iterdir() if p.name != "model.json"}
        assert kept == before[env]  # untouched
        assert (sql(example, env) / "model.json").read_text() == model_before  # their baseline
    assert not (sql(example, "prod") / "model.json").exists()
    assert "channel" in (example / "generated" / "model.json").read_text()
    assert run("check").count("migrations.tampered") == 0

    # plan previews each from its own baseline: dev and staging still have the column to add
    preview = run("plan", "--env", "dev", "--env", "prod")
    assert "channel" in preview.split("prod")[0] and "no changes" in preview, preview

    # a second change on prod alone: dev's baseline stays the first model
    add_column(example, "  coupon varchar(20)\n")
    run("generate", "--no-terraform", "--env", "prod")
    assert (sql(example, "dev") / "model.json").read_text() == model_before
    assert migrations(example, "prod")[2].startswith("V0003__add_orders_coupon")

    # dev catches up: one migration with both changes, and its baseline is gone
    run("generate", "--no-terraform", "--env", "dev")
    [dev_new] = [name for name in migrations(example, "dev") if name.startswith("V0002")]
    text = (sql(example, "dev") / dev_new).read_text()
    assert "`channel`" in text and "`coupon`" in text
    assert not (sql(example, "dev") / "model.json").exists()
    assert (sql(example, "staging") / "model.json").read_text() == model_before
    run("generate", "--no-terraform")  # everyone at once: staging catches up, prod and dev have nothing new
    assert not (sql(example, "staging") / "model.json").exists()
    assert migrations(example, "prod")[-2].startswith("V0003") and migrations(example, "dev")[-2] == dev_new
    assert "no changes" in run("plan")
    assert run("check").count("error") == 0


def test_an_environment_never_generated_starts_at_its_initial_migration(example: Path) -> None:
    run("generate", "--no-terraform", "--env", "prod")
    assert not sql(example, "dev").exists()  # no migrations to keep: no baseline either
    add_column(example, ADDED)
    run("generate", "--no-terraform", "--env", "dev")
    assert migrations(example, "dev") == ["V0001__initial.sql", "migrations.sum"]
    assert "`channel`" in (sql(example, "dev") / "V0001__initial.sql").read_text()
    # prod kept the model its V0001 leads to: its next migration has the column
    assert (sql(example, "prod") / "model.json").is_file()
    run("generate", "--no-terraform", "--env", "prod")
    assert migrations(example, "prod")[1] == "V0002__add_orders_channel.sql"


def test_a_left_out_environment_whose_model_is_gone_is_refused_saying_how(example: Path) -> None:
    run("generate", "--no-terraform")
    (example / "generated" / "model.json").unlink()
    result = runner.invoke(app, ["generate", "--no-terraform", "--env", "prod"])
    assert result.exit_code == 2 and "model.json, the model they lead to, is missing" in result.output
    assert "git checkout" in result.output
