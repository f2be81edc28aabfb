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
output: generated               # where `generate` writes
terraform:
  enabled: true
  backend: {local: {path: "terraform.{env}.tfstate"}}   # or s3/azurerm/gcs/remote; {env} is replaced
```

A pull request's configuration is untrusted: environment, project, catalog and schema names are
ASCII letters, digits, `_` and `-`; `output`, `policy` and every ERD path or glob are relative and
stay inside the repository root (the directory holding this file), symlinks included. Each
violation is a located error at its line. `ProjectConfig.inside_root` is the check for paths found
later (each file a glob matches, each file written under `output`).
"""

from __future__ import annotations

import glob
import os
import posixpath
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
)
from pydantic_core import PydanticCustomError

from accelerator.errors import PolicyError, read_source
from accelerator.policy.identifiers import safe_name_problem
from accelerator.yamlsource import compose, load_yaml_model, node_at

ErdFormat = Literal["dbml", "mermaid", "markdown", "sql"]
CONFIG_NAMES = ("accelerator.yaml", "accelerator.yml")


Setting = tuple[str | int, ...]  # where a value is written in accelerator.yaml: ("erd", 0, "path")


class ConfigPathError(PolicyError):
    """A path in accelerator.yaml that leads outside the repository root."""


def _checked_name(what: str) -> Any:
    def check(value: str) -> str:
        problem = safe_name_problem(value, what)
        if problem:
            raise PydanticCustomError("unsafe_name", problem)
        return value

    return AfterValidator(check)


def relative_path_problem(value: str) -> str | None:
    """Why `value` (a path or glob from accelerator.yaml) may lead outside the root, or None."""
    if not value.strip():
        return "the path must not be empty"
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in value):
        return "the path contains a control or invisible character"
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).anchor:
        return "the path must be relative to the directory holding accelerator.yaml, not absolute"
    normalized = posixpath.normpath(value.replace("\\", "/"))
    if normalized == ".." or normalized.startswith("../"):
        return "the path leads outside the repository root (the directory holding accelerator.yaml)"
    return None


def _check_relative_path(value: str) -> str:
    problem = relative_path_problem(value)
    if problem:
        raise PydanticCustomError("unsafe_path", problem)
    return value


RelativePath = Annotated[str, AfterValidator(_check_relative_path)]


def _bare_path(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value  # `erd: [erd/a.dbml]`


class ErdSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: RelativePath  # a file or a glob
    catalog: Annotated[str, _checked_name("catalog")] | None = None
    format: ErdFormat | None = None
    dialect: str = "postgres"
    schema_: Annotated[str, _checked_name("schema")] = Field(default="default", alias="schema")


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

    project: Annotated[str, _checked_name("project")] = "main"
    erd: list[Annotated[ErdSource, BeforeValidator(_bare_path)]] = Field(default_factory=list)
    policy: RelativePath | None = None
    environments: list[Annotated[str, _checked_name("environment")]] = Field(default_factory=list)
    output: RelativePath = "generated"
    terraform: TerraformConfig = Field(default_factory=TerraformConfig)
    memory: dict[str, Any] = Field(default_factory=dict)  # read by accelerator.memory
    root: Path = Field(default=Path("."), exclude=True)  # the directory holding the config file
    _file: str | None = PrivateAttr(default=None)  # the config file and its YAML, to locate errors
    _text: str | None = PrivateAttr(default=None)
    _yaml: yaml.Node | None = PrivateAttr(default=None)

    @field_validator("environments")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = next((env for position, env in enumerate(value) if env in value[:position]), None)
        if repeated is not None:
            raise PydanticCustomError(
                "repeated", f"environment {repeated!r} is listed twice"
            )  # a safe name: no braces
        return value

    def erd_sources(self) -> list[ErdSource]:
        return list(self.erd)

    def inside_root(self, path: Path | str, *, setting: Setting = ()) -> Path:
        """`path` (relative to the root, or absolute) resolved, symlinks followed; a ConfigPathError at
        `setting`'s line in accelerator.yaml when it lands outside the repository root. Call it on
        every path that comes from the configuration before reading or writing it."""
        root = self.root.resolve()
        given = Path(path)
        resolved = (given if given.is_absolute() else self.root / given).resolve()
        if resolved == root or resolved.is_relative_to(root):
            return resolved
        lexical = Path(os.path.normpath(given if given.is_absolute() else self.root.absolute() / given))
        linked = " (through a symbolic link)" if lexical.is_relative_to(self.root.absolute()) else ""
        raise self.error_at(
            setting,
            f"{path} resolves to {resolved}{linked}, outside the repository root {root}",
            hint="keep every file the configuration names inside the repository; "
            "a symbolic link must not point outside it",
        )

    def output_dir(self) -> Path:
        """Where `generate` writes, checked to stay inside the root."""
        return self.inside_root(self.output, setting=("output",))

    def policy_path(self) -> Path | None:
        """The policy file, checked to stay inside the root; None for the built-in policy."""
        return self.inside_root(self.policy, setting=("policy",)) if self.policy else None

    def erd_files(self, index: int) -> list[Path]:
        """The files the `index`-th ERD source names (its glob expanded, sorted), each checked to stay
        inside the root; missing files are left to the caller to report."""
        pattern = str(self.root / self.erd[index].path)
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        return [self.inside_root(match, setting=("erd", index)) for match in matches]

    def error_at(self, setting: Setting, message: str, *, hint: str | None = None) -> ConfigPathError:
        """A ConfigPathError at the line of `setting` in accelerator.yaml (its first line when the
        setting is not written there, or the root directory when there is no file)."""
        node = node_at(self._yaml, setting) if self._yaml is not None else None
        mark = node.start_mark if node is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return ConfigPathError(
            message, file=self._file or str(self.root), line=line, column=column, hint=hint, source=self._text
        )


def find_config(start: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = start / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path) -> ProjectConfig:
    """Read and validate `accelerator.yaml`; errors are located PolicyErrors (file:line:col). The
    policy, the output directory and the files the ERD globs match are checked to stay inside the
    root (a ConfigPathError otherwise)."""
    text = read_source(path, str(path))
    config = load_yaml_model(text, str(path), ProjectConfig)
    config.root = path.parent
    config._file, config._text, config._yaml = str(path), text, compose(text, str(path))
    config.policy_path()
    config.output_dir()
    for index in range(len(config.erd)):
        config.erd_files(index)
    return config
