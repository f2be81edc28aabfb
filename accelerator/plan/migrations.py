"""Versioned migrations of one environment: their numbers, file names, text, and the sum file.

`generated/sql/<env>/` holds `V{n:04d}__{slug}.sql` files, each the delta between two generations,
and `migrations.sum` (like Atlas's `atlas.sum`): a total line, then one line per migration with its
SHA-256. The sum is the record: a migration listed there is immutable (a changed hash or a missing
file is tampering), a `V` file not listed there was not written by `generate`. Pure: texts in,
texts out; the CLI reads and writes the directory.

Numbering: the next migration takes the version after the highest one the sum lists. Two branches
that both added that version (two PRs) meet when one is regenerated on top of the other: the
version is then taken by a file with different content, and the new migration takes the next free
version instead; a file with that version and the same content is this migration (kept as is).

Withdrawal: a migration never applied (the conversation made it, see `MigrationHistory.withdrawable`)
is taken away, with its line of the sum, when the model is again exactly the one before it (an
`undo`); any other way back is a new migration. Each environment has its own history: while a run
of `generate --env` for others moves model.json on, `sql/<env>/model.json` (`BASELINE_FILE`) keeps
the model its migrations lead to.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from accelerator.model.elements import Environment, Project, Span
from accelerator.model.findings import Finding
from accelerator.plan import changes as c
from accelerator.plan.gates import gate_lines
from accelerator.plan.migration_sql import GrantsIn, migration_sql
from accelerator.plan.renames import Rename

SUM_FILE = "migrations.sum"
# The model an environment's migrations lead to while it lags behind the output's model.json (a run
# of `generate --env` for other environments wrote that one); gone once the environment catches up.
BASELINE_FILE = "model.json"
MIGRATION_FILE = re.compile(r"V(\d{4,})__([A-Za-z0-9_]+)\.sql")
SLUG_LENGTH = 60  # the whole file name stays readable in a PR's file list
TAMPERED = "migrations.tampered"
HEADER = "-- {name}: environment {env}, written by `accelerator generate`; never edit (migrations.sum)"


@dataclass(frozen=True)
class Migration:
    version: int
    slug: str
    text: str

    @property
    def name(self) -> str:
        return f"V{self.version:04d}__{self.slug}.sql"


@lru_cache(maxsize=8192)  # a turn asks again about every migration of a conversation's environments
def migration_version(name: str) -> int | None:
    """The version of a migration file name, None for any other file."""
    match = MIGRATION_FILE.fullmatch(name)
    return int(match.group(1)) if match else None


def empty_like(project: Project) -> Project:
    """The project before its first migration: its environments and deployment, no catalogs."""
    return Project(
        name=project.name,
        environments=[e.model_copy() for e in project.environments],
        deployment=project.deployment.model_copy(),
    )


_ENVIRONMENT_SETTINGS = (c.SetCatalogTemplate, c.SetCatalogStorage, c.SetCatalogIsolation)


def changes_in(changes: Sequence[c.Change], environment: str) -> list[c.Change]:
    """The changes that concern `environment`: a grant or a revoke declared for others, or another
    environment's catalog settings, are not its."""
    kept: list[c.Change] = []
    for change in changes:
        if isinstance(change, _ENVIRONMENT_SETTINGS) and change.name != environment:
            continue
        if isinstance(change, c.GrantPrivileges) and not change.applies_in(environment):
            continue
        if (
            isinstance(change, c.RevokePrivileges)
            and change.environments
            and environment not in change.environments
        ):
            continue
        kept.append(change)
    return kept


# --- one migration --------------------------------------------------------------------------------

_VERB = {
    c.AddCatalog: "add", c.AddSchema: "add", c.AddTable: "add", c.AddColumn: "add",
    c.DropCatalog: "drop", c.DropSchema: "drop", c.DropTable: "drop", c.DropColumn: "drop",
    c.RenameTable: "rename", c.RenameColumn: "rename", c.ChangeColumnType: "retype",
    c.GrantPrivileges: "grant", c.RevokePrivileges: "revoke", c.SetOwner: "owner",
    c.SetTag: "tag", c.UnsetTag: "untag", c.SetMask: "mask", c.DropMask: "unmask",
    c.SetComment: "comment", c.SetClassification: "classify",
}  # fmt: skip


def migration_slug(changes: Sequence[c.Change], *, initial: bool = False) -> str:
    """A file-name-safe summary of the changes: `add_orders_channel_drop_orders_ip_address`."""
    if initial:
        return "initial"
    words: list[str] = []
    for change in changes:
        verb = _VERB.get(type(change))
        if verb is None or not change.path.parts:
            continue
        word = re.sub(r"[^a-z0-9]+", "_", f"{verb}_{'_'.join(change.path.parts[-2:])}".lower()).strip("_")
        if word not in words:
            words.append(word)
    if not words:
        return "change"
    slug, rest = words[0][:SLUG_LENGTH].strip("_"), words[1:]
    while rest and len(slug) + 1 + len(rest[0]) <= SLUG_LENGTH:
        slug += "_" + rest.pop(0)
    return slug + (f"_and_{len(rest)}_more" if rest else "")


def render_migration(
    name: str,
    changes: Sequence[c.Change],
    environment: Environment,
    *,
    terraform: bool,
    grants_in: GrantsIn = "both",
) -> str | None:
    """The text of a migration: a header listing each change (code, risk, description), then one
    statement per line group, each ending with `;`. None when the changes need no SQL here."""
    changes = changes_in(changes, environment.name)
    statements = migration_sql(changes, environment, terraform=terraform, grants_in=grants_in)
    if not statements:
        return None
    lines = [HEADER.format(name=name, env=environment.name)]
    width = max(len(change.risk) for change in changes)
    for change in changes:
        lines.append(f"-- {change.code} {change.risk:<{width}}  {_one_line(change.describe())}")
    lines += gate_lines(changes)
    body = "\n\n".join(statement.rstrip() + ";" for statement in statements)
    return "\n".join(lines) + "\n\n" + body + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def next_migration(
    existing: Mapping[str, str],
    listed: Sequence[str],
    changes: Sequence[c.Change],
    environment: Environment,
    *,
    terraform: bool,
    initial: bool = False,
    grants_in: GrantsIn = "both",
) -> Migration | None:
    """The migration of `changes` after those of the sum (`listed`), given the `V` files there are
    (`existing`, name -> text); None when the changes need no SQL in this environment."""
    slug = migration_slug(changes_in(changes, environment.name), initial=initial)
    listed_versions = [v for v in (migration_version(name) for name in listed) if v is not None]
    version = max(listed_versions, default=0) + 1
    taken = {v for v in (migration_version(name) for name in existing) if v is not None}
    while True:
        name = Migration(version, slug, "").name
        text = render_migration(name, changes, environment, terraform=terraform, grants_in=grants_in)
        if text is None:
            return None
        same = [n for n, t in existing.items() if migration_version(n) == version and t == text]
        if same or version not in taken:
            return Migration(version, slug, text)
        version = max(taken) + 1  # another branch's migration holds it: the next free version


def reverted(renames: Sequence[Rename]) -> list[Rename]:
    """The renames that take the model after `renames` back to the one before, in the names of the
    model after: a column renamed a -> b is renamed b -> a, in its table's name after (a table
    renamed in the same turn is named by its new name)."""
    tables = {(r.catalog, r.schema.lower(), r.old.lower()): r.new for r in renames if r.kind == "table"}
    back: list[Rename] = []
    for rename in renames:
        if rename.kind == "table":
            back.append(Rename("table", rename.schema, rename.new, rename.new, rename.old, rename.catalog))
        else:
            table = tables.get((rename.catalog, rename.schema.lower(), rename.table.lower()), rename.table)
            back.append(Rename("column", rename.schema, table, rename.new, rename.old, rename.catalog))
    return back


def last_migration(listed: Sequence[str]) -> str | None:
    """The migration of the highest version among `listed` (file names), None when there is none."""
    versions = [(version, name) for name in listed if (version := migration_version(name)) is not None]
    return max(versions)[1] if versions else None


# --- the sum file ---------------------------------------------------------------------------------


class TextDigests:
    """sha256 (hex) of texts, kept by the text: a conversation's turn hashes every source and
    generated file, and most are the texts the last turn hashed (the same strings: unchanged
    migrations, cached pieces), whose look-up costs a pointer comparison (a string keeps its hash).
    The least recently used texts go beyond `budget` characters in all. Thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._size = 0
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> str:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
                return found
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if len(text) <= self.budget:
            with self._lock:
                if text not in self._items:
                    self._items[text] = digest
                    self._size += len(text)
                    while self._size > self.budget:
                        evicted, _ = self._items.popitem(last=False)
                        self._size -= len(evicted)
        return digest

    def __contains__(self, text: object) -> bool:
        """Whether the digest of `text` is kept."""
        with self._lock:
            return text in self._items


# Two turns' files of a 1,000-table model fit (its model.json is about 5 MB).
file_hash = TextDigests(budget=32 * 1024 * 1024)


def _total(entries: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for name, hashed in entries:
        digest.update(f"{name} {hashed}\n".encode())
    return digest.hexdigest()


def render_sum(entries: Sequence[tuple[str, str]]) -> str:
    """`migrations.sum`: `total <sha256 over the lines>`, then `<file> <sha256>` per migration."""
    ordered = sorted(entries, key=lambda entry: (migration_version(entry[0]) or 0, entry[0]))
    return "".join([f"total {_total(ordered)}\n", *(f"{name} {hashed}\n" for name, hashed in ordered)])


@dataclass(frozen=True)
class SumFile:
    entries: tuple[tuple[str, str], ...]  # (file name, sha256) in file order
    total: str | None  # the recorded total; None when the line is missing
    malformed: tuple[int, ...] = ()  # line numbers that are neither

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.entries]

    @property
    def consistent(self) -> bool:
        return not self.malformed and self.total == _total(self.entries)


def parse_sum(text: str) -> SumFile:
    entries: list[tuple[str, str]] = []
    total, malformed = None, []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 2 and parts[0] == "total" and total is None:
            total = parts[1]
        elif len(parts) == 2 and migration_version(parts[0]) is not None:
            entries.append((parts[0], parts[1]))
        else:
            malformed.append(number)
    return SumFile(tuple(entries), total, tuple(malformed))


def sum_with(
    previous: SumFile | None,
    existing: Mapping[str, str],
    new: Migration | None,
    *,
    withdrawn: str | None = None,
) -> str:
    """The sum after `new`: the recorded lines unchanged (an edited migration stays detectable),
    plus the new one, less the line of a `withdrawn` migration. Without a previous sum, the `V`
    files there are are adopted."""
    entries = list(previous.entries) if previous is not None else [
        (name, file_hash(text)) for name, text in existing.items() if migration_version(name) is not None
    ]  # fmt: skip
    entries = [(name, hashed) for name, hashed in entries if name != withdrawn]
    if new is not None and new.name not in {name for name, _ in entries}:
        entries.append((new.name, file_hash(new.text)))
    return render_sum(entries)


def verify_migrations(directory: str, files: Mapping[str, str], sum_text: str | None) -> list[Finding]:
    """Error findings, each located at its file (`directory/<name>`), for a migration listed in the
    sum that was edited or removed, a `V` file the sum does not list, and a sum edited by hand."""
    sum_path = f"{directory}/{SUM_FILE}"
    migrations = {n: t for n, t in files.items() if migration_version(n) is not None}
    if sum_text is None:
        return [
            _tampered(f"{directory}/{name}", f"{name} is not recorded: {sum_path} is missing")
            for name in sorted(migrations)
        ]
    recorded = parse_sum(sum_text)
    findings: list[Finding] = []
    for line in recorded.malformed:
        findings.append(_tampered(sum_path, "not a `<file> <sha256>` or `total <sha256>` line", line=line))
    if not recorded.malformed and not recorded.consistent:
        findings.append(_tampered(sum_path, "its total does not match its lines: it was edited by hand"))
    listed = dict(recorded.entries)
    for name, hashed in recorded.entries:
        if name not in migrations:
            findings.append(
                _tampered(f"{directory}/{name}", f"{name} is recorded in {SUM_FILE} but was removed")
            )
        elif file_hash(migrations[name]) != hashed:
            findings.append(_tampered(f"{directory}/{name}", f"{name} was edited after it was generated"))
    for name in sorted(migrations.keys() - listed.keys()):
        findings.append(_tampered(f"{directory}/{name}", f"{name} is not recorded in {SUM_FILE}"))
    return findings


FIX_HINT = (
    "migrations are immutable once generated: restore the file from git (`git checkout -- <file>`);"
    " a change goes into the ERD or policy, and `accelerator generate` writes it as a new migration"
)


def _tampered(file: str, message: str, *, line: int = 1) -> Finding:
    return Finding(
        rule=TAMPERED,
        severity="error",
        message=f"{message}; {FIX_HINT}",
        span=Span(file=file, line=line, column=1, end_line=line, end_column=1),
    )
