"""The sandbox's in-memory Unity Catalog as a `StatementRunner` (no HTTP): each statement executed by
`UnityCatalog.execute` as one user, its values as the Statement Execution API gives them."""

from __future__ import annotations

import datetime
from typing import Any

from accelerator.deploy.runner import Rows, StatementFailed
from accelerator.sandbox.databricks import SqlError, UnityCatalog

ADMIN = "admin@example.com"


def as_text(value: Any) -> str | None:
    """A value as the API's JSON_ARRAY format writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return str(value)


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
