"""The sandbox's in-memory Unity Catalog as a `StatementRunner` (no HTTP): each statement executed by
`UnityCatalog.execute` as one user, its values as the Statement Execution API gives them."""

from __future__ import annotations

from accelerator.deploy.runner import Rows, StatementFailed
from accelerator.sandbox.databricks.catalog import UnityCatalog
from accelerator.sandbox.databricks.errors import SqlError
from accelerator.sandbox.databricks.query import as_text

ADMIN = "admin@example.com"


class EngineRunner:
    def __init__(self, uc: UnityCatalog | None = None, user: str = ADMIN) -> None:
        self.uc = uc if uc is not None else UnityCatalog(admins=[ADMIN])
        self.user = user
        self.executed: list[str] = []

    def execute(self, sql: str) -> Rows:
        self.executed.append(sql)
        try:
            result = self.uc.execute(sql, self.user)
        except SqlError as error:
            raise StatementFailed(error.text) from None
        return Rows(
            tuple(name.lower() for name, _ in result.columns),
            tuple(tuple(as_text(value) for value in row) for row in result.rows),
        )
