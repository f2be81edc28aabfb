"""What every command of the terminal channel shares: the app factory, the options, output and exit codes.

Exit codes everywhere: 0 ok, 1 error-severity findings, 2 bad input or usage.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from accelerator.errors import AcceleratorError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def new_app(**settings: Any) -> typer.Typer:
    """A Typer app with the channel's settings: no shell-completion commands, errors as messages."""
    return typer.Typer(add_completion=False, pretty_exceptions_enable=False, **settings)


def fail(error: AcceleratorError) -> NoReturn:
    """Print a user's error (located when it can be) on stderr and exit with the usage code."""
    err.print(error.format(), markup=False)
    raise typer.Exit(EXIT_USAGE)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="accelerator.yaml (default: ./accelerator.yaml if present)"),
]
ErdOption = Annotated[
    list[str] | None, typer.Option("--erd", help="ERD file or glob (repeatable); overrides the config")
]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="governance policy YAML; overrides the config")
]
DialectOption = Annotated[
    str | None, typer.Option("--dialect", help="SQL dialect of .sql ERDs (postgres, mysql, tsql, ...)")
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="PostgreSQL URL (default: DATABASE_URL, else the embedded one)"),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json")]
