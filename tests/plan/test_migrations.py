"""Versioned migrations: the first from an empty project, deltas, numbering and its conflicts, slugs,
the sum file and tampering, and the plan preview's three forms."""

from __future__ import annotations

import json
import re

import sqlglot

from accelerator.generate import MigrationHistory, generate
from accelerator.model.copying import deep_copied
from accelerator.model.elements import Column, Project
from accelerator.plan import diff
from accelerator.plan.migrations import (
    SUM_FILE,
    TAMPERED,
    empty_like,
    file_hash,
    migration_slug,
    migration_version,
    next_migration,
    parse_sum,
    render_sum,
    sum_with,
    verify_migrations,
)
from accelerator.plan.preview import has_destructive, plan_environments, plan_json, plan_markdown, plan_text
from tests.plan.conftest import ERD, POLICY, ROOT


def edited(project: Project) -> Project:
    """The retail example with `orders.channel` added and `orders.ip_address` dropped."""
    after = deep_copied(project)
    [orders] = [t for _, s, t in after.iter_tables() if s.name == "sales" and t.name == "orders"]
    orders.columns = [c for c in orders.columns if c.name != "ip_address"]
    orders.columns.append(Column(name="channel", type="STRING", comment="web, store or phone"))
    return after


def test_the_first_migration_creates_the_whole_model(retail_project: Project) -> None:
    prod = retail_project.environment("prod")
    assert prod is not None
    changes = diff(empty_like(retail_project), retail_project)
    assert {change.code for change in changes} >= {"AD101", "AD102", "AD103"}
    migration = next_migration({}, [], changes, prod, terraform=False, initial=True)
    assert migration is not None and migration.name == "V0001__initial.sql"
    assert migration.text.startswith("-- V0001__initial.sql: environment prod")
    parsed = [s for s in sqlglot.parse(migration.text, read="databricks") if s is not None]
    assert len(parsed) > 20
    assert "CREATE CATALOG `prod_retail`" in migration.text
    assert len(re.findall(r"^CREATE TABLE `prod_retail`", migration.text, re.M)) == 5
    # with Terraform managing catalogs and schemas, the SQL creates neither
    managed = next_migration({}, [], changes, prod, terraform=True, initial=True)
    assert (
        managed is not None and "CREATE CATALOG" not in managed.text and "CREATE SCHEMA" not in managed.text
    )


def test_a_migration_holds_only_the_delta_with_its_header(retail_project: Project) -> None:
    prod = retail_project.environment("prod")
    assert prod is not None
    changes = diff(retail_project, edited(retail_project))
    migration = next_migration({}, ["V0001__initial.sql"], changes, prod, terraform=True)
    assert migration is not None
    assert migration.name == "V0002__add_orders_channel_drop_orders_ip_address.sql"
    header = [line for line in migration.text.splitlines() if line.startswith("-- ")]
    assert "-- DS103 destructive  column dropped: retail.sales.orders.ip_address" in header
    assert any(line.startswith("-- AD104 safe") and "orders.channel" in line for line in header)
    groups = migration.text.rstrip().split("\n\n")[1:]
    assert len(groups) == 4 and all(group.endswith(";") and group.count(";") == 1 for group in groups)
    assert groups[0] == "DESCRIBE SCHEMA `prod_retail`.`sales`;"  # Terraform's schema exists, or stop here
    assert "DROP COLUMN `ip_address`" in migration.text and "ADD COLUMNS (`channel` STRING" in migration.text
    assert "CREATE TABLE" not in migration.text


def test_slugs_are_safe_and_bounded(retail_project: Project) -> None:
    after = deep_copied(retail_project)
    for _, _, table in after.iter_tables():
        table.columns.append(Column(name="Ünïcode name; DROP", type="STRING"))
    slug = migration_slug(diff(retail_project, after))
    assert re.fullmatch(r"[a-z0-9_]+", slug) and len(slug) <= 80
    assert slug.endswith("_more") and slug.startswith("add_")
    assert migration_slug([]) == "change"


def test_the_next_version_follows_the_sum_and_skips_another_branchs(retail_project: Project) -> None:
    prod = retail_project.environment("prod")
    assert prod is not None
    changes = diff(retail_project, edited(retail_project))
    mine = next_migration({}, ["V0001__initial.sql"], changes, prod, terraform=True)
    assert mine is not None and mine.version == 2
    # the other PR merged first: its V0002 is on disk (and in the sum the rebase took from main)
    theirs = {"V0001__initial.sql": "-- one\n", "V0002__add_orders_note.sql": "-- theirs\n"}
    on_top = next_migration(
        theirs, ["V0001__initial.sql", "V0002__add_orders_note.sql"], changes, prod, terraform=True
    )
    assert on_top is not None and on_top.version == 3
    # the sum lost the other's line, its file stays: version 2 is taken by other content -> 3
    renumbered = next_migration(theirs, ["V0001__initial.sql"], changes, prod, terraform=True)
    assert renumbered is not None and renumbered.version == 3
    assert renumbered.name.startswith("V0003__") and renumbered.text.startswith(f"-- {renumbered.name}:")
    # the same migration already there (same content): it is kept, not written twice
    again = {"V0001__initial.sql": "-- one\n", mine.name: mine.text}
    same = next_migration(again, ["V0001__initial.sql"], changes, prod, terraform=True)
    assert same == mine


def test_the_sum_records_each_file_and_a_total() -> None:
    files = {
        "V0001__initial.sql": "CREATE TABLE a (x INT);\n",
        "V0010__b.sql": "-- b\n",
        "V0002__c.sql": "-- c\n",
    }
    text = render_sum([(name, file_hash(t)) for name, t in files.items()])
    lines = text.splitlines()
    assert lines[0].startswith("total ") and [line.split()[0] for line in lines[1:]] == [
        "V0001__initial.sql", "V0002__c.sql", "V0010__b.sql"
    ]  # fmt: skip
    assert parse_sum(text).consistent
    assert verify_migrations("generated/sql/prod", files, text) == []


def finding_of(files: dict[str, str], sum_text: str | None) -> list[tuple[str, str]]:
    found = verify_migrations("generated/sql/prod", files, sum_text)
    assert all(f.rule == TAMPERED and f.severity == "error" for f in found)
    return [(f.file or "", f.message.split(";")[0]) for f in found]


def test_tampering_is_found_and_located() -> None:
    files = {"V0001__initial.sql": "-- one\nCREATE TABLE a (x INT);\n", "V0002__b.sql": "-- two\n"}
    sum_text = render_sum([(n, file_hash(t)) for n, t in files.items()])
    edited_file = {**files, "V0001__initial.sql": files["V0001__initial.sql"] + "DROP TABLE a;\n"}
    assert finding_of(edited_file, sum_text) == [
        ("generated/sql/prod/V0001__initial.sql", "V0001__initial.sql was edited after it was generated")
    ]
    removed = {"V0002__b.sql": files["V0002__b.sql"]}
    assert finding_of(removed, sum_text) == [
        (
            "generated/sql/prod/V0001__initial.sql",
            "V0001__initial.sql is recorded in migrations.sum but was removed",
        )
    ]
    extra = {**files, "V0003__sneaky.sql": "DROP TABLE a;\n"}
    assert finding_of(extra, sum_text) == [
        ("generated/sql/prod/V0003__sneaky.sql", "V0003__sneaky.sql is not recorded in migrations.sum")
    ]
    # the sum edited to match an edited file: its total gives it away
    forged = sum_text.replace(
        file_hash(files["V0001__initial.sql"]), file_hash(edited_file["V0001__initial.sql"])
    )
    assert finding_of(edited_file, forged) == [
        ("generated/sql/prod/migrations.sum", "its total does not match its lines: it was edited by hand")
    ]
    assert finding_of(files, "total x\ngarbage\n")[0][0] == "generated/sql/prod/migrations.sum"
    assert [f for f, _ in finding_of(files, None)] == [f"generated/sql/prod/{n}" for n in sorted(files)]


def test_the_sum_keeps_recorded_hashes_so_an_edit_stays_visible() -> None:
    files = {"V0001__initial.sql": "-- one\n"}
    recorded = parse_sum(render_sum([(n, file_hash(t)) for n, t in files.items()]))
    tampered = {"V0001__initial.sql": "-- one, edited\n"}
    text = sum_with(recorded, tampered, None)
    assert verify_migrations("d", tampered, text)[0].message.startswith("V0001__initial.sql was edited")
    assert migration_version("V0012__x.sql") == 12 and migration_version(SUM_FILE) is None
    assert migration_version("V1__x.sql") is None and migration_version("V0001__x.sql.bak") is None


def history_after(generation_files: dict[str, str], env: str) -> tuple[dict[str, str], str | None]:
    prefix = f"sql/{env}/"
    found = {p[len(prefix) :]: t for p, t in generation_files.items() if p.startswith(prefix)}
    return {n: t for n, t in found.items() if n != SUM_FILE}, found.get(SUM_FILE)


def test_generate_writes_migrations_run_after_run(retail_project: Project) -> None:
    from accelerator.generate import ErdInput, PolicyInput, govern_inputs

    erd = ErdInput(ERD, (ROOT / ERD).read_text(), "retail")
    governed = govern_inputs("retail", [erd], PolicyInput(POLICY, (ROOT / POLICY).read_text()))
    first = generate(governed, ["prod"], terraform=False, history=MigrationHistory(None))
    files, sum_text = history_after(first.files, "prod")
    assert list(files) == ["V0001__initial.sql"] and sum_text is not None
    assert not any(p.startswith("sql/prod/") and "retail.sql" in p for p in first.files)
    previous = Project.model_validate_json(first.files["model.json"])
    # nothing changed: no new migration, the same files
    same = generate(
        governed,
        ["prod"],
        terraform=False,
        history=MigrationHistory(previous, {"prod": files}, {"prod": sum_text}),
    )
    assert history_after(same.files, "prod") == (files, sum_text)
    # a change: V0002 with only it, the sum extended
    governed.project = edited(governed.project)
    second = generate(
        governed,
        ["prod"],
        terraform=False,
        history=MigrationHistory(previous, {"prod": files}, {"prod": sum_text}),
    )
    files2, sum2 = history_after(second.files, "prod")
    assert sorted(files2) == ["V0001__initial.sql", "V0002__add_orders_channel_drop_orders_ip_address.sql"]
    assert sum2 is not None and verify_migrations("d", files2, sum2) == []
    assert files2["V0001__initial.sql"] == files["V0001__initial.sql"]


def test_plan_previews_each_environment(retail_project: Project) -> None:
    after = edited(retail_project)
    plans = plan_environments(retail_project, after, ["dev", "prod"], terraform=True)
    assert has_destructive(plans)
    text = plan_text(plans)
    assert "!! DS103 destructive column dropped: retail.sales.orders.ip_address" in text
    assert "ALTER TABLE `prod_retail`.`sales`.`orders` DROP COLUMN `ip_address`;" in text
    data = json.loads(plan_json(plans))
    [dev, prod] = data["environments"]
    assert data["destructive"] is True and prod["destructive"] == 1 and dev["environment"] == "dev"
    assert {"code": "DS103", "risk": "destructive", "object": "retail.sales.orders.ip_address",
            "description": "column dropped: retail.sales.orders.ip_address"} in prod["changes"]  # fmt: skip
    assert any("`dev_retail`" in s for s in dev["sql"])
    markdown = plan_markdown(plans)
    assert "| `DS103` | 🛑 **destructive** | column dropped: retail.sales.orders.ip_address |" in markdown
    assert markdown.count("<details><summary>SQL for") == 2 and "```sql" in markdown
    unchanged = plan_environments(retail_project, retail_project, ["prod"], terraform=True)
    assert not has_destructive(unchanged) and plan_text(unchanged) == "prod: no changes\n"


def test_plan_markdown_stays_within_a_comment(retail_project: Project) -> None:
    plans = plan_environments(
        empty_like(retail_project), retail_project, ["dev", "staging", "prod"], terraform=False
    )
    big = [type(p)(p.environment, p.changes, p.statements * 40) for p in plans]
    markdown = plan_markdown(big)
    assert len(markdown) < 65_536 and "cut: run `accelerator plan`" in markdown


def test_plan_markdown_fences_sql_past_any_backticks_it_holds(retail_project: Project) -> None:
    [plan] = plan_environments(empty_like(retail_project), retail_project, ["dev"], terraform=False)
    planted = "COMMENT ON TABLE t IS 'a ```` b ````` c'"  # a comment written in a PR's ERD
    markdown = plan_markdown([type(plan)(plan.environment, plan.changes, (*plan.statements, planted))])
    fence = "``````"
    assert f"{fence}sql\n" in markdown and markdown.count(f"\n{fence}\n") == 1
