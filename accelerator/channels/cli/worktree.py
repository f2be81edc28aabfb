"""The local working tree as the session's mirror of the thread's committed state.

After a turn commits, its sources and generated files are written here; both writes are idempotent
(a file that already says it is not touched), so a process killed half-way simply writes the rest
the next time. Before a turn, a source that differs from the committed state is either stale (it
still holds the text before the last change: a crash came between commit and write; it is
rewritten) or a hand edit (any other text; it is adopted by the next turn).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accelerator.agent.crash import crash_point
from accelerator.agent.limits import first_unstorable
from accelerator.agent.state import ConversationState
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


def check_working_tree(root: Path, state: ConversationState) -> WorkingTreeCheck:
    """Compare the working tree's sources with the committed state; repair stale files."""
    check = WorkingTreeCheck()
    previous = state.get("previous") or {}
    for file, text in state["sources"].items():
        path = root / file
        current = path.read_bytes().decode("utf-8", "replace") if path.is_file() else None
        if current == text:
            continue
        if current is None or current == previous.get(file):
            write_atomically(path, text)
            check.stale.append(file)
        else:
            require_storable(file, current)
            check.hand_edited[file] = current
    return check


def write_sources(root: Path, sources: Mapping[str, str]) -> list[str]:
    written = [file for file, text in sorted(sources.items()) if write_atomically(root / file, text)]
    crash_point("materialize.sources")
    return written


def write_generated(out_dir: Path, files: Mapping[str, str]) -> int:
    changed = sum(1 for relative, text in files.items() if write_atomically(out_dir / relative, text))
    crash_point("materialize.generated")
    return changed
