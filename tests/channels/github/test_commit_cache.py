"""A pushed commit's message is untrusted: the commit cache keeps its trailer and parents, and the
message itself only when it is short (a fork's pushes could otherwise fill the process's memory)."""

from __future__ import annotations

from accelerator.channels.github.commits import MAX_KEPT_MESSAGE, CommitInfo, commit_message


def test_a_long_message_is_not_kept_but_its_trailer_is() -> None:
    message = "x" * (10 * MAX_KEPT_MESSAGE) + "\n\nAccelerator-Turn: abc-123\n"
    info = CommitInfo.of("a" * 40, message, ("b" * 40,))
    assert (info.trailer, info.message, info.parents) == ("abc-123", "", ("b" * 40,))


def test_the_bots_own_message_is_kept_whole() -> None:
    message = commit_message("accelerator: rename column x to y", "delivery-1")
    info = CommitInfo.of("a" * 40, message, ())
    assert (info.trailer, info.message) == ("delivery-1", message)
    assert CommitInfo.of("c" * 40, "a human's commit", ()).trailer is None
