"""Identifier rules: Unity Catalog's own limits, case styles, and the SQL reserved words.

Unity Catalog names are at most 255 characters and contain no `.`, space, `/` or control
character; UC stores them lower-case, so an upper-case letter is only a warning. The reserved words
are Spark SQL's ANSI-mode reserved keywords (a column named `order` or `user` must be quoted
everywhere); a policy replaces the list with `rules.naming.reserved_words`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

UC_MAX_NAME_LENGTH = 255
UC_FORBIDDEN_CHARACTERS = re.compile(r"[.\s/\x00-\x1f\x7f]")

_RESERVED_TEXT = """
    all alter and any array as at authorization between both by case cast check collate column
    commit constraint create cross cube current current_date current_time current_timestamp
    current_user delete describe distinct drop else end escape except exists external false fetch
    filter for foreign from full function global grant group grouping having in inner insert
    intersect interval into is join lateral leading left like local natural no not null of on only
    or order out outer overlaps partition position primary range references revoke right rollback
    rollup row rows select session_user set some start table tablesample then time to trailing
    true truncate union unique unknown update user using values when where window with
"""
RESERVED_WORDS: frozenset[str] = frozenset(_RESERVED_TEXT.split())

CASE_PATTERNS: dict[str, re.Pattern[str]] = {
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"),
    "camelCase": re.compile(r"[a-z][a-zA-Z0-9]*"),
    "PascalCase": re.compile(r"[A-Z][a-zA-Z0-9]*"),
    "UPPER_SNAKE": re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"),
    "kebab-case": re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"),
}

# Word boundaries: any non-alphanumeric run, and camelCase humps (`orderID2` -> order, ID2).
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_HUMPS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def split_words(name: str) -> list[str]:
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        words.extend(word for word in _HUMPS.split(chunk) if word)
    return words


def _capitalized(words: list[str]) -> list[str]:
    return [word[:1].upper() + word[1:].lower() for word in words]


CONVERTERS: dict[str, Callable[[list[str]], str]] = {
    "snake_case": lambda words: "_".join(word.lower() for word in words),
    "camelCase": lambda words: words[0].lower() + "".join(_capitalized(words[1:])) if words else "",
    "PascalCase": lambda words: "".join(_capitalized(words)),
    "UPPER_SNAKE": lambda words: "_".join(word.upper() for word in words),
    "kebab-case": lambda words: "-".join(word.lower() for word in words),
}


def convert_case(name: str, style: str) -> str:
    """`name` rewritten in `style`; the name itself when it has no letters or digits."""
    return CONVERTERS[style](split_words(name)) or name


def uc_name_problem(name: str) -> tuple[str, str] | None:
    """(rule id, message) for a name Unity Catalog rejects, or None."""
    if len(name) > UC_MAX_NAME_LENGTH:
        return "uc.name.length", f"is {len(name)} characters long; Unity Catalog allows {UC_MAX_NAME_LENGTH}"
    bad = UC_FORBIDDEN_CHARACTERS.search(name)
    if bad:
        return "uc.name.characters", f"contains {bad.group()!r}, which Unity Catalog does not allow in names"
    if not name:
        return "uc.name.length", "is empty"
    return None


# Environment names become directory names (generated/sql/<env>/) and parts of catalog names, and
# project/catalog/schema names in accelerator.yaml become file names (docs/<catalog>.md): ASCII
# letters, digits, `_` and `-` only, so no path separator, `..` or invisible character gets through.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def safe_name_problem(name: str, what: str) -> str | None:
    """Why `name` is not a safe `what` (environment, catalog, ...) name, or None; the text does not
    repeat the name (callers show it)."""
    article = "an" if what[:1] in ("a", "e", "i", "o", "u") else "a"
    if not name:
        return f"{article} {what} name must not be empty"
    if len(name) > UC_MAX_NAME_LENGTH:
        return (
            f"{article} {what} name is at most {UC_MAX_NAME_LENGTH} characters long (this one: {len(name)})"
        )
    if SAFE_NAME.fullmatch(name) is None:
        return f"{article} {what} name may contain only ASCII letters, digits, '_' and '-', and not start with '-'"
    return None
