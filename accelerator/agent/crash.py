"""Named crash points through a turn, for the SIGKILL reliability tests.

`ACCELERATOR_CRASH_AT=<name>` kills the process (SIGKILL: no cleanup, no flush, like a runner lost
mid-turn) the first time the turn passes `crash_point(<name>)`. Unset, a crash point costs one dict
lookup. The names are listed in `CRASH_POINTS` so a test can walk all of them.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "ACCELERATOR_CRASH_AT"

CRASH_POINTS: tuple[str, ...] = (
    "session.opened",
    "session.locked",
    "session.materialized",
    "turn.begin",
    "turn.event_checked",
    "interpret.parsed",
    "interpret.done",
    "apply.patched",
    "apply.done",
    "undo.done",
    "govern.done",
    "render.done",
    "publish.before_messages",
    "publish.user_message",
    "publish.assistant_message",
    "publish.files",
    "wait.before_interrupt",
    "turn.checkpointed",
    "turn.committed",
    "materialize.sources",
    "materialize.generated",
    "turn.replied",
    "turn.unlocked",
)


def crash_point(name: str) -> None:
    """Die here, at once, if the environment names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
