"""The conversation's approvals: `confirm` (apply a turn held because it weakens protection where
the policy asks for a confirmation) and `allow CODE on OBJECT [in ENV]` (approve a destructive
change, as the terminal's `accelerator allow` does).

Neither edits the model by itself: the agent answers them (`agent/nodes.py`, by `op`), `confirm`
by applying the held turn's edits again, `allow` by recording an approval bound to the change
(`plan.gates.gate_to_approve`) that the channel writes to `<output>/approvals.json`.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from lark import Token, Tree
from pydantic import Field

from accelerator.edit.operation import CommandBase, CommandForm
from accelerator.edit.readers import MisplacedValue, name_parts, offset_of, word
from accelerator.edit.values import Environment

_CODE = re.compile(r"[A-Za-z]{2}\d{3}")


class Confirm(CommandBase):
    """Apply the edits held back because they weaken protection where the policy requires a
    confirmation (`rules.governance.confirm_weakening`)."""

    op: Literal["confirm"] = "confirm"

    forms = (
        CommandForm(
            "confirm",
            "confirm",
            "confirm",
            "confirm",
            "apply the edits held because they weaken protection (the policy asks for a confirmation)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        return cls()

    def describe(self) -> str:
        return "confirm the held edits"


class Allow(CommandBase):
    """Approve a destructive change of the pending migrations (its code and object, e.g. DS103 on
    `sales.orders.legacy_code`), in one environment or in every one."""

    op: Literal["allow"] = "allow"
    code: str = Field(pattern=r"^[A-Z]{2}\d{3}$", description="The change's code, e.g. `DS103`.")
    object: str = Field(
        min_length=1,
        max_length=1024,
        description="The changed object: `catalog.schema.table[.column]`, or without the catalog.",
    )
    environment: Environment = None

    forms = (
        CommandForm(
            "allow",
            "allow",
            "allow CODE on OBJECT [in ENV]",
            "allow DS103 on sales.orders.ip_address in prod",
            "approve a destructive change of the migrations (recorded with who and when)",
        ),
    )

    @classmethod
    def from_tree(cls, tree: Tree[Token], text: str) -> Self:
        code, name, *environment = tree.children
        assert isinstance(name, Tree)
        written = word(code)
        if not _CODE.fullmatch(written):
            raise MisplacedValue(
                offset_of(code),
                f"`{written}` is not a change code",
                "a code is two letters and three digits, e.g. DS103 (`accelerator plan` lists them)",
            )
        parts = name_parts(name)
        if len(parts) > 4:
            raise MisplacedValue(
                offset_of(name),
                f"`{'.'.join(parts)}` has too many parts for an object",
                "name it as catalog.schema.table.column at most",
            )
        return cls(
            code=written.upper(),
            object=".".join(parts),
            environment=word(environment[0]) if environment else None,
        )

    def describe(self) -> str:
        where = f" in {self.environment}" if self.environment else ""
        return f"allow {self.code} on {self.object}{where}"
