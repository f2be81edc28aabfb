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
databricks:
  warehouse_id: 1234567890abcdef  # the SQL warehouse `accelerator apply` and `drift` run statements on
```

`memory:` (where the conversation memory is, read by `accelerator.memory.MemoryConfig`) and `bot:`
(the PR bot's settings, `BotConfig`) are *trusted* sections, see below.

Every accelerator.yaml is checked as if it were untrusted: environment, project, catalog and schema
names are ASCII letters, digits, `_` and `-`; `output`, `policy`, every ERD path or glob and the local
Terraform state (`terraform.backend.local.path` / `workspace_dir`, relative to the directory Terraform
runs in, `<output>/terraform/<env>/`) are relative, never inside `.git`, and stay inside the
repository root (the directory holding this file), symlinks included; a `**` glob does not descend
into symbolic links or hidden directories. Sizes are bounded: the file (`MAX_CONFIG_BYTES`), the
number of environments, ERD sources and the files their globs match, the directory entries a glob
may visit, path lengths, and the Terraform backend's settings (a known backend kind, plain keys,
bounded strings and nesting); a SQL `dialect` is one sqlglot reads, without settings. Each violation
is a located error (file:line:col); the CLI prints it and exits 2. `ProjectConfig.inside_root` is the
check for paths found later (each file written under `output`).

Trust. `load_config(path, trusted=True)` is the terminal's reading of the user's own working tree:
everything is honoured. `load_config(path, trusted=False)` is how a pull request's head is read
(the PR bot): the `memory:` and `bot:` sections are *not* read (a PR could otherwise point the
memory, and the Lakebase token minted for it, at its own host, or grant itself permissions); each
one present is a `ConfigWarning` in `config.warnings`, located at its key, and `config.memory` /
`config.bot` keep their defaults. The trusted settings come from the environment and CLI flags (the
memory, see `accelerator.memory.connection`) and from the base branch's or the operator's
accelerator.yaml: `load_trusted_settings(text, file)` reads only those two sections of it into a
`TrustedSettings`; `ProjectConfig.trusted_settings()` gives them for a trusted config (and refuses
for an untrusted one). Either's `memory_config(MemoryConfig)` validates the memory section with
errors located in the file.

```yaml
bot:                              # trusted: honoured only from the base branch / the operator
  prefix: /uc                     # what a comment line starts with to be a command
  edit_permissions: [write, maintain, admin]   # GitHub permission levels allowed to edit
  write_spacing_seconds: 1        # between a worker's mutating GitHub requests (0 against the sandbox)
memory:                           # trusted: see accelerator.memory.config.MemoryConfig
  endpoint: projects/p/branches/b/endpoints/e
```
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import os
import posixpath
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from accelerator.errors import AcceleratorError, PolicyError, read_source
from accelerator.policy.identifiers import safe_name_problem
from accelerator.yamlsource import compose, construct, node_at, top_mapping, validation_error

ErdFormat = Literal["dbml", "mermaid", "markdown", "sql"]
CONFIG_NAMES = ("accelerator.yaml", "accelerator.yml")

MAX_CONFIG_BYTES = 1024 * 1024  # accelerator.yaml itself
MAX_ENVIRONMENTS = 32
MAX_ERD_SOURCES = 100  # entries under `erd:`
MAX_ERD_FILES = 1_000  # files all the ERD globs match together
MAX_GLOB_VISITS = 50_000  # directory entries one glob may look at
MAX_PATH_LENGTH = 1_024
MAX_BACKEND_STRING = 4_096  # one string of the Terraform backend's settings
MAX_BACKEND_ITEMS = 200  # values in the Terraform backend's settings, nested ones included
MAX_BACKEND_DEPTH = 4
# Sections only a trusted accelerator.yaml (the user's own tree, the base branch, the operator) sets.
TRUSTED_ONLY = ("memory", "bot")
# GitHub's repository permission levels, lowest first.
PermissionLevel = Literal["read", "triage", "write", "maintain", "admin"]
DEFAULT_EDIT_PERMISSIONS: tuple[PermissionLevel, ...] = ("write", "maintain", "admin")

Setting = tuple[str | int, ...]  # where a value is written in accelerator.yaml: ("erd", 0, "path")
ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigPathError(PolicyError):
    """A path in accelerator.yaml that leads outside the repository root."""


class UntrustedSettingError(AcceleratorError):
    """A trusted setting (`memory:`, `bot:`) asked of a configuration read as untrusted."""


@dataclass(frozen=True)
class ConfigWarning:
    """Something in accelerator.yaml that was ignored, and where."""

    message: str
    file: str
    line: int
    column: int
    hint: str | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def format(self) -> str:
        text = f"{self.location}: warning: {self.message}"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")


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
    if len(value) > MAX_PATH_LENGTH:
        return f"the path is {len(value)} characters long; at most {MAX_PATH_LENGTH}"
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in value):
        return "the path contains a control or invisible character"
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).anchor:
        return "the path must be relative to the directory holding accelerator.yaml, not absolute"
    normalized = posixpath.normpath(value.replace("\\", "/"))
    if normalized == ".." or normalized.startswith("../"):
        return "the path leads outside the repository root (the directory holding accelerator.yaml)"
    if any(part.lower() == ".git" for part in value.replace("\\", "/").split("/")):
        return "the path must not name .git (git's own files: its config may hold credentials)"
    return None


def _check_relative_path(value: str) -> str:
    problem = relative_path_problem(value)
    if problem:
        raise PydanticCustomError("unsafe_path", problem)
    return value


RelativePath = Annotated[str, AfterValidator(_check_relative_path)]


def _bare_path(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value  # `erd: [erd/a.dbml]`


def _check_dialect(value: str) -> str:
    """A dialect sqlglot reads, by its name alone (no `, setting = value` suffix)."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", value) is None:
        raise PydanticCustomError(
            "unsafe_dialect", "a SQL dialect is a name such as postgres, mysql or tsql, without settings"
        )
    from accelerator.erd.sql.reader import SUPPORTED_DIALECTS, sqlglot_dialect  # sqlglot: only when asked

    if sqlglot_dialect(value) not in SUPPORTED_DIALECTS:
        raise PydanticCustomError(
            "unknown_dialect", "unknown SQL dialect; use one of: " + ", ".join(SUPPORTED_DIALECTS)
        )
    return value


class ErdSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: RelativePath  # a file or a glob
    catalog: Annotated[str, _checked_name("catalog")] | None = None
    format: ErdFormat | None = None
    dialect: Annotated[str, AfterValidator(_check_dialect)] = "postgres"
    schema_: Annotated[str, _checked_name("schema")] = Field(default="default", alias="schema")


# The settings of a local state backend that are paths; relative to `<output>/terraform/<env>/`.
LOCAL_STATE_PATHS = ("path", "workspace_dir")
_BACKEND_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


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


def _backend_problems(value: Any, at: Setting, depth: int = 0) -> Iterator[tuple[Setting, str]]:
    """(where, what) for each value of a backend's settings that is not a plain, bounded value."""
    if isinstance(value, dict):
        if depth > MAX_BACKEND_DEPTH:
            yield at, f"the backend's settings nest more than {MAX_BACKEND_DEPTH} levels deep"
            return
        for key, item in value.items():
            if not isinstance(key, str) or _BACKEND_KEY.fullmatch(key) is None:
                yield at, f"{key!r} is not a setting name (letters, digits and '_')"
                return
            yield from _backend_problems(item, (*at, key), depth + 1)
    elif isinstance(value, list):
        if depth > MAX_BACKEND_DEPTH:
            yield at, f"the backend's settings nest more than {MAX_BACKEND_DEPTH} levels deep"
            return
        for index, item in enumerate(value):
            yield from _backend_problems(item, (*at, index), depth + 1)
    elif isinstance(value, str):
        if len(value) > MAX_BACKEND_STRING:
            yield at, f"the value is {len(value)} characters long; at most {MAX_BACKEND_STRING}"
        elif any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" for c in value):
            yield at, "the value contains a control or invisible character"
    elif value is not None and not isinstance(value, bool | int | float):
        yield (
            at,
            f"a backend setting is a string, number, boolean, list or mapping, not {type(value).__name__}",
        )


def _count_values(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_values(item) for item in value.values())
    if isinstance(value, list):
        return len(value) + sum(_count_values(item) for item in value)
    return 0


def _check_bot_prefix(value: str) -> str:
    if not 1 <= len(value) <= 32 or any(
        character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")
        for character in value
    ):
        raise PydanticCustomError(
            "bad_prefix", "the prefix is 1 to 32 characters without spaces or control characters, e.g. /uc"
        )
    return value


class DatabricksConfig(BaseModel):
    """Where `accelerator apply` and `drift` run their statements (`--warehouse` and
    `DATABRICKS_WAREHOUSE_ID` win over it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")] | None = None


class BotConfig(BaseModel):
    """The PR bot's settings (`bot:`), honoured only from a trusted accelerator.yaml (the base branch
    or the operator's), so that a pull request cannot grant itself permissions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prefix: Annotated[str, AfterValidator(_check_bot_prefix)] = "/uc"
    edit_permissions: list[PermissionLevel] = Field(
        default_factory=lambda: list(DEFAULT_EDIT_PERMISSIONS), min_length=1, max_length=5
    )
    write_spacing_seconds: float = Field(default=1.0, ge=0, le=60)

    @field_validator("edit_permissions")
    @classmethod
    def _distinct_levels(cls, value: list[PermissionLevel]) -> list[PermissionLevel]:
        repeated = next((level for position, level in enumerate(value) if level in value[:position]), None)
        if repeated is not None:
            raise PydanticCustomError("repeated", f"permission {repeated!r} is listed twice")
        return value

    def may_edit(self, permission: str) -> bool:
        """Whether a user with GitHub's `permission` (read, triage, write, maintain, admin) may edit."""
        return permission in self.edit_permissions


class _Located(BaseModel):
    """A model read from accelerator.yaml that remembers the file, to locate later errors."""

    _file: str | None = PrivateAttr(default=None)  # the config file and its YAML, to locate errors
    _text: str | None = PrivateAttr(default=None)
    _yaml: yaml.Node | None = PrivateAttr(default=None)

    def _remember(self, file: str, text: str, node: yaml.Node | None) -> None:
        self._file, self._text, self._yaml = file, text, node

    def _shown_file(self) -> str:
        return self._file or "accelerator.yaml"

    def _section(self, name: str, data: Any, model: type[ModelT]) -> ModelT:
        try:
            return model.model_validate(data)
        except ValidationError as invalid:
            raise validation_error(
                invalid, self._yaml, self._text or "", self._shown_file(), model, at=(name,)
            ) from None


class TrustedSettings(_Located):
    """The sections only a trusted accelerator.yaml sets: `memory:` and `bot:`."""

    model_config = ConfigDict(extra="ignore")

    memory: dict[str, Any] = Field(default_factory=dict)
    bot: BotConfig = Field(default_factory=BotConfig)

    def memory_config(self, model: type[ModelT]) -> ModelT:
        """The `memory:` section validated by `model` (accelerator.memory.MemoryConfig), its errors
        located in accelerator.yaml. The memory is not imported here: the core does not know it."""
        return self._section("memory", self.memory, model)


class ProjectConfig(_Located):
    model_config = ConfigDict(extra="forbid")

    project: Annotated[str, _checked_name("project")] = "main"
    erd: list[Annotated[ErdSource, BeforeValidator(_bare_path)]] = Field(
        default_factory=list, max_length=MAX_ERD_SOURCES
    )
    policy: RelativePath | None = None
    environments: list[Annotated[str, _checked_name("environment")]] = Field(
        default_factory=list, max_length=MAX_ENVIRONMENTS
    )
    output: RelativePath = "generated"
    terraform: TerraformConfig = Field(default_factory=TerraformConfig)
    databricks: DatabricksConfig = Field(default_factory=DatabricksConfig)
    memory: dict[str, Any] = Field(default_factory=dict)  # trusted only; see memory_config
    bot: BotConfig = Field(default_factory=BotConfig)  # trusted only; see trusted_settings
    root: Path = Field(default=Path("."), exclude=True)  # the directory holding the config file
    _trusted: bool = PrivateAttr(default=True)
    _warnings: list[ConfigWarning] = PrivateAttr(default_factory=list)

    @field_validator("environments")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = next((env for position, env in enumerate(value) if env in value[:position]), None)
        if repeated is not None:
            raise PydanticCustomError(
                "repeated", f"environment {repeated!r} is listed twice"
            )  # a safe name: no braces
        return value

    @property
    def trusted(self) -> bool:
        """False when read with `load_config(..., trusted=False)` (a pull request's head)."""
        return self._trusted

    @property
    def warnings(self) -> list[ConfigWarning]:
        """What was ignored while reading the file (the trusted sections of an untrusted file)."""
        return list(self._warnings)

    def trusted_settings(self) -> TrustedSettings:
        """`memory:` and `bot:` of a trusted configuration; an UntrustedSettingError for an untrusted
        one (read them from the base branch's file with `load_trusted_settings`)."""
        if not self._trusted:
            raise UntrustedSettingError(
                f"{self._shown_file()} was read as untrusted (a pull request's): its memory: and bot: "
                "sections are not used",
                hint="read the trusted settings from the base branch's accelerator.yaml "
                "(accelerator.config.load_trusted_settings) or the environment",
            )
        settings = TrustedSettings(memory=dict(self.memory), bot=self.bot)
        settings._remember(self._shown_file(), self._text or "", self._yaml)
        return settings

    def memory_config(self, model: type[ModelT]) -> ModelT:
        """The trusted `memory:` section validated by `model` (accelerator.memory.MemoryConfig),
        errors located at their line; refused for an untrusted configuration."""
        return self.trusted_settings().memory_config(model)

    def _shown_file(self) -> str:
        return self._file or str(self.root)

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
        """The files the `index`-th ERD source names (its glob expanded, sorted, at most
        `MAX_ERD_FILES`; see `expand_glob`), each checked to stay inside the root; a path without
        wildcards is returned even when missing, for the caller to report."""
        setting: Setting = ("erd", index, "path")
        try:
            matches = expand_glob(self.root, self.erd[index].path)
        except GlobLimitError as limit:
            raise self.error_at(setting, str(limit), hint=limit.hint) from None
        return [self.inside_root(match, setting=setting) for match in matches]

    def erd_paths_in(self, index: int, paths: Iterable[str]) -> list[str]:
        """The repository paths of a tree listing (`paths`, posix, relative to the root) that the
        `index`-th ERD source names, by `erd_files`' rules: for a reader that has no checkout yet
        (the bot lists the PR head's tree); a path without wildcards only when listed; a located
        error past `MAX_ERD_FILES`. Check the files with `erd_files` once they are written."""
        pattern = self.erd[index].path
        if not glob.has_magic(pattern):
            wanted = posixpath.normpath(pattern.replace("\\", "/"))
            return [path for path in paths if posixpath.normpath(path) == wanted][:1]
        try:
            return glob_matches(pattern, paths)
        except GlobLimitError as limit:
            raise self.error_at(("erd", index, "path"), str(limit), hint=limit.hint) from None

    def terraform_state_paths(self, environments: list[str]) -> dict[str, Path]:
        """For a local Terraform backend, the state file (`path`) of each environment, resolved
        against the directory Terraform runs in (`<output>/terraform/<env>/`) and checked to stay
        inside the root, as `workspace_dir` is; {} for any other backend."""
        from accelerator.render.naming import slug

        settings = self.terraform.backend.get("local")
        if settings is None:
            return {}
        found: dict[str, Path] = {}
        for env in environments:
            working = Path(self.output) / "terraform" / slug(env)
            for key in LOCAL_STATE_PATHS:
                value = settings.get(key)
                if isinstance(value, str):
                    resolved = self.inside_root(
                        working / value.replace("{env}", env), setting=("terraform", "backend", "local", key)
                    )
                    if key == "path":
                        found[env] = resolved
        return found

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


def load_config(path: Path, *, trusted: bool = True) -> ProjectConfig:
    """Read and validate `accelerator.yaml`; errors are located PolicyErrors (file:line:col). The
    policy, the output directory, the files the ERD globs match and a local Terraform state are
    checked to stay inside the root (a ConfigPathError otherwise).

    `trusted=False` reads a pull request's file: the `memory:` and `bot:` sections are dropped, each
    a `ConfigWarning` in `config.warnings`, and the file itself must not be a link out of its
    directory."""
    text = _read_config(path, trusted=trusted)
    file = str(path)
    node = compose(text, file)
    data = top_mapping(construct(node), text, file, empty_ok=True)
    warnings: list[ConfigWarning] = []
    if not trusted:
        for name in TRUSTED_ONLY:
            if name in data:
                del data[name]
                warnings.append(_ignored(name, node, file))
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as invalid:
        raise validation_error(invalid, node, text, file, ProjectConfig) from None
    config.root = path.parent
    config._remember(file, text, node)
    config._trusted, config._warnings = trusted, warnings
    _check_backend(config)
    config.policy_path()
    config.output_dir()
    total = 0
    for index in range(len(config.erd)):
        total += len(config.erd_files(index))
        if total > MAX_ERD_FILES:
            raise config.error_at(
                ("erd", index, "path"),
                f"the ERD sources match more than {MAX_ERD_FILES} files",
                hint="narrow the globs to the ERD files",
            )
    _check_state_links(config)
    return config


def load_trusted_settings(text: str, file: str) -> TrustedSettings:
    """The `memory:` and `bot:` sections of a trusted accelerator.yaml given as text (the base
    branch's, as the bot fetches it; "" when the base has none); the other sections are not read
    here. Errors are located PolicyErrors."""
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise _too_large(file, len(text.encode("utf-8")))
    node = compose(text, file)
    data = top_mapping(construct(node), text, file, empty_ok=True) if node is not None else {}
    try:
        settings = TrustedSettings.model_validate({name: data[name] for name in TRUSTED_ONLY if name in data})
    except ValidationError as invalid:
        raise validation_error(invalid, node, text, file, TrustedSettings) from None
    settings._remember(file, text, node)
    return settings


def _read_config(path: Path, *, trusted: bool) -> str:
    """The file's text, refused before reading when it is not a regular file, is too large or (for
    an untrusted one) is a link leading out of its directory."""
    try:
        status = path.stat()
    except OSError as error:
        raise AcceleratorError(
            f"config file {path} cannot be read: {error.strerror}", hint="check the path"
        ) from None
    if not stat.S_ISREG(status.st_mode):
        raise AcceleratorError(f"config file {path} is not a regular file", hint="give a YAML file")
    if not trusted and path.is_symlink():
        directory = path.parent.resolve()
        target = path.resolve()
        if target.parent != directory and not target.is_relative_to(directory):
            raise AcceleratorError(
                f"config file {path} is a symbolic link to {target}, outside the repository",
                hint="a pull request's accelerator.yaml must be a file of the repository",
            )
    if status.st_size > MAX_CONFIG_BYTES:
        raise _too_large(str(path), status.st_size)
    return read_source(path, str(path))


def _too_large(file: str, size: int) -> PolicyError:
    return PolicyError(
        f"the file is {size:,} bytes; accelerator.yaml may be at most {MAX_CONFIG_BYTES:,}",
        file=file,
        line=1,
        column=1,
        hint="accelerator.yaml only names files and settings; keep the ERDs and the policy in their own files",
    )


def _ignored(name: str, node: yaml.Node | None, file: str) -> ConfigWarning:
    what = {
        "memory": "where the conversation memory is and how the bot authenticates to it",
        "bot": "the bot's command prefix, who may edit and its write spacing",
    }[name]
    key = next(
        (key for key, _ in node.value if key.value == name)
        if isinstance(node, yaml.MappingNode)
        else iter(()),
        None,
    )
    mark = key.start_mark if key is not None else None
    return ConfigWarning(
        f"`{name}:` is ignored in a pull request's accelerator.yaml: {what} comes only from a "
        "trusted configuration",
        file=file,
        line=mark.line + 1 if mark else 1,
        column=mark.column + 1 if mark else 1,
        hint=f"change `{name}:` on the base branch (or the operator's settings); a pull request cannot",
    )


def _check_backend(config: ProjectConfig) -> None:
    """A known backend kind; plain, bounded settings; a local state that stays in the repository."""
    backend = config.terraform.backend
    if "terraform" not in config.model_fields_set or "backend" not in config.terraform.model_fields_set:
        return  # the default: a local terraform.{env}.tfstate next to each environment's stack
    ((kind, settings),) = backend.items()
    where: Setting = ("terraform", "backend", kind)
    if kind != "local":  # accelerator.render takes a third of a second to import: only when needed
        from accelerator.render.terraform_backend import BACKEND_CLASSES
    if kind != "local" and kind not in BACKEND_CLASSES:
        raise _backend_error(
            config,
            where,
            f"unknown Terraform backend {kind!r}",
            hint="use one of: " + ", ".join(sorted(BACKEND_CLASSES)),
        )
    for at, wrong in _backend_problems(settings or {}, where, 1):
        raise _backend_error(config, at, wrong, hint="write plain Terraform backend settings")
    if _count_values(settings or {}) > MAX_BACKEND_ITEMS:
        raise _backend_error(
            config,
            where,
            f"the backend has more than {MAX_BACKEND_ITEMS} settings",
            hint="keep the settings Terraform needs",
        )
    if kind == "local":
        for key in LOCAL_STATE_PATHS:
            value = (settings or {}).get(key)
            if value is None:
                continue
            at = (*where, key)
            if not isinstance(value, str):
                raise _backend_error(
                    config, at, "a local state path is a string", hint='e.g. "terraform.{env}.tfstate"'
                )
            written = value.replace("{env}", "env").replace("\\", "/")
            if not written.strip():
                problem: str | None = "the path must not be empty"
            elif PurePosixPath(written).is_absolute() or PureWindowsPath(value).anchor:
                problem = "the path must be relative, not absolute"
            else:  # relative to where Terraform runs, which is inside the root
                working = posixpath.join(config.output.replace("\\", "/"), "terraform", "env")
                problem = relative_path_problem(posixpath.join(working, written))
            if problem is not None:
                raise config.error_at(
                    at,
                    f"terraform.backend.local.{key}: {problem}",
                    hint=f"it is relative to the directory Terraform runs in, {config.output}/terraform/<env>/; "
                    "keep the state inside the repository, e.g. terraform.{env}.tfstate",
                )


_STACK = "\x00stack"  # the directory of one environment's stack; no path in the file holds a NUL


def _check_state_links(config: ProjectConfig) -> None:
    """A local state path, once joined to `<output>/terraform/<env>/`, does not lead out of the root
    through a symbolic link. Where it stays inside the stack's directory, the directory itself is
    checked when generate writes the stack into it, and `terraform_state_paths` checks it whole."""
    settings = config.terraform.backend.get("local") or {}
    for key in LOCAL_STATE_PATHS:
        value = settings.get(key)
        if not isinstance(value, str):
            continue
        written = value.replace("\\", "/")  # `{env}` kept: one name, the same for every environment
        parts = posixpath.normpath(posixpath.join(config.output, "terraform", _STACK, written)).split("/")
        config.inside_root(
            "/".join(parts[: parts.index(_STACK)] if _STACK in parts else parts),
            setting=("terraform", "backend", "local", key),
        )


def _backend_error(config: ProjectConfig, at: Setting, message: str, *, hint: str) -> PolicyError:
    error = config.error_at(at, message, hint=hint)
    return PolicyError(
        error.message, file=error.file, line=error.line, column=error.column, hint=hint, source=error.source
    )


class GlobLimitError(AcceleratorError):
    """A glob that matches or visits too much."""


def expand_glob(base: Path, pattern: str) -> list[Path]:
    """The paths `pattern` (relative to `base`, or absolute) matches, sorted; `pattern` itself when it
    has no wildcard. As `glob.glob(recursive=True)` does, `*` and `?` do not match a leading `.` and
    `**` matches any number of directories; unlike it, `**` never descends into a symbolic link or a
    hidden directory (a link loop would make it endless), at most `MAX_GLOB_VISITS` directory
    entries are looked at and at most `MAX_ERD_FILES` paths returned (a GlobLimitError otherwise)."""
    full = pattern if Path(pattern).is_absolute() else str(base / pattern)
    if not glob.has_magic(full):
        return [Path(full)]
    parts = Path(
        posixpath.normpath(full.replace("\\", "/")) if os.sep == "/" else os.path.normpath(full)
    ).parts
    fixed = next(index for index, part in enumerate(parts) if glob.has_magic(part))
    start = Path(*parts[:fixed]) if fixed else Path(".")
    walk = _GlobWalk(pattern)
    walk.select(start, list(parts[fixed:]))
    return sorted(walk.found, key=str)


def glob_matches(pattern: str, paths: Iterable[str]) -> list[str]:
    """The repository-relative posix `paths` (a tree listing, e.g. GitHub's) that `pattern` matches,
    sorted, by `expand_glob`'s rules but without a filesystem: `*`, `?` and `[...]` within one name
    and never a leading `.` unless the pattern's name starts with one; `**` any number of
    directories, none hidden. At most `MAX_ERD_FILES` (a GlobLimitError otherwise)."""
    normalized = posixpath.normpath(pattern.replace("\\", "/"))
    parts = tuple(part for part in normalized.split("/") if part not in ("", "."))
    found = sorted(path for path in paths if _matches(parts, tuple(posixpath.normpath(path).split("/"))))
    if len(found) > MAX_ERD_FILES:
        raise GlobLimitError(
            f"the glob {pattern!r} matches more than {MAX_ERD_FILES} files", hint="narrow it to the ERD files"
        )
    return found


@functools.lru_cache(maxsize=4096)
def _matches(pattern: tuple[str, ...], names: tuple[str, ...]) -> bool:
    if not pattern:
        return not names
    part, rest = pattern[0], pattern[1:]
    if part == "**":
        if _matches(rest, names):
            return True
        if not rest and names and not any(name.startswith(".") for name in names):
            return True  # a trailing ** matches every file below
        return (
            bool(names) and not names[0].startswith(".") and len(names) > 1 and _matches(pattern, names[1:])
        )
    if not names:
        return False
    name = names[0]
    if not glob.has_magic(part):
        return part == name and _matches(rest, names[1:])
    if name.startswith(".") and not part.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, part) and _matches(rest, names[1:])


class _GlobWalk:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.found: set[Path] = set()
        self.visits = 0

    def entries(self, directory: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            return []
        self.visits += len(entries)
        if self.visits > MAX_GLOB_VISITS:
            raise GlobLimitError(
                f"the glob {self.pattern!r} looks at more than {MAX_GLOB_VISITS:,} files and directories",
                hint="start the glob at the directory holding the ERDs, e.g. erd/**/*.dbml",
            )
        return entries

    def add(self, path: Path) -> None:
        self.found.add(path)
        if len(self.found) > MAX_ERD_FILES:
            raise GlobLimitError(
                f"the glob {self.pattern!r} matches more than {MAX_ERD_FILES} files",
                hint="narrow it to the ERD files",
            )

    def select(self, directory: Path, parts: list[str]) -> None:
        if not parts:
            self.add(directory)
            return
        part, rest = parts[0], parts[1:]
        if part == "**":
            self.select(directory, rest)  # zero directories
            for entry in self.entries(directory):
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    self.select(Path(entry.path), parts)
                elif not rest:
                    self.add(Path(entry.path))
        elif not glob.has_magic(part):
            child = directory / part
            if not rest:
                if os.path.lexists(child):
                    self.add(child)
            elif child.is_dir():
                self.select(child, rest)
        else:
            for entry in self.entries(directory):
                if entry.name.startswith(".") and not part.startswith("."):
                    continue
                if not fnmatch.fnmatchcase(entry.name, part):
                    continue
                if not rest:
                    self.add(Path(entry.path))
                elif entry.is_dir():  # one level through a link: bounded by the pattern's depth
                    self.select(Path(entry.path), rest)
