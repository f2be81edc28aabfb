"""The local working tree as the session's mirror of the thread's committed state.

The working tree is the truth. After a turn commits, its sources and generated files are written
here; both writes are idempotent, so a process killed half-way simply writes the rest the next time.
A turn in flight is journaled (`.accelerator/turns/<thread>.json`: the tree's source hashes when the
turn started) and the journal is removed once the tree is written. Before a turn, a source that
differs from the committed state is rewritten only when a journal says a turn was interrupted and
the tree is exactly as that turn found it (a crash between commit and write); any other difference
is a hand edit, adopted by the next turn and never overwritten. A missing source is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accelerator.agent.crash import crash_point
from accelerator.agent.limits import first_unstorable
from accelerator.agent.state import ConversationState, sha256
from accelerator.config import ProjectConfig
from accelerator.errors import SourceError

# `.<name>.accelerator-<pid>-<random>.tmp`: whose it is, so a later process can tell a dead writer's.
TEMPORARY_PREFIX = "accelerator-"
TEMPORARY = re.compile(r"^\..+\.accelerator-(\d+)-[^.]+\.tmp$")


@dataclass
class WorkingTreeCheck:
    stale: list[str] = field(default_factory=list)  # rewritten from the committed state
    hand_edited: dict[str, str] = field(default_factory=dict)  # file -> text, for the next turn


def write_atomically(path: Path, text: str) -> bool:
    """Replace `path` with `text` unless it already holds it; never leaves a half-written file."""
    if path.is_file() and path.read_bytes() == text.encode("utf-8"):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    prefix = f".{path.name}.{TEMPORARY_PREFIX}{os.getpid()}-"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            os.fchmod(stream.fileno(), mode)  # mkstemp makes 0600; the file keeps its own mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _mode_for(path: Path) -> int:
    """The permission bits `path` has, or those a new file gets under the process's umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_stale_temporaries(directories: Iterable[Path]) -> list[Path]:
    """Delete the temporary files of writers that died (killed between write and rename)."""
    removed: list[Path] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in directory.rglob(".*.tmp"):
            match = TEMPORARY.match(path.name)
            if match is not None and not _alive(int(match.group(1))):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def require_storable(file: str, text: str) -> None:
    """A source the memory cannot store (a NUL byte) is a located error, not a crash at commit."""
    where = first_unstorable(text)
    if where is not None:
        raise SourceError(
            "the file holds a NUL byte (or undecodable text), which the memory cannot store",
            file=file,
            line=where[0],
            column=where[1],
            hint="remove the character and run again",
        )


def journal_path(root: Path, thread_id: str) -> Path:
    return root / ".accelerator" / "turns" / f"{hashlib.sha256(thread_id.encode()).hexdigest()[:16]}.json"


def begin_turn(root: Path, thread_id: str, tree: Mapping[str, str]) -> None:
    """Journal a turn about to run: the hashes of the sources as the tree holds them now."""
    started = {file: sha256(text) for file, text in sorted(tree.items())}
    write_atomically(journal_path(root, thread_id), json.dumps({"thread_id": thread_id, "tree": started}))


def end_turn(root: Path, thread_id: str) -> None:
    """The turn's state is in the tree (or it never committed): nothing left to repair."""
    journal_path(root, thread_id).unlink(missing_ok=True)


def interrupted_turn(root: Path, thread_id: str) -> dict[str, str] | None:
    """The tree's source hashes as the interrupted turn found them, if a turn was interrupted."""
    try:
        journal = json.loads(journal_path(root, thread_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tree = journal.get("tree") if isinstance(journal, dict) else None
    return tree if isinstance(tree, dict) else None


def read_tree(root: Path, files: Iterable[str]) -> dict[str, str | None]:
    """The working tree's text of each source (None: missing); bytes that are not UTF-8 as U+FFFD."""
    return {
        file: (root / file).read_bytes().decode("utf-8", "replace") if (root / file).is_file() else None
        for file in files
    }


def check_working_tree(root: Path, state: ConversationState) -> WorkingTreeCheck:
    """Compare the working tree's sources with the committed state; repair what a crash left."""
    check = WorkingTreeCheck()
    tree = read_tree(root, state["sources"])
    started = interrupted_turn(root, state["thread_id"])
    # Repair only a tree exactly as the interrupted turn found it: anything else is somebody's change.
    repair = started is not None and started == {f: sha256(t) for f, t in tree.items() if t is not None}
    for file, text in state["sources"].items():
        current = tree[file]
        if current == text:
            continue
        if current is None or repair:
            write_atomically(root / file, text)
            check.stale.append(file)
        else:
            require_storable(file, current)
            check.hand_edited[file] = current
    return check


def write_sources(
    root: Path, sources: Mapping[str, str], *, inside: ProjectConfig | None = None
) -> list[str]:
    written = [
        file
        for file, text in sorted(sources.items())
        if write_atomically(_checked(root / file, inside), text)
    ]
    crash_point("materialize.sources")
    return written


def write_generated(out_dir: Path, files: Mapping[str, str], *, inside: ProjectConfig | None = None) -> int:
    changed = sum(
        1 for relative, text in files.items() if write_atomically(_checked(out_dir / relative, inside), text)
    )
    crash_point("materialize.generated")
    return changed


def _checked(path: Path, inside: ProjectConfig | None) -> Path:
    """`path`, refused when it resolves outside the repository (a pull request may plant a link)."""
    if inside is not None:
        inside.inside_root(path)
    return path
