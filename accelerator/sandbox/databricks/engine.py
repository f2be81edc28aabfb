"""`UnityCatalog`: the store (`catalog.py`) that executes statements.

`UnityCatalog.execute(statement, user, catalog=..., schema=..., parameters=...)` runs one statement
as `user` and returns its result, or raises `SqlError` with Databricks' error class.
"""

from __future__ import annotations

from typing import Any

from accelerator.sandbox.databricks.catalog import CatalogStore
from accelerator.sandbox.databricks.query import Result
from accelerator.sandbox.databricks.session import Session
from accelerator.sandbox.databricks.statements import run


class UnityCatalog(CatalogStore):
    def execute(
        self,
        statement: str,
        user: str,
        catalog: str | None = None,
        schema: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Result:
        with self.lock:
            return run(Session(self, user, catalog, schema, parameters or {}), statement)
