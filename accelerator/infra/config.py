"""`infra/infra.yaml`: what `accelerator infra synth` deploys, validated with located errors.

Every name that reaches Terraform is checked against the rules of the API that receives it (RFC 1123
ids for Lakebase, Postgres and Unity Catalog identifiers, Databricks App names, GitHub's owner and
repository names), and none may contain `$`, `%`, `{` or `}`, so no value can become a cdktn token or
a Terraform template. Sizes are bounded: the file (`MAX_INFRA_BYTES`), every string, the lists.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from accelerator.errors import AcceleratorError, PolicyError, read_source
from accelerator.yamlsource import compose, construct, key_node_at, node_at, top_mapping, validation_error

MAX_INFRA_BYTES = 64 * 1024
MAX_ENVIRONMENTS = 20
MAX_CATALOGS = 50
MAX_EXTRA_ACCESS = 20
MAX_BACKEND_STRING = 1_024
DEFAULT_CONFIG = Path("infra/infra.yaml")

Setting = tuple[str | int, ...]

# Terraform backend kinds the cdktn renderer knows (accelerator/render/terraform_backend.py).
BACKEND_KINDS = ("azurerm", "cloud", "gcs", "http", "local", "pg", "remote", "s3")
ACCOUNT_HOSTS = {
    "aws": "https://accounts.cloud.databricks.com",
    "azure": "https://accounts.azuredatabricks.net",
    "gcp": "https://accounts.gcp.databricks.com",
}


def _matching(pattern: str, code: str, message: str) -> Any:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise PydanticCustomError(code, message)
        return value

    return AfterValidator(check)


# Lakebase project, branch and endpoint ids; Provisioned instance names (RFC 1123 labels).
LakebaseId = Annotated[
    str,
    _matching(
        r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "lakebase_id",
        "an id of 1 to 63 lower-case letters, digits and '-', starting with a letter, not ending with '-'",
    ),
]
DatabaseName = Annotated[
    str,
    _matching(
        r"[a-z][a-z0-9_]{2,55}[a-z0-9]",
        "database_name",
        "a Postgres database name of 4 to 57 lower-case letters, digits and '_', starting with a letter "
        "and not ending with '_'",
    ),
]
CatalogName = Annotated[
    str,
    _matching(
        r"[a-z_][a-z0-9_]{0,127}",
        "catalog_name",
        "a Unity Catalog name of 1 to 128 lower-case letters, digits and '_', not starting with a digit",
    ),
]
AppName = Annotated[
    str,
    _matching(
        r"[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])",
        "app_name",
        "a Databricks App name of 2 to 30 lower-case letters, digits and '-', not starting or ending with '-'",
    ),
]
SecretName = Annotated[
    str,
    _matching(r"[A-Za-z0-9_.-]{1,128}", "secret_name", "1 to 128 letters, digits, '_', '.' and '-'"),
]
PrincipalName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9_][A-Za-z0-9 _.@+-]{0,127}",
        "principal_name",
        "a name of 1 to 128 letters, digits, spaces and '_.@+-', starting with a letter, digit or '_'",
    ),
]
HttpsUrl = Annotated[
    str,
    _matching(
        r"https://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]{0,200})?",
        "https_url",
        "an https:// URL (host, optional port and path; no query, no credentials)",
    ),
]
WorkspaceHost = Annotated[
    str,
    _matching(
        r"https://[A-Za-z0-9.-]{1,253}/?",
        "workspace_host",
        "the workspace URL, https://HOST with no path, e.g. https://dbc-1234abcd-5678.cloud.databricks.com",
    ),
]
AccountId = Annotated[
    str,
    _matching(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "account_id",
        "the Databricks account id, a lower-case UUID (account console > your user menu)",
    ),
]
Repository = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/(?!\.\.?$)[A-Za-z0-9._-]{1,100}",
        "repository",
        "OWNER/REPO as GitHub spells them, e.g. my-org/data-platform",
    ),
]
EnvironmentName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}",
        "environment_name",
        "a GitHub environment name of 1 to 100 letters, digits, '_', '.' and '-'",
    ),
]
WarehouseId = Annotated[
    str, _matching(r"[A-Za-z0-9]{1,64}", "warehouse_id", "a SQL warehouse id (letters and digits)")
]
Requirement = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9][A-Za-z0-9._\[\],<>=!~+:/@#-]{0,299}",
        "requirement",
        "one pip requirement without spaces or options, e.g. databricks-uc-accelerator==0.1.0 "
        "or git+https://github.com/ORG/REPO@TAG",
    ),
]
Interval = Annotated[
    str, _matching(r"[1-9][0-9]{0,3}[sm]", "interval", "a duration such as 30s or 2m (seconds or minutes)")
]
Audience = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9][A-Za-z0-9:/._~@+-]{0,199}",
        "audience",
        "an audience without spaces or template characters",
    ),
]


def _check_description(value: str) -> str:
    if len(value) > 200:
        raise PydanticCustomError("too_long", "at most 200 characters")
    bad = next(
        (c for c in value if c in '${}%\\"' or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None
    )
    if bad is not None:
        raise PydanticCustomError(
            "unsafe_text", "a description is one line of plain text without $ % { } \\ or quotes"
        )
    return value


Description = Annotated[str, AfterValidator(_check_description)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workspace(_Section):
    host: WorkspaceHost
    account_id: AccountId  # the CI principal's federation policy is an account-level resource
    cloud: Literal["aws", "azure", "gcp"] = "aws"

    @property
    def account_host(self) -> str:
        return ACCOUNT_HOSTS[self.cloud]


class GitHub(_Section):
    repository: Repository
    environments: list[EnvironmentName] = Field(min_length=1, max_length=MAX_ENVIRONMENTS)
    app_id: int = Field(ge=1, le=10**12)
    api_url: HttpsUrl = "https://api.github.com"
    audience: Audience | None = None  # of the CI's OIDC token; default: the Databricks account id

    @model_validator(mode="after")
    def _distinct(self) -> GitHub:
        seen: set[str] = set()
        for environment in self.environments:
            if environment in seen:
                raise PydanticCustomError("repeated", f"environment {environment!r} is listed twice")
            seen.add(environment)
        return self


AUTOSCALING_ONLY = ("project", "branch", "endpoint", "pg_version", "min_cu", "max_cu")
PROVISIONED_ONLY = ("instance", "capacity")


class Memory(_Section):
    kind: Literal["autoscaling", "provisioned"] = "autoscaling"
    database: DatabaseName = "accelerator"
    catalog: CatalogName = "accelerator_memory"  # the Unity Catalog catalog registering the database
    # Lakebase Autoscaling
    project: LakebaseId = "accelerator-bot"
    branch: LakebaseId = "production"
    endpoint: LakebaseId = "primary"
    pg_version: Literal[16, 17] = 17
    min_cu: float = Field(default=0.5, ge=0.5, le=64)
    max_cu: float = Field(default=2.0, ge=0.5, le=64)
    # Lakebase Provisioned
    instance: LakebaseId = "accelerator-bot"
    capacity: Literal["CU_1", "CU_2", "CU_4", "CU_8"] = "CU_1"


class AppSettings(_Section):
    name: AppName = "accelerator-bot"
    description: Description = "Unity Catalog accelerator: the pull-request bot (pull mode)"
    requirement: Requirement = "databricks-uc-accelerator"
    pull_interval: Interval = "30s"
    workers: int = Field(default=4, ge=1, le=64)


class Secrets(_Section):
    scope: SecretName = "accelerator-bot"
    private_key: SecretName = "github-app-private-key"


class WarehouseAccess(_Section):
    group: PrincipalName
    level: Literal["CAN_USE", "CAN_MONITOR", "CAN_MANAGE", "CAN_VIEW", "IS_OWNER"] = "CAN_USE"


class ContinuousIntegration(_Section):
    name: PrincipalName = "accelerator-ci"
    warehouse_id: WarehouseId
    owner_group: PrincipalName | None = None  # the group that owns the managed catalogs
    manage_catalogs: list[CatalogName] = Field(default_factory=list, max_length=MAX_CATALOGS)
    # databricks_permissions is authoritative on the warehouse: every other group that keeps access
    warehouse_access: list[WarehouseAccess] = Field(default_factory=list, max_length=MAX_EXTRA_ACCESS)


class InfraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace: Workspace
    github: GitHub
    memory: Memory = Field(default_factory=Memory)
    app: AppSettings = Field(default_factory=AppSettings)
    secrets: Secrets = Field(default_factory=Secrets)
    ci: ContinuousIntegration
    state: dict[str, dict[str, Any]] | None = None  # Terraform backend, {kind: settings}

    _file: str = PrivateAttr(default=str(DEFAULT_CONFIG))
    _text: str = PrivateAttr(default="")
    _yaml: yaml.Node | None = PrivateAttr(default=None)

    @property
    def file(self) -> str:
        return self._file

    @property
    def file_name(self) -> str:
        """The config's file name, for generated files (which must not depend on the working directory)."""
        return Path(self._file).name

    def error_at(
        self, setting: Setting, message: str, *, hint: str | None = None, key: bool = False
    ) -> PolicyError:
        """A PolicyError at `setting`: its value, or its key (`key`, or when the value is a block)."""
        node = node_at(self._yaml, setting) if self._yaml is not None else None
        if (key or isinstance(node, yaml.MappingNode | yaml.SequenceNode)) and setting:
            node = key_node_at(self._yaml, setting)
        mark = node.start_mark if node is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return PolicyError(message, file=self._file, line=line, column=column, hint=hint, source=self._text)

    @property
    def audience(self) -> str:
        return self.github.audience or self.workspace.account_id

    @property
    def subjects(self) -> list[tuple[str, str]]:
        """(environment, the OIDC subject GitHub Actions presents for a job in that environment)."""
        return [(env, f"repo:{self.github.repository}:environment:{env}") for env in self.github.environments]


def load_infra_config(path: Path) -> InfraConfig:
    """Read and validate infra.yaml; every error is a located PolicyError (file:line:column)."""
    file = str(path)
    try:
        status = path.stat()
    except OSError as error:
        raise AcceleratorError(
            f"infra config {path} cannot be read: {error.strerror}",
            hint="give --config infra/infra.yaml (copy the example from this repository's infra/ directory)",
        ) from None
    if not stat.S_ISREG(status.st_mode):
        raise AcceleratorError(f"infra config {path} is not a regular file", hint="give a YAML file")
    if status.st_size > MAX_INFRA_BYTES:
        raise PolicyError(
            f"the file is {status.st_size:,} bytes; infra.yaml may be at most {MAX_INFRA_BYTES:,}",
            file=file,
            line=1,
            column=1,
            hint="infra.yaml holds names and sizes only",
        )
    text = read_source(path, file)
    node = compose(text, file)
    data = top_mapping(
        construct(node) if node is not None else None,
        text,
        file,
        hint="start from the example infra/infra.yaml: workspace:, github:, ci: are required",
    )
    try:
        config = InfraConfig.model_validate(data)
    except ValidationError as invalid:
        raise validation_error(invalid, node, text, file, InfraConfig) from None
    config._file, config._text, config._yaml = file, text, node
    _check(config)
    return config


def _check(config: InfraConfig) -> None:
    """What one field's validator cannot see: settings of the other Lakebase kind, the CU range, the
    CI principal's catalog rights and the backend's shape."""
    memory = config.memory
    other = PROVISIONED_ONLY if memory.kind == "autoscaling" else AUTOSCALING_ONLY
    for name in other:
        if name in memory.model_fields_set:
            raise config.error_at(
                ("memory", name),
                f"memory.{name} is a setting of Lakebase {'Provisioned' if name in PROVISIONED_ONLY else 'Autoscaling'}, "
                f"but memory.kind is {memory.kind}",
                hint=f"remove memory.{name}, or set memory.kind to "
                f"{'provisioned' if memory.kind == 'autoscaling' else 'autoscaling'}",
                key=True,
            )
    if memory.kind == "autoscaling":
        for name in ("min_cu", "max_cu"):
            value = getattr(memory, name)
            if value * 2 != int(value * 2):
                raise config.error_at(
                    ("memory", name), f"memory.{name} is {value}: compute units come in steps of 0.5"
                )
        if memory.min_cu > memory.max_cu:
            raise config.error_at(
                ("memory", "min_cu"),
                f"memory.min_cu ({memory.min_cu}) is above memory.max_cu ({memory.max_cu})",
            )
        if memory.max_cu - memory.min_cu > 16:
            raise config.error_at(
                ("memory", "max_cu"),
                "Lakebase autoscaling spans at most 16 compute units (max_cu - min_cu <= 16)",
            )
    ci = config.ci
    if ci.owner_group is None and not ci.manage_catalogs:
        raise config.error_at(
            ("ci",),
            "the CI principal needs rights on the catalogs it applies to: give ci.owner_group or ci.manage_catalogs",
            hint="ci.owner_group: the group that owns the managed catalogs (the CI principal joins it); "
            "or ci.manage_catalogs: [catalog, ...] (MANAGE is granted on each)",
        )
    if len(set(ci.manage_catalogs)) != len(ci.manage_catalogs):
        raise config.error_at(("ci", "manage_catalogs"), "a catalog is listed twice in ci.manage_catalogs")
    if config.state is not None:
        _check_state(config)


def _check_state(config: InfraConfig) -> None:
    state = config.state or {}
    if len(state) != 1:
        raise config.error_at(
            ("state",),
            "state: give exactly one Terraform backend",
            hint='e.g. state: {s3: {bucket: my-state, key: "accelerator/bot.tfstate", region: eu-west-1}}',
        )
    ((kind, settings),) = state.items()
    if kind not in BACKEND_KINDS:
        raise config.error_at(
            ("state", kind),
            f"unknown Terraform backend {kind!r}",
            hint="use one of: " + ", ".join(BACKEND_KINDS),
        )
    if len(settings) > 30:
        raise config.error_at(("state", kind), "a backend takes at most 30 settings")
    for key, value in settings.items():
        at: Setting = ("state", kind, key)
        if not isinstance(key, str) or re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", key) is None:
            raise config.error_at(at, f"{key!r} is not a backend setting name")
        if isinstance(value, bool | int | float):
            continue
        if not isinstance(value, str):
            raise config.error_at(
                at, f"state.{kind}.{key}: a backend setting here is a string, number or boolean"
            )
        if (
            len(value) > MAX_BACKEND_STRING
            or "${" in value
            or "%{" in value
            or any(unicodedata.category(c) in ("Cc", "Cf") for c in value)
        ):
            raise config.error_at(
                at,
                f"state.{kind}.{key}: at most {MAX_BACKEND_STRING} plain characters, no control "
                "characters and no Terraform template (${ or %{)",
            )
