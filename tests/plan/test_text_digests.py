"""`file_hash` keeps the digests of the texts it hashed (a turn hashes mostly the same texts again),
within a budget of characters, and is always the text's sha256."""

from __future__ import annotations

import hashlib

from accelerator.plan.migrations import TextDigests, file_hash


def test_a_kept_digest_is_the_texts_sha256() -> None:
    text = "CREATE TABLE t (id BIGINT);\n" * 100
    assert file_hash(text) == hashlib.sha256(text.encode()).hexdigest()
    assert file_hash(text) == hashlib.sha256(text.encode()).hexdigest()  # the kept one
    assert file_hash("é") == hashlib.sha256("é".encode()).hexdigest()


def test_the_least_recently_used_texts_go_beyond_the_budget() -> None:
    digests = TextDigests(budget=10)
    digests("abc")
    digests("12345")
    digests("abc")  # used again: "12345" is now the oldest
    digests("xyzw")
    assert "12345" not in digests and "abc" in digests and "xyzw" in digests
    too_long = "x" * 11
    assert digests(too_long) == hashlib.sha256(too_long.encode()).hexdigest()
    assert too_long not in digests and "abc" in digests
