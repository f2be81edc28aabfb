"""The user's project as the terminal channel finds it: accelerator.yaml, the ERD files and the policy file."""

from __future__ import annotations

import stat
from pathlib import Path

from accelerator.config import ErdFormat, GlobLimitError, ProjectConfig, expand_glob, find_config, load_config
from accelerator.errors import AcceleratorError, read_source
from accelerator.generate import ErdInput, PolicyInput


def resolve_config(config_path: Path | None) -> ProjectConfig:
    """`--config`, else the accelerator.yaml found from the working directory, else the defaults."""
    if config_path is not None:
        if not config_path.is_file():
            raise AcceleratorError(
                f"config file {config_path} not found", hint="run `accelerator init` to create one"
            )
        return load_config(config_path)
    found = find_config(Path.cwd())
    return load_config(found) if found else ProjectConfig(root=Path.cwd())


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when they can be."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# A file the configuration names is read only up to these sizes (a pull request chooses them).
MAX_ERD_BYTES = 16 * 1024 * 1024
MAX_POLICY_BYTES = 4 * 1024 * 1024


def collect_erds(config: ProjectConfig, erd_args: list[str] | None, dialect: str | None) -> list[ErdInput]:
    """Read the ERD files `--erd` names (relative to the working directory), else the config's
    (`ProjectConfig.erd_files`: its globs expanded and checked to stay inside the repository, a
    missing one reported at its line in accelerator.yaml)."""
    inputs: list[ErdInput] = []
    if erd_args:
        for pattern in erd_args:
            try:
                matches = expand_glob(Path.cwd(), pattern)
            except GlobLimitError as limit:
                raise AcceleratorError(f"--erd {pattern}: {limit.message}", hint=limit.hint) from None
            if not matches:
                raise AcceleratorError(f"no ERD file matches {pattern!r}", hint="check the path or the glob")
            for path in matches:
                _require_file(path, "ERD file", MAX_ERD_BYTES, hint="check the path")
                inputs.append(_erd_input(path, config.project, None, dialect or "postgres", "default"))
        return inputs
    for index, source in enumerate(config.erd_sources()):
        matches = config.erd_files(index)
        where = ("erd", index, "path")
        if not matches:
            raise config.error_at(
                where, f"no ERD file matches {source.path!r}", hint="check the path or the glob"
            )
        for path in matches:
            _require_file(
                path, "ERD file", MAX_ERD_BYTES, config=config, setting=where, hint="check the path"
            )
            inputs.append(
                _erd_input(
                    path,
                    source.catalog or config.project,
                    source.format,
                    dialect or source.dialect,
                    source.schema_,
                )
            )
    return inputs


def _erd_input(path: Path, catalog: str, fmt: ErdFormat | None, dialect: str, schema: str) -> ErdInput:
    shown = display_path(path)
    return ErdInput(
        file=shown,
        text=read_source(path, shown),
        catalog=catalog,
        format=fmt,
        dialect=dialect,
        default_schema=schema,
    )


def _require_file(
    path: Path,
    what: str,
    limit: int,
    *,
    hint: str,
    config: ProjectConfig | None = None,
    setting: tuple[str | int, ...] = (),
) -> None:
    """A regular file of at most `limit` bytes, else an error (at `setting` in accelerator.yaml)."""
    problem = None
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            problem = f"{what} {display_path(path)} is not a regular file"
        elif status.st_size > limit:
            problem = f"{what} {display_path(path)} is {status.st_size:,} bytes; at most {limit:,} are read"
            hint = "split it into several files"
    except OSError:
        problem = f"{what} {display_path(path)} not found"
    if problem is None:
        return
    if config is not None:
        raise config.error_at(setting, problem, hint=hint)
    raise AcceleratorError(problem, hint=hint)


def collect_policy(config: ProjectConfig, policy_arg: Path | None) -> PolicyInput:
    """Read `--policy`, else the config's policy (`ProjectConfig.policy_path`, checked to stay inside
    the repository); none at all means the built-in default."""
    hint = "check --policy or `policy:` in the config"
    if policy_arg is not None:
        _require_file(policy_arg, "policy file", MAX_POLICY_BYTES, hint=hint)
        path = policy_arg
    else:
        found = config.policy_path()
        if found is None:
            return PolicyInput()
        _require_file(found, "policy file", MAX_POLICY_BYTES, config=config, setting=("policy",), hint=hint)
        path = found
    return PolicyInput(file=display_path(path), text=read_source(path, display_path(path)))
