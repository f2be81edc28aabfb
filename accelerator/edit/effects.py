"""Apply an edit to the model: `apply_edit(project, op)` returns a new Project.

This is the meaning of an edit (each operation's `apply_to` says what it changes). A later step
patches the ERD/policy source text instead, then checks that re-parsing the patched source gives
exactly `apply_edit`'s model. The input project is
never mutated (the copy is deep). An edit that would leave the model invalid or unchanged raises a
typed `EditError` saying why, so every applied edit changes something and keeps the model valid.
"""

from __future__ import annotations

from accelerator.edit.located import Located, copied_for
from accelerator.edit.names import ModelNames
from accelerator.edit.operation import EditBase, ResolvedOp, resolve
from accelerator.model.elements import Project

__all__ = ["ResolvedOp", "apply_edit", "resolve"]


def apply_edit(project: Project, op: EditBase) -> Project:
    """A copy of `project` with `op` applied; raise `EditError` if it does not fit the model."""
    resolved = op.resolve(ModelNames(project))  # not `resolve`: it would try a policy edit twice
    updated = copied_for(project, resolved)
    resolved.op.apply_to(Located.of(updated, resolved))
    return updated
