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
    RECEIVED = "received"  # queued: waits for its turn in the conversation's queue
    PROCESSING = "processing"  # running: claimed by a worker
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
    user_id: int | None = None  # the user who said it (None: the assistant, or an unknown author)
    turn: int | None = None  # the conversation turn that produced it (0: the opening)
    source: Any = None  # the event the turn came from: {"kind": "comment", "id": ..., ...}
    commit_sha: str | None = None  # the commit the working tree (or the PR's head) was at

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


@dataclass(frozen=True)
class Participant(_Row):
    """A user of a conversation: its creator or someone who posted in it."""

    id: int
    github_login: str | None
    databricks_user: str | None
    display_name: str | None
    last_active_at: datetime  # anywhere in the memory
    message_count: int  # in this conversation
    last_message_at: datetime | None  # in this conversation


@dataclass(frozen=True)
class TranscriptEntry(_Row):
    """A message with who said it: `author` is the stored author, else the linked user's login."""

    seq: int
    turn: int | None
    role: Role
    author: str | None
    user_id: int | None
    display_name: str | None
    body: str
    payload: Any
    source_id: str | None
    created_at: datetime
    source: Any = None  # the event the turn came from (see `Message.source`)
    commit_sha: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True)
class TurnFile(_Row):
    """A file version that a turn produced (the content is stored once, in `files`)."""

    turn: int
    file_id: int
    path: str
    kind: FileKind
    sha256: str
    git_sha: str | None
    user_id: int | None
    recorded_at: datetime
    adopted: bool = False  # a hand edit the turn took in, not a version the turn's edits made
    message_id: int | None = None  # the message that recorded it (None: the opening, older rows)
    message_seq: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FileKind(self.kind))


@dataclass(frozen=True)
class Delivery(_Row):
    """An external event (a webhook delivery) and its place in its conversation's queue."""

    id: str
    conversation_id: int | None
    event: str
    payload: Any
    arrival: int  # the order of recording, across all conversations
    status: DeliveryStatus
    attempts: int
    received_at: datetime
    updated_at: datetime
    error: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", DeliveryStatus(self.status))
