"""What the sandbox accepts from a request: logins, repository names, file paths, ref names, sizes.

Each check raises the 404/422 GitHub would answer; nothing unchecked reaches git or the disk.
"""

from __future__ import annotations

import re

from accelerator.sandbox.errors import GitHubError, not_found, validation_failed

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?$")
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_COMMENT_CHARS = 65536
MAX_TITLE_CHARS = 256
# check-ref-format's rules for one component, plus the characters it refuses anywhere.
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def login(value: str) -> str:
    if not LOGIN.match(value):
        raise not_found()
    return value


def repository_name(value: str) -> str:
    if not REPOSITORY_NAME.match(value) or value in (".", "..") or value.endswith(".git"):
        raise validation_failed("Repository", "name", "name is invalid")
    return value


def file_path(value: str) -> str:
    """A path inside a repository: relative, no `.`/`..` component, no `.git` directory."""
    parts = value.split("/")
    if (
        not value
        or value.startswith("/")
        or any(part in ("", ".", "..") or part.lower() == ".git" for part in parts)
        or any(ord(char) < 0x20 for char in value)
    ):
        raise validation_failed("Content", "path", f"path {value!r} is not a valid path in a repository")
    return value


def branch_name(value: str) -> str:
    """A branch name as `git check-ref-format --branch` accepts it."""
    ref_name(f"refs/heads/{value}")
    return value


def ref_name(value: str) -> str:
    """A full ref name (`refs/...`) as `git check-ref-format` accepts it."""
    components = value.split("/")
    if (
        not value.startswith("refs/")
        or len(components) < 3
        or len(value) > 255
        or REF_FORBIDDEN.search(value)
        or value.endswith((".", "/", ".lock"))
        or value == "@"
        or any(not part or part.startswith(".") or part.endswith(".lock") for part in components)
    ):
        raise validation_failed("Reference", "ref", f"{value} is not a valid ref name.")
    return value


def sha(value: object, field: str = "sha") -> str:
    if not isinstance(value, str) or not SHA.match(value):
        raise validation_failed("Reference", field, f"{field} must be a 40-character hexadecimal SHA")
    return value


def text(value: object, field: str, resource: str, limit: int, required: bool = True) -> str:
    """A string field, required or not, at most `limit` characters (GitHub's message for the limit)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise validation_failed(resource, field, f"{field} wasn't supplied.", code="missing_field")
    if len(value) > limit:
        raise validation_failed(
            resource, field, f"{field.capitalize()} is too long (maximum is {limit} characters)"
        )
    return value


def forbidden(owner: str, name: str, login: str) -> GitHubError:
    return GitHubError(403, f"Permission to {owner}/{name}.git denied to {login}.")
