"""The Terraform state backend of one environment's stack, from the project's backend setting.

`backend` is `{kind: settings}` as in Terraform, e.g. `{"s3": {"bucket": "b", "key": "uc/{env}.tfstate",
"region": "eu-west-1"}}`; `{env}` in any string is replaced by the environment's name, so one
setting gives every environment its own state. No setting means a local state file
`terraform.<env>.tfstate`. `workspaces` of `remote`/`cloud` is `{"name": ...}`, `{"prefix": ...}`
or `{"tags": [...]}`.
"""

from __future__ import annotations

import inspect
from typing import Any

from accelerator.errors import RenderError

# Terraform backend type -> cdktn class name.
BACKEND_CLASSES = {
    "azurerm": "AzurermBackend",
    "cloud": "CloudBackend",
    "consul": "ConsulBackend",
    "cos": "CosBackend",
    "gcs": "GcsBackend",
    "http": "HttpBackend",
    "local": "LocalBackend",
    "oss": "OssBackend",
    "pg": "PgBackend",
    "remote": "RemoteBackend",
    "s3": "S3Backend",
    "swift": "SwiftBackend",
}


def default_local_path(env_slug: str) -> str:
    return f"terraform.{env_slug}.tfstate"


def add_backend(
    cdktn: Any, stack: Any, env_name: str, env_slug: str, backend: dict[str, dict[str, object]] | None
) -> None:
    """Attach the backend to `stack` (`cdktn` is the lazily imported module)."""
    if not backend:
        cdktn.LocalBackend(stack, path=default_local_path(env_slug))
        return
    if len(backend) != 1:
        raise RenderError(
            f"a Terraform backend setting has exactly one kind, got {', '.join(sorted(backend)) or 'none'}",
            hint='write e.g. backend: {s3: {bucket: my-state, key: "uc/{env}.tfstate", region: eu-west-1}}',
        )
    ((kind, settings),) = backend.items()
    class_name = BACKEND_CLASSES.get(kind)
    if class_name is None:
        raise RenderError(
            f"unknown Terraform backend {kind!r}",
            hint="use one of: " + ", ".join(sorted(BACKEND_CLASSES)),
        )
    backend_class = getattr(cdktn, class_name)
    arguments = {key: _for_environment(value, env_name) for key, value in (settings or {}).items()}
    if kind == "local":
        arguments.setdefault("path", default_local_path(env_slug))
    if kind in ("remote", "cloud") and isinstance(arguments.get("workspaces"), dict):
        arguments["workspaces"] = _workspaces(cdktn, kind, arguments["workspaces"])
    accepted = [
        name for name in inspect.signature(backend_class.__init__).parameters if name not in ("self", "scope")
    ]
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        raise RenderError(
            f"unknown setting(s) {', '.join(unknown)} for the Terraform {kind!r} backend",
            hint="accepted settings: " + ", ".join(accepted),
        )
    try:
        backend_class(stack, **arguments)
    except TypeError as error:  # a missing required setting or a value of the wrong type
        raise RenderError(
            f"invalid settings for the Terraform {kind!r} backend: {error}",
            hint="accepted settings: " + ", ".join(accepted),
        ) from None


def _for_environment(value: object, env_name: str) -> Any:
    if isinstance(value, str):
        return value.replace("{env}", env_name)
    if isinstance(value, dict):
        return {key: _for_environment(item, env_name) for key, item in value.items()}
    if isinstance(value, list):
        return [_for_environment(item, env_name) for item in value]
    return value


def _workspaces(cdktn: Any, kind: str, settings: dict[str, Any]) -> Any:
    if "name" in settings:
        return (cdktn.NamedRemoteWorkspace if kind == "remote" else cdktn.NamedCloudWorkspace)(
            settings["name"]
        )
    if kind == "remote" and "prefix" in settings:
        return cdktn.PrefixedRemoteWorkspaces(settings["prefix"])
    if kind == "cloud" and "tags" in settings:
        return cdktn.TaggedCloudWorkspaces(list(settings["tags"]))
    raise RenderError(
        f"the {kind!r} backend's workspaces need a name"
        + (" or a prefix" if kind == "remote" else " or tags"),
        hint='write e.g. workspaces: {name: "uc-{env}"}',
    )
