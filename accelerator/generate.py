"""The core pipeline: ERD texts + policy text -> governed model, findings and generated files.

Pure: it takes texts and returns texts (the CLI and the agent read and write the files). Used by
`accelerator check`, `accelerator generate` and the conversation agent alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from accelerator.erd import ParsedErd, parse_erd
from accelerator.errors import AcceleratorError
from accelerator.model import Finding, Project, sorted_findings
from accelerator.model.build import build_project
from accelerator.plan import Rename
from accelerator.plan.changes import Change
from accelerator.plan.gates import Approval
from accelerator.plan.migrations import BASELINE_FILE, SUM_FILE, file_hash, last_migration
from accelerator.policy import Policy, default_policy, govern, parse_policy


@dataclass(frozen=True)
class ErdInput:
    file: str  # as shown in messages, relative to the repository
    text: str
    catalog: str
    format: str | None = None
    dialect: str = "postgres"
    default_schema: str = "default"


@dataclass(frozen=True)
class PolicyInput:
    file: str | None = None  # None: the built-in default policy
    text: str | None = None


@dataclass
class Governed:
    project: Project
    findings: list[Finding]
    policy: Policy
    sources: dict[str, str] = field(default_factory=dict)  # file -> text, for error snippets
    model: Project | None = None  # the ERDs' model before the policy (the agent verifies patches on it)


@dataclass
class Generation:
    governed: Governed
    environments: list[str]
    files: dict[str, str]  # path relative to the output directory -> content
    gates: list[Finding] = field(default_factory=list)  # destructive changes not allowed nor approved
    # With a history: the migrations this generation adds, and the files of the history it no
    # longer has (a withdrawn migration, the baseline of an environment that caught up)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sorted_findings(self.governed.findings + self.gates) if self.gates else self.governed.findings


@dataclass(frozen=True)
class MigrationHistory:
    """What the output directory holds before this run: the last generation's model (model.json;
    None on a first run) and, per environment, its `V` files (name -> text) and migrations.sum."""

    previous: Project | None
    migrations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sums: Mapping[str, str | None] = field(default_factory=dict)
    renames: Sequence[Rename] = ()
    approvals: Sequence[Approval] = ()
    output: str = "generated"  # the output directory as messages show it
    # env -> the model its migrations lead to, for an environment left behind `previous` (a run of
    # `generate --env` for others): `sql/<env>/model.json`
    baselines: Mapping[str, Project] = field(default_factory=dict)
    # env -> the migrations never applied (made by the conversation), each with the sha256 of the
    # model.json before it: when the model is that one again, the last of them is withdrawn
    withdrawable: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def previous_for(self, env: str) -> Project | None:
        """The model `env`'s migrations lead to: its own baseline, else the last generation's."""
        return self.baselines.get(env, self.previous)

    def paths(self) -> set[str]:
        """The files of the history, relative to the output directory (model.json left out)."""
        found = {f"sql/{env}/{name}" for env, files in self.migrations.items() for name in files}
        found |= {f"sql/{env}/{SUM_FILE}" for env, text in self.sums.items() if text is not None}
        return found | {f"sql/{env}/{BASELINE_FILE}" for env in self.baselines}


@lru_cache(maxsize=8)  # a Policy is immutable; a conversation re-reads the same one every turn
def load_policy(policy: PolicyInput) -> Policy:
    if policy.text is None or policy.file is None:
        return default_policy()
    return parse_policy(policy.text, policy.file)


def govern_inputs(
    name: str,
    erds: Sequence[ErdInput],
    policy_input: PolicyInput,
    parsed: Mapping[str, ParsedErd] | None = None,
) -> Governed:
    """Parse every ERD, assemble and validate the model, apply the policy.

    `parsed`: parses the caller already has (by file; used when of the same text), e.g. the agent's
    re-parse that verified a patch. The model takes their schemas over: never pass one twice."""
    if not erds:
        raise AcceleratorError(
            "no ERD files to read",
            hint="pass --erd PATH, or list ERD files under `erd:` in accelerator.yaml",
        )
    policy = load_policy(policy_input)
    parts = []
    findings: list[Finding] = []
    for erd in erds:
        given = (parsed or {}).get(erd.file)
        part = (
            given
            if given is not None and given.file == erd.file and given.source == erd.text
            else parse_erd(
                erd.text, erd.file, format=erd.format, dialect=erd.dialect, default_schema=erd.default_schema
            )
        )
        parts.append((erd.catalog, part))
        findings.extend(part.findings)
    project = build_project(name, parts)
    result = govern(project, policy)
    sources = {erd.file: erd.text for erd in erds}
    if policy_input.file and policy_input.text is not None:
        sources[policy_input.file] = policy_input.text
    return Governed(result.project, sorted_findings(findings + result.findings), policy, sources, project)


def select_environments(project: Project, requested: Sequence[str], configured: Sequence[str]) -> list[str]:
    """--env wins, then accelerator.yaml's list, then the policy's environments, else dev."""
    known = [env.name for env in project.environments]
    chosen = list(requested) or list(configured) or known or ["dev"]
    unknown = [env for env in chosen if env not in known]
    if unknown:
        raise AcceleratorError(
            f"environment {unknown[0]!r} is not defined by the policy",
            hint="known environments: " + ", ".join(known) + "; add it under `environments:` in the policy",
        )
    return chosen


def generate(
    governed: Governed,
    environments: Sequence[str],
    *,
    terraform: bool = True,
    terraform_owns: bool | None = None,
    backend: dict[str, dict[str, Any]] | None = None,
    history: MigrationHistory | None = None,
    sql: bool = True,
) -> Generation:
    """Render model.json, SQL per environment, Terraform per environment (`terraform`) and the docs.
    With `history`, the SQL of an environment is its versioned migrations (`sql/<env>/V*.sql`, the
    new one holding the delta since `history.previous`) and their migrations.sum, leaving catalogs
    and schemas to Terraform where `terraform_owns` (default: `terraform`); without, one
    whole-model script per catalog; with `sql=False`, none (`with_migrations` adds them)."""
    owns = terraform if terraform_owns is None else terraform_owns
    from accelerator.render import render_docs, render_model_json, render_sql, render_terraform
    from accelerator.render.cache import render_pass

    project = governed.project
    with render_pass():  # every renderer keys a table by its content: computed once for them all
        files: dict[str, str] = {"model.json": render_model_json(project)}
        for env in environments if sql else ():
            if history is not None:
                files.update(migration_files(project, env, history, terraform=owns))
                continue
            for path, text in render_sql(project, env).items():
                files[f"sql/{env}/{path}"] = text
        if terraform:
            for env in environments:
                env_backend = _backend_for(backend, env)
                for path, text in render_terraform(project, [env], backend=env_backend).items():
                    files[f"terraform/{path}"] = text
        for path, text in render_docs(project, governed.findings).items():
            files[f"docs/{path}"] = text
    gates = migration_gates(governed, files, history) if history is not None else []
    return Generation(governed, list(environments), dict(sorted(files.items())), gates)


def with_migrations(generation: Generation, history: MigrationHistory, *, terraform: bool) -> Generation:
    """`generation` (rendered with `sql=False`, or with any SQL: it is replaced) with each
    environment's SQL as its versioned migrations after `history`: those there are, the new one
    holding only the change since `history.previous` (a rename as a rename, with `history.renames`),
    or the last one withdrawn when the model is back where it was before it; and migrations.sum.
    `gates`: the destructive changes of the new migrations that no approval of `history` covers."""
    from accelerator.render.cache import render_pass

    files = {path: text for path, text in generation.files.items() if not path.startswith("sql/")}
    project = generation.governed.project
    model = generation.files.get("model.json")
    model_sha = file_hash(model) if model is not None else None
    diffs: dict[int, list[Change]] = {}  # by the previous model: environments share it
    with render_pass():  # the diff skips tables equal in content by their keys (shared with the render's)
        for env in generation.environments:
            files.update(
                migration_files(project, env, history, terraform=terraform, model_sha=model_sha, diffs=diffs)
            )
    known = history.paths()
    added = sorted(p for p in files if p.startswith("sql/") and p not in known and not p.endswith(SUM_FILE))
    gates = migration_gates(generation.governed, {path: files[path] for path in added}, history)
    environments = {f"sql/{env}/" for env in generation.environments}
    removed = sorted(p for p in known - files.keys() if p[: p.rfind("/") + 1] in environments)
    return Generation(
        generation.governed,
        list(generation.environments),
        dict(sorted(files.items())),
        gates,
        added=added,
        removed=removed,
    )


def migration_gates(governed: Governed, files: Mapping[str, str], history: MigrationHistory) -> list[Finding]:
    """`migrations.destructive` errors for the destructive changes of the migrations in `files`
    (`sql/<env>/V*.sql`) that neither the policy nor `history.approvals` cover."""
    from accelerator.plan.gates import gate_findings, gates_in
    from accelerator.plan.migrations import migration_version

    gates = []
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "sql" and migration_version(parts[2]) is not None:
            gates += gates_in(f"{history.output}/{path}", text, parts[1])
    allow = governed.policy.spec.rules.migrations.allow_destructive
    return gate_findings(gates, history.approvals, allow, governed.project)


def migration_files(
    project: Project,
    env: str,
    history: MigrationHistory,
    *,
    terraform: bool,
    model_sha: str | None = None,
    diffs: dict[int, list[Change]] | None = None,
) -> dict[str, str]:
    """`sql/<env>/`: the migrations there are, the new one (if the model changed), the sum. When
    `model_sha` (the sha256 of `project`'s model.json) is the model before the last migration and
    that one is withdrawable (never applied), it is withdrawn instead: the migration and its line of
    the sum go. `diffs`: the diffs of earlier environments, by their previous model."""
    from accelerator.plan import diff
    from accelerator.plan.migrations import empty_like, next_migration, parse_sum, sum_with
    from accelerator.render.cache import same_content

    existing = dict(history.migrations.get(env, {}))
    sum_text = history.sums.get(env)
    recorded = parse_sum(sum_text) if sum_text is not None else None
    started = bool(existing) or bool(recorded and recorded.entries)
    before = history.previous_for(env)
    if started and before is None:
        raise AcceleratorError(
            f"sql/{env}/ holds migrations but model.json, the model they lead to, is missing",
            hint="restore the last generation's model.json from git (`git checkout -- <output>/model.json`)",
        )
    previous = before if started and before is not None else empty_like(project)
    environment = project.environment(env)
    listed = recorded.names if recorded is not None else list(existing)
    withdrawn = last_migration(listed) if started and model_sha is not None else None
    if (
        withdrawn is not None
        and withdrawn in existing
        and history.withdrawable.get(env, {}).get(withdrawn) == model_sha
    ):
        del existing[withdrawn]  # the model is back where it was before that migration: none is new
        files = {f"sql/{env}/{name}": text for name, text in existing.items()}
        files[f"sql/{env}/{SUM_FILE}"] = sum_with(recorded, existing, None, withdrawn=withdrawn)
        return files
    memo = diffs if diffs is not None else {}
    changes = memo.get(id(previous)) if started else None
    if changes is None:
        changes = diff(
            previous, project, renames=history.renames if started else (), same_content=same_content
        )
        if started:
            memo[id(previous)] = changes
    new = None
    if changes and environment is not None:
        new = next_migration(
            existing,
            listed,
            changes,
            environment,
            terraform=terraform,
            initial=not started,
            grants_in=project.deployment.grants_in,
        )
    files = {f"sql/{env}/{name}": text for name, text in existing.items()}
    if new is not None:
        files[f"sql/{env}/{new.name}"] = new.text
    if new is not None or started:
        files[f"sql/{env}/{SUM_FILE}"] = sum_with(recorded, existing, new)
    return files


def _backend_for(backend: dict[str, dict[str, Any]] | None, env: str) -> dict[str, dict[str, Any]] | None:
    if backend is None:
        return None
    text = json.dumps(backend).replace("{env}", env)
    resolved: dict[str, dict[str, Any]] = json.loads(text)
    return resolved


def summary(generation: Generation) -> dict[str, Any]:
    """The JSON shape of `accelerator generate --format json`."""
    project = generation.governed.project
    tables = project.iter_tables()
    return {
        "tables": len(tables),
        "columns": sum(len(table.columns) for _, _, table in tables),
        "environments": generation.environments,
        "findings": [finding.to_json() for finding in generation.findings],
        "files": sorted(generation.files),
    }
