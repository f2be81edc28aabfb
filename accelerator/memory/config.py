"""Which PostgreSQL the memory lives in: a URL, Lakebase (Provisioned or Autoscaling), or embedded.

`MemoryConfig` is the `memory:` section of accelerator.yaml. Every field is optional: with nothing set,
environment variables decide (see `resolve_connection`), and with none of those either the demo uses an
embedded PostgreSQL under `.accelerator/pg`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# projects/{project_id}/branches/{branch_id}/endpoints/{endpoint_id}, as the Postgres API names it.
ENDPOINT_NAME = re.compile(r"^projects/[^/\s]+/branches/[^/\s]+/endpoints/[^/\s]+$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

DEFAULT_SCHEMA = "accelerator"
DEFAULT_EMBEDDED_DIR = Path(".accelerator/pg")
LAKEBASE_DATABASE = "databricks_postgres"
LAKEBASE_PORT = 5432


class MemoryConfig(BaseModel):
    """Where the memory database is and how to authenticate; passwords only ever as `SecretStr`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    url: SecretStr | None = Field(default=None, description="Any PostgreSQL URL (it may hold a password).")
    instance_name: str | None = Field(default=None, description="Lakebase Provisioned database instance.")
    endpoint: str | None = Field(
        default=None, description="Lakebase Autoscaling endpoint: projects/P/branches/B/endpoints/E."
    )
    host: str | None = Field(default=None, description="Overrides the host the Databricks API reports.")
    port: int | None = Field(default=None, ge=1, le=65535)
    database: str | None = None
    user: str | None = Field(default=None, description="Postgres role; defaults to the Databricks identity.")
    schema_name: str = Field(default=DEFAULT_SCHEMA, alias="schema")
    embedded_dir: Path = DEFAULT_EMBEDDED_DIR
    token_refresh_margin: timedelta = Field(default=timedelta(minutes=2))
    # Lakebase tokens live one hour; a pooled connection is recycled well before its token could matter.
    max_connection_lifetime: timedelta = Field(default=timedelta(minutes=45))
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_a_resource_name(cls, value: str | None) -> str | None:
        if value is not None and not ENDPOINT_NAME.match(value):
            raise ValueError(
                f"endpoint {value!r} is not of the form projects/<project>/branches/<branch>/endpoints/<endpoint>"
            )
        return value

    @field_validator("schema_name")
    @classmethod
    def _schema_is_a_plain_identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"schema {value!r} must be lower-case letters, digits and underscores")
        return value

    @field_validator("token_refresh_margin")
    @classmethod
    def _margin_is_at_least_two_minutes(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=2):
            raise ValueError("token_refresh_margin must be at least 2 minutes")
        return value
