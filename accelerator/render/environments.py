"""Looking up the environments a renderer is asked for."""

from __future__ import annotations

from accelerator.errors import RenderError
from accelerator.model.elements import Environment, Project


def environment_named(project: Project, env: str) -> Environment:
    environment = project.environment(env)
    if environment is None:
        known = ", ".join(e.name for e in project.environments) or "none"
        raise RenderError(
            f"unknown environment {env!r}",
            hint=f"use one of the environments the policy declares: {known}",
        )
    return environment
