"""One environment's migrations as `apply` runs them: verified against migrations.sum, in version
order, each split into its statements (the project's splitter, `render.validation.split_statements`:
`;` tokens outside strings and comments), each statement located at its file, line and column.

Pure: the channel reads `generated/sql/<env>/` and passes the texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot.errors import TokenError

from accelerator.errors import AcceleratorError
from accelerator.model.findings import Finding
from accelerator.plan.migrations import file_hash, migration_version, verify_migrations
from accelerator.render.validation import split_statements


class DeployRefused(AcceleratorError):
    """`apply` or `drift` will not run: bad input, tampered files, a held lock, a history that does
    not match the files (exit 2). `findings` are the located problems, when there are several."""

    def __init__(
        self, message: str, *, hint: str | None = None, findings: list[Finding] | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.findings = findings or []

    def format(self) -> str:
        lines = [f"{finding.span}: error: {finding.message}" for finding in self.findings if finding.span]
        return "\n".join([*lines, super().format()])


@dataclass(frozen=True)
class Statement:
    index: int  # 0-based position in its migration
    text: str  # without the `;`
    line: int
    column: int


@dataclass(frozen=True)
class LocalMigration:
    version: int
    name: str  # V0001__initial.sql
    file: str  # as messages show it: generated/sql/dev/V0001__initial.sql
    checksum: str  # SHA-256 of the text, as migrations.sum records it
    statements: tuple[Statement, ...]

    def location(self, statement: Statement) -> str:
        return f"{self.file}:{statement.line}:{statement.column}"


def local_migrations(directory: str, files: Mapping[str, str], sum_text: str | None) -> list[LocalMigration]:
    """The migrations of `directory` (as shown; `files`: name -> text of its `V` files) in version
    order; a DeployRefused listing each tampered, unrecorded or removed file (see
    `verify_migrations`), or a migration whose text cannot be split into statements."""
    findings = verify_migrations(directory, files, sum_text)
    if findings:
        raise DeployRefused(
            f"{directory}: the migrations do not match {directory}/migrations.sum",
            hint="migrations are immutable once generated: restore them from git; "
            "a change goes into the ERD or policy and `accelerator generate` writes a new migration",
            findings=findings,
        )
    found: list[LocalMigration] = []
    versions: dict[int, str] = {}
    for name, text in files.items():
        version = migration_version(name)
        if version is None:
            continue
        if version in versions:
            raise DeployRefused(
                f"{directory}: {versions[version]} and {name} have the same version {version}",
                hint="regenerate on top of the other branch (`accelerator generate`) to renumber one",
            )
        versions[version] = name
        file = f"{directory}/{name}"
        try:
            parts = split_statements(text)
        except TokenError as error:
            raise DeployRefused(f"{file}: the text cannot be read as SQL: {error}") from None
        statements = tuple(
            Statement(index, part.text, part.line, part.column) for index, part in enumerate(parts)
        )
        found.append(LocalMigration(version, name, file, file_hash(text), statements))
    return sorted(found, key=lambda migration: migration.version)
