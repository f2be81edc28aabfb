"""Edits of Unity Catalog securables (a catalog, schema or table): grants, revokes and owners."""

from __future__ import annotations

from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field, ValidationError, model_validator

from accelerator.edit.grant_lists import grant_privileges, revoke_privileges
from accelerator.edit.located import Located
from accelerator.edit.names import ModelNames
from accelerator.edit.operation import CommandForm, ResolvedOp, SecurableEdit
from accelerator.edit.policy_patch import PolicyDocument
from accelerator.edit.policy_revokes import revoke_in_policy
from accelerator.edit.readers import MAX_PARTS, MisplacedValue, offset_of, privilege_list, table_name, word
from accelerator.edit.values import PRIVILEGES_BY_SECURABLE, Environment, Privileges, SecurableKind
from accelerator.erd.text_edits import TextEdit


class _PrivilegeChange(SecurableEdit):
    privileges: Privileges
    securable_kind: SecurableKind = Field(description="What kind of object `securable` names.")
    environment: Environment = None

    writes = "policy"

    @model_validator(mode="after")
    def _check_privileges(self) -> Self:
        allowed = PRIVILEGES_BY_SECURABLE[self.securable_kind]
        wrong = [p for p in self.privileges if p not in allowed]
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)} cannot be granted on a {self.securable_kind}; "
                f"privileges on a {self.securable_kind}: {', '.join(allowed)}"
            )
        return self

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        privileges, kind, name, principal, *environment = tree.children
        assert isinstance(privileges, Tree) and isinstance(kind, Tree) and isinstance(name, Tree)
        securable_kind = str(kind.data)
        try:
            return cls.model_validate(
                {
                    "privileges": privilege_list(privileges),
                    "securable_kind": securable_kind,
                    "securable": table_name(name, MAX_PARTS[securable_kind], securable_kind),
                    "principal": word(principal),
                    "environment": word(environment[0]) if environment else None,
                }
            )
        except ValidationError as error:  # privileges that do not apply to this kind of securable
            message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
            raise MisplacedValue(offset_of(privileges), message) from None

    def resolve(self, names: ModelNames) -> ResolvedOp:
        names.environment(self.environment)
        return super().resolve(names)

    def _describe(self, verb: str, preposition: str) -> str:
        where = f"in {self.environment}" if self.environment else "in every environment"
        return (
            f"{verb} {', '.join(self.privileges)} on {self.securable_kind} {self.securable} "
            f"{preposition} `{self.principal}` {where}"
        )

    def _policy_name(self) -> str:
        """The securable as the policy names it: `schema.table`, or the schema's or catalog's name."""
        parts = self.securable.split(".")
        return ".".join(parts[-2:]) if self.securable_kind == "table" else parts[-1]


class Grant(_PrivilegeChange):
    """Grant privileges on a catalog, schema or table to a principal, in one or every environment."""

    op: Literal["grant"] = "grant"

    forms = (
        CommandForm(
            "grant",
            "grant",
            "grant PRIVILEGE[, ...] on catalog|schema|table X to PRINCIPAL [in ENV]",
            "grant select on table sales.orders to `auditors` in prod",
            "grant privileges (every environment unless `in ENV`)",
        ),
    )

    def describe(self) -> str:
        return self._describe("grant", "to")

    def apply_to(self, target: Located) -> None:
        securable, where = target.securable(), f"{self.securable_kind} {target.where}"
        securable.grants = grant_privileges(
            securable.grants, self.principal, self.privileges, self.environment, where
        )

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        return policy.add_grant(
            self.securable_kind, self._policy_name(), self.principal, self.privileges, self.environment
        )


class Revoke(_PrivilegeChange):
    """Revoke privileges on a catalog, schema or table from a principal, in one or every environment."""

    op: Literal["revoke"] = "revoke"

    forms = (
        CommandForm(
            "revoke",
            "revoke",
            "revoke PRIVILEGE[, ...] on catalog|schema|table X from PRINCIPAL [in ENV]",
            "revoke select on table crm.customers from `analysts` in prod",
            "revoke privileges",
        ),
    )

    def describe(self) -> str:
        return self._describe("revoke", "from")

    def apply_to(self, target: Located) -> None:
        securable, where = target.securable(), f"{self.securable_kind} {target.where}"
        environments = [e.name for e in target.project.environments]
        securable.grants = revoke_privileges(
            securable.grants, self.principal, self.privileges, self.environment, where, environments
        )

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        return revoke_in_policy(
            policy,
            self.securable_kind,
            self._policy_name(),
            self.principal,
            self.privileges,
            self.environment,
            self.securable,
        )


class SetOwner(SecurableEdit):
    """Make a principal the owner of a catalog, schema or table."""

    op: Literal["set_owner"] = "set_owner"

    writes = "policy"
    forms = (
        CommandForm(
            "set_owner",
            "set owner of",
            "set owner of [catalog|schema|table] X to PRINCIPAL",
            "set owner of schema crm to data_engineers",
            "change an owner (the policy's `objects`)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        *kind, name, principal = tree.children
        assert isinstance(name, Tree)
        securable_kind = str(kind[0].data) if kind and isinstance(kind[0], Tree) else None
        securable = table_name(name, MAX_PARTS[securable_kind or "table"], securable_kind or "securable")
        return cls.model_validate(
            {"securable_kind": securable_kind, "securable": securable, "principal": word(principal)}
        )

    def describe(self) -> str:
        kind = f"{self.securable_kind} " if self.securable_kind else ""
        return f"set owner of {kind}{self.securable} to `{self.principal}`"

    def apply_to(self, target: Located) -> None:
        securable = target.securable()
        if securable.owner == self.principal:
            raise target.unchanged(f"is already owned by `{self.principal}`")
        securable.owner = self.principal

    def plan_policy(self, policy: PolicyDocument) -> list[TextEdit]:
        return policy.set_object_owner(self.securable, self.principal)  # resolved: the model's names
