"""`accelerator.yaml`: where the ERDs and the policy are, which environments, where output goes.

```yaml
project: retail                 # project name; also the default catalog (domain) name
erd:                            # files or globs, relative to this file; a bare string is a path
  - path: erd/*.dbml
    catalog: retail             # logical catalog (domain); default: the project name
    format: dbml                # dbml | mermaid | markdown | sql; default: from the extension
    dialect: postgres           # SQL DDL only: any dialect sqlglot reads
    schema: default             # schema of tables that name none
policy: policies/governance.yaml  # default: the built-in policy
environments: [dev, staging, prod]  # default: the policy's environments, else [dev]
output: generated               # where `plan` writes
terraform:
  enabled: true
  backend: {local: {path: "terraform.{env}.tfstate"}}   # or s3/azurerm/gcs/remote; {env} is replaced
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accelerator.yamlsource import load_yaml_model

ErdFormat = Literal["dbml", "mermaid", "markdown", "sql"]
CONFIG_NAMES = ("accelerator.yaml", "accelerator.yml")


class ErdSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    catalog: str | None = None
    format: ErdFormat | None = None
    dialect: str = "postgres"
    schema_: str = Field(default="default", alias="schema")


class TerraformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    backend: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"local": {"path": "terraform.{env}.tfstate"}}
    )

    @field_validator("backend")
    @classmethod
    def _one_backend(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if len(value) != 1:
            raise ValueError("give exactly one backend, e.g. {local: {path: terraform.{env}.tfstate}}")
        return value


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str = "main"
    erd: list[ErdSource | str] = Field(default_factory=list)
    policy: str | None = None
    environments: list[str] = Field(default_factory=list)
    output: str = "generated"
    terraform: TerraformConfig = Field(default_factory=TerraformConfig)
    memory: dict[str, Any] = Field(default_factory=dict)  # read by accelerator.memory
    root: Path = Field(default=Path("."), exclude=True)  # the directory holding the config file

    def erd_sources(self) -> list[ErdSource]:
        return [ErdSource(path=e) if isinstance(e, str) else e for e in self.erd]


def find_config(start: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = start / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path) -> ProjectConfig:
    """Read and validate `accelerator.yaml`; errors are located PolicyErrors (file:line:col)."""
    config = load_yaml_model(path.read_text(encoding="utf-8"), str(path), ProjectConfig)
    config.root = path.parent
    return config
