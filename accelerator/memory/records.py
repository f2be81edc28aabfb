"""What the memory stores, as typed rows. Built from `dict_row` results by `from_row`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Self


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class FileKind(StrEnum):
    ERD = "erd"
    POLICY = "policy"
    GENERATED = "generated"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class _Row:
    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        names = {field.name for field in fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in row.items() if key in names})


@dataclass(frozen=True)
class User(_Row):
    id: int
    github_login: str | None
    databricks_user: str | None
    display_name: str | None
    created_at: datetime
    last_active_at: datetime


@dataclass(frozen=True)
class Conversation(_Row):
    id: int
    thread_id: str
    channel: str
    repo: str | None
    pr_number: int | None
    status: str
    head_sha: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Message(_Row):
    id: int
    conversation_id: int
    seq: int
    role: Role
    author: str | None
    body: str
    payload: Any
    source_id: str | None
    created_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True)
class StoredFile(_Row):
    id: int
    conversation_id: int
    path: str
    kind: FileKind
    sha256: str
    content: str
    git_sha: str | None
    created_at: datetime
    last_recorded_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FileKind(self.kind))


@dataclass(frozen=True)
class NewFile:
    """A file version for `MemoryStore.record_files`; `sha256` when the caller has the digest."""

    path: str
    kind: FileKind | str
    content: str
    git_sha: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ConversationSummary(_Row):
    thread_id: str
    channel: str
    repo: str | None
    pr_number: int | None
    status: str
    updated_at: datetime
    message_count: int
