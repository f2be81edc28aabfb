"""The user's project as the terminal channel finds it: accelerator.yaml, the ERD files and the policy file."""

from __future__ import annotations

import glob
from pathlib import Path

from accelerator.config import ProjectConfig, find_config, load_config
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


def collect_erds(config: ProjectConfig, erd_args: list[str] | None, dialect: str | None) -> list[ErdInput]:
    """Read the ERD files `--erd` names (relative to the working directory), else the config's."""
    sources: list[tuple[str, Path, str, str | None, str, str]]
    if erd_args:
        sources = [
            (pattern, Path.cwd(), config.project, None, dialect or "postgres", "default")
            for pattern in erd_args
        ]
    else:
        sources = [
            (s.path, config.root, s.catalog or config.project, s.format, dialect or s.dialect, s.schema_)
            for s in config.erd_sources()
        ]
    inputs: list[ErdInput] = []
    for pattern, root, catalog, fmt, sql_dialect, schema in sources:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matches = sorted(glob.glob(full, recursive=True)) if glob.has_magic(full) else [full]
        if not matches:
            raise AcceleratorError(f"no ERD file matches {pattern!r}", hint="check the path or the glob")
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise AcceleratorError(f"ERD file {display_path(path)} not found", hint="check the path")
            inputs.append(
                ErdInput(
                    file=display_path(path),
                    text=read_source(path, display_path(path)),
                    catalog=catalog,
                    format=fmt,
                    dialect=sql_dialect,
                    default_schema=schema,
                )
            )
    return inputs


def collect_policy(config: ProjectConfig, policy_arg: Path | None) -> PolicyInput:
    """Read `--policy`, else the config's policy; none at all means the built-in default."""
    path = policy_arg if policy_arg is not None else (config.root / config.policy if config.policy else None)
    if path is None:
        return PolicyInput()
    if not path.is_file():
        raise AcceleratorError(
            f"policy file {display_path(path)} not found", hint="check --policy or `policy:` in the config"
        )
    return PolicyInput(file=display_path(path), text=read_source(path, display_path(path)))
