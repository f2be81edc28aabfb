"""The local working tree as the session's mirror of the thread's committed state.

After a turn commits, its sources and generated files are written here; both writes are idempotent
(a file that already says it is not touched), so a process killed half-way simply writes the rest
the next time. Before a turn, a source that differs from the committed state is either stale (it
still holds the text before the last change: a crash came between commit and write; it is
rewritten) or a hand edit (any other text; it is adopted by the next turn).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accelerator.agent.crash import crash_point
from accelerator.agent.state import ConversationState


@dataclass
class WorkingTreeCheck:
    stale: list[str] = field(default_factory=list)  # rewritten from the committed state
    hand_edited: dict[str, str] = field(default_factory=dict)  # file -> text, for the next turn


def write_atomically(path: Path, text: str) -> bool:
    """Replace `path` with `text` unless it already holds it; never leaves a half-written file."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def check_working_tree(root: Path, state: ConversationState) -> WorkingTreeCheck:
    """Compare the working tree's sources with the committed state; repair stale files."""
    check = WorkingTreeCheck()
    previous = state.get("previous") or {}
    for file, text in state["sources"].items():
        path = root / file
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        if current is None or current == previous.get(file):
            write_atomically(path, text)
            check.stale.append(file)
        else:
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
