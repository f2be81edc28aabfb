"""The Terraform side of `accelerator plan --terraform-plan FILE`: the `databricks_*` resource changes
of a `terraform show -json` plan, with the Unity Catalog data objects it would destroy or replace.

The input is Terraform's documented JSON plan representation (`format_version` 1.x): its
`resource_changes`, each with `address`, `type`, `name` and `change.actions`, one of `["no-op"]`,
`["read"]`, `["create"]`, `["update"]`, `["delete"]`, `["delete", "create"]` or
`["create", "delete"]` (a replacement), or `["forget"]`. Pure: text in, typed changes out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accelerator.errors import AcceleratorError

# resources that hold data: destroying or replacing one loses it (a replaced table is a new, empty one)
DATA_OBJECTS = frozenset(
    {
        "databricks_catalog",
        "databricks_schema",
        "databricks_sql_table",
        "databricks_table",
        "databricks_volume",
    }
)
ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
}
QUIET = {("no-op",), ("read",)}  # nothing changes in the workspace


@dataclass(frozen=True)
class TerraformChange:
    address: str
    type: str
    action: str  # create, update, delete, replace, forget
    name: str | None  # the Unity Catalog name when the resource has one (`catalog.schema.table`)
    reason: str | None = None  # Terraform's `action_reason`, e.g. replace_because_cannot_update

    @property
    def data_loss(self) -> bool:
        """A UC data object destroyed or replaced."""
        return self.type in DATA_OBJECTS and self.action in ("delete", "replace")

    def describe(self) -> str:
        named = f" ({self.name})" if self.name else ""
        why = f" [{self.reason}]" if self.reason else ""
        return f"{self.action} {self.address}{named}{why}"


def parse_terraform_plan(text: str, file: str) -> list[TerraformChange]:
    """The changes of `databricks_*` resources, in the plan's order; no-op and read are left out."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AcceleratorError(
            f"{file}:{error.lineno}:{error.colno}: not JSON: {error.msg}",
            hint="give the output of `terraform show -json PLANFILE`",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("format_version"), str):
        raise _bad(file, "no format_version: not a `terraform show -json` plan")
    major = data["format_version"].split(".", 1)[0]
    if major != "1":
        raise _bad(file, f"format_version {data['format_version']} is not supported (1.x is)")
    changes = data.get("resource_changes", [])
    if not isinstance(changes, list):
        raise _bad(file, "resource_changes is not a list")
    found = []
    for index, entry in enumerate(changes):
        if not isinstance(entry, dict) or not isinstance(entry.get("change"), dict):
            raise _bad(file, f"resource_changes[{index}] has no change")
        kind = entry.get("type")
        if not isinstance(kind, str) or not kind.startswith("databricks_") or entry.get("mode") == "data":
            continue
        actions = tuple(entry["change"].get("actions") or ())
        if actions in QUIET:
            continue
        if actions not in ACTIONS:
            raise _bad(
                file, f"resource_changes[{index}] ({entry.get('address')}): unknown actions {list(actions)}"
            )
        after, before = entry["change"].get("after"), entry["change"].get("before")
        values = after if isinstance(after, dict) else before if isinstance(before, dict) else {}
        reason = entry.get("action_reason")
        found.append(
            TerraformChange(
                address=str(entry.get("address", kind)),
                type=kind,
                action=ACTIONS[actions],
                name=_uc_name(kind, values),
                reason=reason if isinstance(reason, str) else None,
            )
        )
    return found


def _uc_name(kind: str, values: Mapping[str, Any]) -> str | None:
    if kind in DATA_OBJECTS:
        parts = [values.get("catalog_name"), values.get("schema_name"), values.get("name")]
        named = [part for part in parts if isinstance(part, str) and part]
        return ".".join(named) or None
    return None


def _bad(file: str, message: str) -> AcceleratorError:
    return AcceleratorError(f"{file}: {message}", hint="give the output of `terraform show -json PLANFILE`")
