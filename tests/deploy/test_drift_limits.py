"""`drift` on a large workspace: each view is read in pages of only the compared columns, with the
history schema and information_schema left out by the query (no `SELECT *` through the API's 25 MiB
inline limit), and its Markdown report (an issue body) stays under GitHub's 65,536 characters."""

from __future__ import annotations

import re

import pytest

from accelerator.deploy import drift as drift_module
from accelerator.deploy.drift import MARKER, DriftFinding, DriftReport, drift, drift_markdown
from accelerator.deploy.runner import Rows
from tests.deploy.engine import EngineRunner
from tests.deploy.test_drift import project


class Recording:
    def __init__(self, engine: EngineRunner) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def execute(self, sql: str) -> Rows:
        self.statements.append(sql)
        return self.engine.execute(sql)


def workspace() -> EngineRunner:
    engine = EngineRunner()
    for statement in (
        "CREATE CATALOG `dev_retail`",
        "CREATE SCHEMA `dev_retail`.`crm`",
        "CREATE SCHEMA `dev_retail`.`_accelerator`",
        "CREATE TABLE `dev_retail`.`_accelerator`.`schema_history` (`version` INT)",
        "CREATE TABLE `dev_retail`.`crm`.`customers` (`customer_id` BIGINT NOT NULL, `email` STRING, `x` INT)",
        "CREATE TABLE `dev_retail`.`crm`.`scratch` (`a` INT, `b` INT, `c` INT)",
        "ALTER TABLE `dev_retail`.`crm`.`customers` SET TAGS ('domain' = 'crm', 'team' = 'a', 'tier' = 'b')",
    ):
        engine.execute(statement)
    return engine


def test_views_are_read_in_pages_of_the_compared_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = drift(workspace(), project(), "dev").findings
    monkeypatch.setattr(drift_module, "PAGE_ROWS", 2)
    runner = Recording(workspace())
    assert drift(runner, project(), "dev").findings == whole  # the same differences, page by page
    assert whole and not any("SELECT *" in sql for sql in runner.statements)
    assert all(
        sql.endswith(tuple(f"LIMIT 2 OFFSET {n}" for n in range(0, 40, 2))) for sql in runner.statements
    )
    columns = [sql for sql in runner.statements if "`information_schema`.`columns`" in sql]
    assert [int(re.sub(r".*OFFSET ", "", sql)) for sql in columns] == [0, 2, 4, 6]  # 6 columns: 4 pages
    assert "WHERE `table_schema` NOT IN ('_accelerator', 'information_schema')" in columns[0]
    assert not any(f.object.startswith("dev_retail._accelerator") for f in whole)


def test_the_markdown_report_fits_one_issue_and_counts_what_it_leaves_out() -> None:
    findings = [
        DriftFinding(f"dev_retail.crm.table_{i:05d}.{'c' * 80}", "column", "undeclared", actual="STRING")
        for i in range(5_000)
    ]
    body = drift_markdown(DriftReport("dev", ["dev_retail"], findings))
    assert body.startswith(MARKER) and len(body) <= drift_module.MAX_MARKDOWN_CHARS < 65_536
    assert "5000 differences." in body
    listed = body.count("| undeclared |")
    more = re.search(r"\| \.\.\. \| and (\d+) more \|", body)
    assert more is not None and listed + int(more.group(1)) == 5_000 and listed > 100
    small = drift_markdown(DriftReport("dev", ["dev_retail"], findings[:3]))
    assert small.count("| undeclared |") == 3 and "more |" not in small
