"""What one turn may carry in and send back, and how untrusted text is made storable.

A PR's comments are written by strangers: every bound a turn enforces is here, so the README and the
replies name the same numbers. A message over a bound is refused whole (nothing applied); a reply
over GitHub's comment limit is shortened, never split.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_MESSAGE_CHARS = 20_000  # a longer message is refused before it is parsed or shown to a model
MAX_EDITS_PER_MESSAGE = 50  # bounds the time a turn holds the thread's lock and transaction
MAX_REPLY_CHARS = 65_536  # GitHub's limit for one comment body
MAX_ECHO_CHARS = 200  # a user's text quoted back in a reply is cut to this, with "…"
MAX_UNDO_LEVELS = 10  # turns `undo` can take back (each level keeps the texts it restores)
MAX_LISTED_ITEMS = 20  # a reply lists this many items (edits, files), then "and N more"

REPLACEMENT = "\ufffd"
# PostgreSQL `text` cannot hold NUL, and UTF-8 cannot encode a lone surrogate (from undecodable input).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with every character PostgreSQL text cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def first_unstorable(text: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of the first character `storable` would replace, else None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    before = text[: match.start()]
    line = before.count("\n") + 1
    return line, match.start() - (before.rfind("\n") + 1) + 1


def echo(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """A user's text as a reply quotes it: at most `limit` characters, cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listed(items: Sequence[str], limit: int = MAX_LISTED_ITEMS) -> list[str]:
    """The first `limit` items, then "and N more" for the rest."""
    if len(items) <= limit:
        return list(items)
    return [*items[:limit], f"and {len(items) - limit} more"]


def bounded_reply(reply: str, limit: int = MAX_REPLY_CHARS) -> str:
    """A reply that fits one GitHub comment: a longer one keeps its start and says it was shortened."""
    if len(reply) <= limit:
        return reply
    note = f"\n… (reply shortened: {len(reply):,} characters, over the {limit:,} a comment holds)"
    return reply[: limit - len(note)] + note
