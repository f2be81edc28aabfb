"""What the agent recomputes from the sources instead of checkpointing it: the governed model and the
generated files, cached per process by a digest of the sources (an LRU of a few entries).

The core is pure and deterministic, so a cache hit is exactly what recomputing would give; a warm
turn re-governs only the patched sources, and the `govern` node after `apply` hits the entry `apply`
computed to run the governance gate.

Each environment's SQL is its versioned migrations, as `accelerator generate` writes them: those of
the last generation (the state's `artifacts` name them by hash), plus one holding only the turn's
change (a rename as a rename, from the turn's typed operations), or minus the last one when the turn
takes the model back to where it was before it and the conversation made it (an `undo`). What the
last generation's migrations were (its `Ledger`) is kept here by the hashes of its files, so a
turn's generation is content-addressed; a new process reads it from the memory once
(`ConversationSession`), and the opening turn starts from the channel's `base` (the working tree's
or the pull request base's migrations).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from accelerator.agent.state import ErdSpec, sha256, sources_key
from accelerator.erd import ParsedErd
from accelerator.generate import (
    ErdInput,
    Generation,
    Governed,
    MigrationHistory,
    PolicyInput,
    generate,
    govern_inputs,
    select_environments,
    with_migrations,
)
from accelerator.plan import Rename, renames_from_ops
from accelerator.plan.migrations import SUM_FILE, migration_version, reverted
from accelerator.render.cache import KeptKeys, kept_keys, render_pass

BASE = "base"  # the ledger of a state that never generated: the channel's migrations


def is_ledger_file(path: str) -> bool:
    """Whether a generated file (relative to the output directory) is part of the migrations'
    history: model.json (the model they lead to) and everything under `sql/`."""
    return path == "model.json" or path.startswith("sql/")


def ledger_files(artifacts: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The (path, sha256) of the files of a generation (`artifacts`) that the next one follows."""
    return tuple(sorted((path, digest) for path, digest in artifacts.items() if is_ledger_file(path)))


def ledger_key(artifacts: Mapping[str, str]) -> str:
    """The key of the migrations a generation left, from its files' hashes (`artifacts`)."""
    kept = ledger_files(artifacts)
    if not kept:
        return BASE
    return sha256("".join(f"{path} {digest}\n" for path, digest in kept))


class LedgerMissing(RuntimeError):
    """The migrations a generation follows are neither in this process nor in the memory."""


# Reads the migrations of a generation from the memory, by the (path, sha256) of its files.
LedgerLoader = Callable[[Mapping[str, str]], MigrationHistory]


def renames_of(state: Mapping[str, Any]) -> tuple[Rename, ...]:
    """The renames that lead from the last generation's model to the state's (for the new
    migration): those of the turn's typed operations, in the direction the turn went (an undo goes
    back: its renames are the undone turn's, inverted)."""
    outcome, ops = state.get("outcome"), state.get("last_ops") or []
    if outcome == "answered" and state.get("pending"):
        # `apply` checking that the turn's edits generate, before it resolved them: their renames
        # as given, so that `render` (with the resolved ones, most often the same) hits the cache
        try:
            return tuple(renames_from_ops(state["pending"]))
        except (KeyError, ValueError):  # a name the model resolves later (`customers` for `crm.customers`)
            return ()
    if outcome not in ("applied", "redone", "undone") or not ops:
        return ()
    forward = renames_from_ops(ops)
    return tuple(reverted(forward) if outcome == "undone" else forward)


@dataclass(frozen=True)
class Inputs:
    """How the project is read: everything but the texts."""

    project: str
    erds: tuple[ErdSpec, ...]
    policy_file: str | None
    environments: tuple[str, ...] = ()
    # The migrations this generation follows: the last generation's `sql/` files and model.json,
    # (path, sha256) each; () before any (the channel's `base`); None: no versioned migrations, one
    # whole-model script per catalog (as `generate` without a history)
    ledger_files: tuple[tuple[str, str], ...] | None = None
    renames: tuple[Rename, ...] = ()  # from the last generation's model to this one
    terraform_owns: bool = False  # Terraform owns catalogs and schemas: the migrations leave them out

    @property
    def ledger(self) -> str | None:
        return None if self.ledger_files is None else ledger_key(dict(self.ledger_files))

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Inputs:
        return cls(
            project=state["project"],
            erds=tuple(state["erds"]),
            policy_file=state.get("policy_file"),
            environments=tuple(state.get("environments") or ()),
            ledger_files=ledger_files(state.get("artifacts") or {}),
            renames=renames_of(state),
            terraform_owns=bool(state.get("terraform_owns")),
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
        return f"{self.project}|{self.policy_file}|{self.erds!r}|{self.terraform_owns}|{sources_key(dict(sources))}"


@dataclass(frozen=True)
class Ledger:
    """What a generation left for the next one's migrations: its `sql/` files and model."""

    history: MigrationHistory

    @classmethod
    def of(
        cls, generation: Generation, before: MigrationHistory, *, opening: bool, model_before: str | None
    ) -> Ledger:
        """The ledger `generation` leaves after `before`. Its migrations are withdrawable when this
        conversation made them: those `before` had as such, and the new ones of a turn (not of the
        opening, which starts from the channel's migrations), each with the sha256 of the model.json
        before it (`model_before`: the one `before` follows)."""
        migrations: dict[str, dict[str, str]] = {}
        sums: dict[str, str | None] = {}
        for path, text in generation.files.items():
            parts = path.split("/")
            if len(parts) != 3 or parts[0] != "sql":
                continue
            if migration_version(parts[2]) is not None:
                migrations.setdefault(parts[1], {})[parts[2]] = text
            elif parts[2] == SUM_FILE:
                sums[parts[1]] = text
        withdrawable: dict[str, dict[str, str]] = {}
        for env, files in migrations.items():
            made = {n: sha for n, sha in before.withdrawable.get(env, {}).items() if n in files}
            if not opening and model_before is not None:
                made |= {name: model_before for name in files.keys() - before.migrations.get(env, {}).keys()}
            withdrawable[env] = made
        history = MigrationHistory(
            generation.governed.project,
            migrations,
            sums,
            approvals=before.approvals,
            output=before.output,
            withdrawable=withdrawable,
        )
        return cls(history)


@dataclass
class DerivedCache:
    """Governed models, generations and ledgers by content digest. Not thread-safe: one per
    session (a thread). `base`: the migrations a thread's opening starts from."""

    size: int = 4
    base: MigrationHistory = field(default_factory=lambda: MigrationHistory(None))
    _governed: OrderedDict[str, Governed] = field(default_factory=OrderedDict)
    _generated: OrderedDict[tuple[str, bool, str], Generation] = field(default_factory=OrderedDict)
    _versioned: OrderedDict[tuple[Any, ...], Generation] = field(default_factory=OrderedDict)
    _ledgers: OrderedDict[str, MigrationHistory] = field(default_factory=OrderedDict)
    _keys: KeptKeys = field(default_factory=dict)  # the content keys of the last generation's tables

    # Reads a ledger this process has not seen from the memory (set by the session, bound to the
    # turn's transaction inside one); None: a missing ledger is an error
    loader: LedgerLoader | None = None

    def remember_ledger(self, key: str, history: MigrationHistory) -> None:
        """The migrations of the generation whose files hash to `key`."""
        self._remember(self._ledgers, key, history, size=4 * self.size)

    def ledger(self, files: tuple[tuple[str, str], ...]) -> MigrationHistory:
        """The migrations of the generation whose ledger files are `files`, read from the memory
        (`loader`) the first time this process needs them."""
        key = ledger_key(dict(files))
        if key == BASE:
            return self.base
        found = self._ledgers.get(key)
        if found is None:
            if self.loader is None:
                raise LedgerMissing(f"the migrations of the generation {key[:12]} are not loaded")
            found = self.loader(dict(files))
            self.remember_ledger(key, found)
        self._ledgers.move_to_end(key)
        return found

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
        """The generated files; with `inputs.ledger`, each environment's SQL is its versioned
        migrations after that ledger's (see the module's docstring)."""
        # one pass: the migrations' diff (`same_content`) reads the keys the render computed, and
        # those of the last generation's model, kept from its pass (the model the next one follows)
        with self.render_pass():
            generation = self._generation(inputs, sources, terraform=terraform, backend=backend)
            self._keys = kept_keys(table for _, _, table in generation.governed.project.iter_tables())
        return generation

    def render_pass(self) -> AbstractContextManager[None]:
        """A render pass that starts from the content keys of the last generation's tables (a
        caller comparing that model with the next one opens it around both: see `render_pass`)."""
        return render_pass(self._keys)

    def _generation(
        self,
        inputs: Inputs,
        sources: Mapping[str, str],
        *,
        terraform: bool,
        backend: dict[str, dict[str, Any]] | None,
    ) -> Generation:
        whole = (inputs.key(sources), terraform, repr(backend))
        found = self._generated.get(whole)
        if found is None:
            governed = self.governed(inputs, sources)
            environments = select_environments(governed.project, [], list(inputs.environments))
            sql = inputs.ledger_files is None
            found = generate(
                governed,
                environments,
                terraform=terraform,
                terraform_owns=inputs.terraform_owns,
                backend=backend,
                sql=sql,
            )
            self._remember(self._generated, whole, found)
        else:
            self._generated.move_to_end(whole)
        if inputs.ledger_files is None:
            return found
        key = (*whole, inputs.ledger_files, inputs.renames)
        versioned = self._versioned.get(key)
        if versioned is None:
            before = self.ledger(inputs.ledger_files)
            versioned = with_migrations(
                found, replace(before, renames=inputs.renames), terraform=inputs.terraform_owns
            )
            model_before = dict(inputs.ledger_files).get("model.json")
            opening = not inputs.ledger_files
            after = Ledger.of(versioned, before, opening=opening, model_before=model_before).history
            files = tuple(sorted((p, sha256(t)) for p, t in versioned.files.items() if is_ledger_file(p)))
            self.remember_ledger(ledger_key(dict(files)), after)
            self._remember(self._versioned, key, versioned)
            # what the state this generation leaves generates, settled (`ConversationSession.generation`)
            settled = replace(versioned, gates=[], added=[], removed=[])
            self._remember(self._versioned, (*whole, files, ()), settled)
        else:
            self._versioned.move_to_end(key)
        return versioned

    def _remember(self, cache: OrderedDict[Any, Any], key: Any, value: Any, size: int | None = None) -> None:
        cache[key] = value
        while len(cache) > (size or self.size):
            cache.popitem(last=False)
