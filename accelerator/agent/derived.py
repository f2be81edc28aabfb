"""What the agent recomputes from the sources instead of checkpointing it: the governed model and the
generated files, cached per process by a digest of the sources (an LRU of a few entries).

The core is pure and deterministic, so a cache hit is exactly what recomputing would give; a warm
turn re-governs only the patched sources, and the `govern` node after `apply` hits the entry `apply`
computed to run the governance gate.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accelerator.agent.state import ErdSpec, sources_key
from accelerator.erd import ParsedErd
from accelerator.generate import (
    ErdInput,
    Generation,
    Governed,
    PolicyInput,
    generate,
    govern_inputs,
    select_environments,
)


@dataclass(frozen=True)
class Inputs:
    """How the project is read: everything but the texts."""

    project: str
    erds: tuple[ErdSpec, ...]
    policy_file: str | None
    environments: tuple[str, ...] = ()

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Inputs:
        return cls(
            project=state["project"],
            erds=tuple(state["erds"]),
            policy_file=state.get("policy_file"),
            environments=tuple(state.get("environments") or ()),
        )

    def erd_inputs(self, sources: Mapping[str, str]) -> list[ErdInput]:
        return [
            ErdInput(
                file=spec["file"],
                text=sources[spec["file"]],
                catalog=spec["catalog"],
                format=spec["format"],
                dialect=spec["dialect"],
                default_schema=spec["default_schema"],
            )
            for spec in self.erds
        ]

    def policy_input(self, sources: Mapping[str, str]) -> PolicyInput:
        if self.policy_file is None:
            return PolicyInput()
        return PolicyInput(file=self.policy_file, text=sources[self.policy_file])

    @property
    def formats(self) -> dict[str, str]:
        return {spec["file"]: spec["format"] for spec in self.erds if spec["format"]}

    @property
    def dialects(self) -> dict[str, str]:
        return {spec["file"]: spec["dialect"] for spec in self.erds}

    @property
    def default_schemas(self) -> dict[str, str]:
        return {spec["file"]: spec["default_schema"] for spec in self.erds}

    def key(self, sources: Mapping[str, str]) -> str:
        return f"{self.project}|{self.policy_file}|{self.erds!r}|{sources_key(dict(sources))}"


@dataclass
class DerivedCache:
    """Governed models and generations by sources digest. Not thread-safe: one per session."""

    size: int = 4
    _governed: OrderedDict[str, Governed] = field(default_factory=OrderedDict)
    _generated: OrderedDict[tuple[str, bool, str], Generation] = field(default_factory=OrderedDict)

    def governed(
        self, inputs: Inputs, sources: Mapping[str, str], parsed: Mapping[str, ParsedErd] | None = None
    ) -> Governed:
        """Parse and govern; raises the core's located `AcceleratorError` for broken sources.
        `parsed`: parses of some of the sources to use instead of parsing again (see `govern_inputs`)."""
        key = inputs.key(sources)
        found = self._governed.get(key)
        if found is None:
            found = govern_inputs(
                inputs.project, inputs.erd_inputs(sources), inputs.policy_input(sources), parsed
            )
            self._remember(self._governed, key, found)
        else:
            self._governed.move_to_end(key)
        return found

    def generation(
        self,
        inputs: Inputs,
        sources: Mapping[str, str],
        *,
        terraform: bool,
        backend: dict[str, dict[str, Any]] | None,
    ) -> Generation:
        key = (inputs.key(sources), terraform, repr(backend))
        found = self._generated.get(key)
        if found is None:
            governed = self.governed(inputs, sources)
            environments = select_environments(governed.project, [], list(inputs.environments))
            found = generate(governed, environments, terraform=terraform, backend=backend)
            self._remember(self._generated, key, found)
        else:
            self._generated.move_to_end(key)
        return found

    def _remember(self, cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        while len(cache) > self.size:
            cache.popitem(last=False)
