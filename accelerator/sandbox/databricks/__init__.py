"""A local Databricks workspace for the accelerator's `apply`, `drift` and tests: an in-memory Unity
Catalog that executes the statement forms the accelerator generates and fails with Databricks' error
classes, behind the REST endpoints databricks-sdk calls (statement execution, current user, Lakebase)."""

from accelerator.sandbox.databricks.api import (
    Injection,
    Workspace,
    create_databricks_app,
    create_databricks_routes,
    workspace_of,
)
from accelerator.sandbox.databricks.engine import UnityCatalog
from accelerator.sandbox.databricks.errors import SqlError

__all__ = [
    "Injection",
    "SqlError",
    "UnityCatalog",
    "Workspace",
    "create_databricks_app",
    "create_databricks_routes",
    "workspace_of",
]
