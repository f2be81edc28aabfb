"""Installs the statement runner into `catalog.UnityCatalog` (the store never imports the statement
forms, which import the store); the package imports this module, so `UnityCatalog.execute` works
whenever `accelerator.sandbox.databricks` is imported."""

from __future__ import annotations

from typing import Any

from accelerator.sandbox.databricks.catalog import UnityCatalog
from accelerator.sandbox.databricks.query import Result
from accelerator.sandbox.databricks.session import Session
from accelerator.sandbox.databricks.statements import run


def run_statement(
    uc: UnityCatalog,
    statement: str,
    user: str,
    catalog: str | None,
    schema: str | None,
    parameters: dict[str, Any],
) -> Result:
    return run(Session(uc, user, catalog, schema, parameters), statement)


UnityCatalog.runner = run_statement

__all__ = ["UnityCatalog"]
