"""`MemoryStore`: users, conversations, ordered messages, files and webhook deliveries, in PostgreSQL.

Every SQL statement on the memory tables is a named constant in memory/: here, in deliveries.py and
transactions.py, or a migration in schema.py. Four questions a bot asks are one query each: the users
of a conversation with their last activity (`participants`), who said what in order (`transcript`),
the files each turn produced (`turn_files`), and the deliveries of a conversation in arrival order
with their status (`deliveries`).

Each method is one transaction on a pooled connection, retried once on a fresh connection if that one
died (transactions.py); every write is idempotent or keyed so that the retry cannot duplicate it, except
`append_message` without a `source_id` if the connection dies exactly while its COMMIT is in flight.
A method that sends one statement (or reads an id, then writes with one idempotent statement) sends no
BEGIN and COMMIT around it, two round trips of three: the statement is atomic by itself. The claims of
deliveries.py keep their transaction (see `claim_next_delivery`).
The deliveries' methods are in deliveries.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

import psycopg
from psycopg import Connection, sql
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from accelerator.memory import schema as memory_schema
from accelerator.memory.checkpoints import create_checkpoint_tables
from accelerator.memory.deliveries import DeliveryQueue
from accelerator.memory.pool import MemoryPool, connection_lost, is_connection_lost
from accelerator.memory.records import (
    Conversation,
    ConversationSummary,
    FileKind,
    Message,
    NewFile,
    Participant,
    Role,
    StoredFile,
    TranscriptEntry,
    TurnFile,
    User,
)
from accelerator.memory.transactions import OneConnection, not_found

UPSERT_USER_BY_GITHUB_SQL = """
INSERT INTO {schema}.users (github_login, databricks_user, display_name)
VALUES (%(github_login)s, %(databricks_user)s, %(display_name)s)
ON CONFLICT (github_login) DO UPDATE SET
    databricks_user = coalesce(users.databricks_user, EXCLUDED.databricks_user),
    display_name = coalesce(EXCLUDED.display_name, users.display_name),
    last_active_at = now()
RETURNING *"""

UPSERT_USER_BY_DATABRICKS_SQL = """
INSERT INTO {schema}.users (databricks_user, display_name)
VALUES (%(databricks_user)s, %(display_name)s)
ON CONFLICT (databricks_user) DO UPDATE SET
    display_name = coalesce(EXCLUDED.display_name, users.display_name),
    last_active_at = now()
RETURNING *"""

OPEN_CONVERSATION_SQL = """
INSERT INTO {schema}.conversations (thread_id, channel, repo, pr_number, created_by)
VALUES (%(thread_id)s, %(channel)s, %(repo)s, %(pr_number)s, %(created_by)s)
ON CONFLICT (thread_id) DO UPDATE SET
    repo = coalesce(EXCLUDED.repo, conversations.repo),
    pr_number = coalesce(EXCLUDED.pr_number, conversations.pr_number),
    status = 'open',
    closed_at = NULL,
    updated_at = now()
RETURNING *"""

SELECT_CONVERSATION_SQL = "SELECT * FROM {schema}.conversations WHERE thread_id = %(thread_id)s"

SET_HEAD_SHA_SQL = """
UPDATE {schema}.conversations SET head_sha = %(head_sha)s, updated_at = now()
WHERE thread_id = %(thread_id)s RETURNING *"""

CLOSE_CONVERSATION_SQL = """
UPDATE {schema}.conversations SET status = 'closed', closed_at = now(), updated_at = now()
WHERE thread_id = %(thread_id)s AND status = 'open' RETURNING id"""

SELECT_BODY_BY_SOURCE_SQL = "SELECT body FROM {schema}.messages WHERE source_id = %(source_id)s"

# Runs after LOCK_CONVERSATION_SQL: the row lock serializes appends, so last_seq + 1 never skips or repeats,
# and this statement's snapshot (taken after the lock was granted) sees every message committed before:
# a `source_id` already stored returns that message, and nothing changes.
# A message with a user is that user's latest activity. A new message reopens a closed conversation
# (a PR reopened, a session resumed): `prune` must never delete a turn that came after the close.
APPEND_MESSAGE_SQL = """
WITH existing AS (
    SELECT * FROM {schema}.messages WHERE source_id = %(source_id)s
), bumped AS (
    UPDATE {schema}.conversations
    SET last_seq = last_seq + 1, updated_at = now(), status = 'open', closed_at = NULL
    WHERE id = %(conversation_id)s AND NOT EXISTS (SELECT FROM existing)
    RETURNING id, last_seq
), seen AS (
    UPDATE {schema}.users SET last_active_at = greatest(last_active_at, now())
    WHERE id = %(user_id)s AND NOT EXISTS (SELECT FROM existing)
), inserted AS (
    INSERT INTO {schema}.messages
        (conversation_id, seq, role, author, body, payload, source_id, user_id, turn, source, commit_sha)
    SELECT id, last_seq, %(role)s, %(author)s, %(body)s, %(payload)s, %(source_id)s, %(user_id)s, %(turn)s,
           %(source)s, %(commit_sha)s
    FROM bumped
    RETURNING *
)
SELECT * FROM inserted UNION ALL SELECT * FROM existing"""

SELECT_MESSAGES_SQL = """
SELECT m.* FROM {schema}.messages m JOIN {schema}.conversations c ON c.id = m.conversation_id
WHERE c.thread_id = %(thread_id)s ORDER BY m.seq"""

# Who said what, in order: the stored author (free text before migration 3), else the user's login.
TRANSCRIPT_SQL = """
SELECT m.seq, m.turn, m.role, coalesce(m.author, u.github_login, u.databricks_user) AS author,
       m.user_id, u.display_name, m.body, m.payload, m.source_id, m.source, m.commit_sha, m.created_at
FROM {schema}.messages m
JOIN {schema}.conversations c ON c.id = m.conversation_id
LEFT JOIN {schema}.users u ON u.id = m.user_id
WHERE c.thread_id = %(thread_id)s
ORDER BY m.seq"""

# The users of a conversation (its creator and whoever posted in it), most recently active there first.
PARTICIPANTS_SQL = """
SELECT u.id, u.github_login, u.databricks_user, u.display_name, u.last_active_at,
       count(m.id) AS message_count, max(m.created_at) AS last_message_at
FROM {schema}.conversations c
JOIN {schema}.users u
    ON u.id = c.created_by
    OR u.id IN (SELECT p.user_id FROM {schema}.messages p WHERE p.conversation_id = c.id)
LEFT JOIN {schema}.messages m ON m.conversation_id = c.id AND m.user_id = u.id
WHERE c.thread_id = %(thread_id)s
GROUP BY u.id
ORDER BY max(m.created_at) DESC NULLS LAST, u.id"""

# One statement per file version: store it once per content, and link it to the turn that produced it
# (and the message that recorded it); a version already linked to the turn keeps its first link.
RECORD_FILE_SQL = """
WITH stored AS (
    INSERT INTO {schema}.files (conversation_id, path, kind, sha256, content, git_sha)
    VALUES (%(conversation_id)s, %(path)s, %(kind)s, %(sha256)s, %(content)s, %(git_sha)s)
    ON CONFLICT (conversation_id, path, sha256) DO UPDATE SET
        last_recorded_at = clock_timestamp(),
        git_sha = coalesce(EXCLUDED.git_sha, files.git_sha)
    RETURNING id, conversation_id, path, kind, sha256, git_sha, created_at, last_recorded_at
), linked AS (
    INSERT INTO {schema}.turn_files (file_id, turn, user_id, message_id, adopted)
    SELECT id, %(turn)s, %(user_id)s, %(message_id)s, %(adopted)s FROM stored WHERE %(turn)s::integer IS NOT NULL
    ON CONFLICT (file_id, turn) DO NOTHING
)
SELECT * FROM stored"""

# The files each turn produced, in turn order, hand edits it adopted first (content left out: read it
# with `latest_files`).
TURN_FILES_SQL = """
SELECT t.turn, f.id AS file_id, f.path, f.kind, f.sha256, f.git_sha, t.user_id, t.recorded_at,
       t.adopted, t.message_id, m.seq AS message_seq
FROM {schema}.turn_files t
JOIN {schema}.files f ON f.id = t.file_id
JOIN {schema}.conversations c ON c.id = f.conversation_id
LEFT JOIN {schema}.messages m ON m.id = t.message_id
WHERE c.thread_id = %(thread_id)s
ORDER BY t.turn, t.adopted DESC, f.path, t.recorded_at"""

LATEST_FILES_SQL = """
SELECT DISTINCT ON (f.path) f.* FROM {schema}.files f
JOIN {schema}.conversations c ON c.id = f.conversation_id
WHERE c.thread_id = %(thread_id)s
ORDER BY f.path, f.last_recorded_at DESC, f.id DESC"""

LIST_CONVERSATIONS_SQL = """
SELECT c.thread_id, c.channel, c.repo, c.pr_number, c.status, c.updated_at,
       (SELECT count(*) FROM {schema}.messages m WHERE m.conversation_id = c.id) AS message_count
FROM {schema}.conversations c ORDER BY c.updated_at DESC, c.id DESC"""

DELETE_CLOSED_CONVERSATIONS_SQL = """
DELETE FROM {schema}.conversations
WHERE status = 'closed' AND closed_at < now() - %(age)s
RETURNING thread_id"""

CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
TABLE_EXISTS_SQL = "SELECT to_regclass(%(table)s) IS NOT NULL AS present"
DELETE_CHECKPOINTS_SQL = "DELETE FROM {schema}.{table} WHERE thread_id = ANY(%(thread_ids)s)"

LINK_THREAD_SQL = """
INSERT INTO {schema}.thread_links (alias, thread_id) VALUES (%(alias)s, %(thread_id)s)
ON CONFLICT (alias) DO UPDATE SET thread_id = EXCLUDED.thread_id, created_at = now()
RETURNING thread_id"""
LINKED_THREAD_SQL = "SELECT thread_id FROM {schema}.thread_links WHERE alias = %(alias)s"

THREAD_LOCK_SQL = "SELECT pg_advisory_lock(%(key)s)"
THREAD_UNLOCK_SQL = "SELECT pg_advisory_unlock(%(key)s)"


def thread_lock_key(thread_id: str) -> int:
    """A stable signed 64-bit key: the same thread id gives the same lock in every process."""
    digest = hashlib.sha256(f"accelerator.thread:{thread_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class MemoryStore(DeliveryQueue):
    """Typed access to the memory tables. Thread-safe: every call borrows its own pooled connection
    (except a store `in_transaction`, which belongs to the thread running that transaction)."""

    @classmethod
    def in_transaction(cls, conn: Connection[DictRow], schema: str = "accelerator") -> MemoryStore:
        """A store whose calls all run in `conn`'s open transaction (a conversation turn's), used for
        that transaction only: it reads a conversation's id, and takes its row lock, once (the lock
        is held until the transaction ends)."""
        store = cls(cast(MemoryPool, OneConnection(conn)), schema)
        store._ids = {}
        return store

    # -- schema ------------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema to the latest version. LangGraph's setup() creates the checkpoint tables
        first (once per process and pool): a migration sets their storage."""
        create_checkpoint_tables(self.pool, self.schema)
        return self._run(lambda conn: memory_schema.migrate(conn, self.schema), transaction=False)

    def schema_version(self) -> int:
        return self._run(lambda conn: memory_schema.current_version(conn, self.schema), transaction=False)

    # -- users and conversations ---------------------------------------------------------------------

    def upsert_user(
        self,
        *,
        github_login: str | None = None,
        databricks_user: str | None = None,
        display_name: str | None = None,
    ) -> User:
        if github_login is None and databricks_user is None:
            raise ValueError("a user needs a github_login or a databricks_user")
        statement = UPSERT_USER_BY_GITHUB_SQL if github_login is not None else UPSERT_USER_BY_DATABRICKS_SQL
        params = {
            "github_login": github_login,
            "databricks_user": databricks_user,
            "display_name": display_name,
        }
        return User.from_row(self._one(statement, params))

    def open_conversation(
        self,
        thread_id: str,
        channel: str,
        repo: str | None = None,
        pr_number: int | None = None,
        created_by: int | None = None,
    ) -> Conversation:
        """Create the conversation, or reopen and return the existing one for this thread."""
        params = {
            "thread_id": thread_id,
            "channel": channel,
            "repo": repo,
            "pr_number": pr_number,
            "created_by": created_by,
        }
        return Conversation.from_row(self._one(OPEN_CONVERSATION_SQL, params))

    def conversation(self, thread_id: str) -> Conversation:
        row = self._single(SELECT_CONVERSATION_SQL, {"thread_id": thread_id})
        if row is None:
            raise not_found(thread_id)
        return Conversation.from_row(row)

    def set_head_sha(self, thread_id: str, head_sha: str) -> Conversation:
        row = self._single(SET_HEAD_SHA_SQL, {"thread_id": thread_id, "head_sha": head_sha})
        if row is None:
            raise not_found(thread_id)
        return Conversation.from_row(row)

    def close_conversation(self, thread_id: str) -> bool:
        """Mark it closed (the bot, on a PR's close; `memory close`): `prune` removes it once it has been
        closed long enough, and a new message reopens it. False if it was already closed; unknown
        threads raise."""
        self.conversation(thread_id)
        closed = self._single(CLOSE_CONVERSATION_SQL, {"thread_id": thread_id})
        return closed is not None

    def list_conversations(self) -> list[ConversationSummary]:
        rows = self._all(LIST_CONVERSATIONS_SQL, {})
        return [ConversationSummary.from_row(row) for row in rows]

    def participants(self, thread_id: str) -> list[Participant]:
        """The users of a conversation with their last activity, there and anywhere; one query."""
        return [Participant.from_row(row) for row in self._all(PARTICIPANTS_SQL, {"thread_id": thread_id})]

    def link_thread(self, alias: str, thread_id: str) -> None:
        """Continue `thread_id` under `alias` (a pull request's key): `linked_thread(alias)` names it
        from now on. The thread's conversation must exist; a second link of the alias replaces the first."""
        self.conversation(thread_id)
        self._one(LINK_THREAD_SQL, {"alias": alias, "thread_id": thread_id})

    def linked_thread(self, alias: str) -> str | None:
        """The thread `alias` continues, None when it is its own thread."""
        row = self._single(LINKED_THREAD_SQL, {"alias": alias})
        return None if row is None else str(row["thread_id"])

    # -- messages -------------------------------------------------------------------------------------

    def append_message(
        self,
        thread_id: str,
        role: Role | str,
        body: str,
        author: str | None = None,
        payload: Any = None,
        source_id: str | None = None,
        *,
        user_id: int | None = None,
        turn: int | None = None,
        source: Mapping[str, Any] | None = None,
        commit_sha: str | None = None,
    ) -> Message:
        """Append with the next gapless seq; a `source_id` already stored returns the stored message.
        `user_id` (from `upsert_user`) says who said it and marks that user active now; `turn` is the
        conversation turn that produced it; `source` the event it came from (a JSON object with a
        string `kind`) and `commit_sha` the commit the tree was at. Appending reopens a closed
        conversation."""
        if source is not None and not isinstance(source.get("kind"), str):
            raise ValueError("a message's source needs a string `kind`")
        params = {
            "role": Role(role).value,
            "author": author,
            "body": body,
            "payload": None if payload is None else Jsonb(payload),
            "source_id": source_id,
            "user_id": user_id,
            "turn": turn,
            "source": None if source is None else Jsonb(dict(source)),
            "commit_sha": commit_sha,
        }

        def append(conn: Connection[DictRow]) -> dict[str, Any]:
            conversation_id = self._conversation_id(conn, thread_id, lock=True)
            row = self._fetch_one(conn, APPEND_MESSAGE_SQL, {**params, "conversation_id": conversation_id})
            assert row is not None  # the locked row exists: the stored message, or the one inserted
            return row

        return Message.from_row(self._run(append))

    def messages(self, thread_id: str) -> list[Message]:
        return [Message.from_row(row) for row in self._all(SELECT_MESSAGES_SQL, {"thread_id": thread_id})]

    def transcript(self, thread_id: str) -> list[TranscriptEntry]:
        """Who said what: the ordered messages with their roles, authors and turns; one query."""
        return [TranscriptEntry.from_row(row) for row in self._all(TRANSCRIPT_SQL, {"thread_id": thread_id})]

    def stored_reply(self, source_id: str) -> str | None:
        """The body of the message stored under `source_id` (the reply to an event already handled)."""
        row = self._single(SELECT_BODY_BY_SOURCE_SQL, {"source_id": source_id})
        return None if row is None else str(row["body"])

    # -- files ------------------------------------------------------------------------------------------

    def record_file(
        self,
        thread_id: str,
        path: str,
        kind: FileKind | str,
        content: str,
        git_sha: str | None = None,
        *,
        turn: int | None = None,
        user_id: int | None = None,
        message_id: int | None = None,
        adopted: bool = False,
    ) -> StoredFile:
        """Store this version of a file once per content hash; recording it again makes it the latest.
        With a `turn`, the version is linked to that turn (and to `user_id`, whose turn it was, and
        `message_id`, the message that recorded it; `adopted`: a hand edit the turn took in)."""
        params = {
            **self._file_params(path, kind, content, git_sha),
            **self._link_params(turn, user_id, message_id, adopted),
        }

        def record(conn: Connection[DictRow]) -> dict[str, Any]:
            conversation_id = self._conversation_id(conn, thread_id)
            row = self._fetch_one(conn, RECORD_FILE_SQL, {**params, "conversation_id": conversation_id})
            assert row is not None  # INSERT .. ON CONFLICT DO UPDATE always returns the row
            return {**row, "content": content}  # not sent back: equal to what was stored, by its hash

        # No transaction: the id read first never changes, and the INSERT is atomic by itself.
        return StoredFile.from_row(self._run(record, transaction=False))

    def record_files(
        self,
        thread_id: str,
        files: Sequence[NewFile],
        *,
        turn: int | None = None,
        user_id: int | None = None,
        message_id: int | None = None,
        adopted: bool = False,
    ) -> None:
        """`record_file` for several files in one transaction: one query for the conversation, then
        every INSERT in one pipeline."""
        if not files:
            return
        link = self._link_params(turn, user_id, message_id, adopted)

        def record(conn: Connection[DictRow]) -> None:
            conversation_id = self._conversation_id(conn, thread_id)
            rows = [
                {
                    **self._file_params(f.path, f.kind, f.content, f.git_sha, f.sha256),
                    "conversation_id": conversation_id,
                    **link,
                }
                for f in files
            ]
            with conn.cursor() as cursor:
                cursor.executemany(self._sql(RECORD_FILE_SQL), rows)

        self._run(record)

    @staticmethod
    def _link_params(
        turn: int | None, user_id: int | None, message_id: int | None, adopted: bool
    ) -> dict[str, Any]:
        return {"turn": turn, "user_id": user_id, "message_id": message_id, "adopted": adopted}

    @staticmethod
    def _file_params(
        path: str, kind: FileKind | str, content: str, git_sha: str | None, sha256: str | None = None
    ) -> dict[str, Any]:
        return {
            "path": path,
            "kind": FileKind(kind).value,
            "sha256": sha256 or hashlib.sha256(content.encode()).hexdigest(),
            "content": content,
            "git_sha": git_sha,
        }

    def latest_files(self, thread_id: str) -> list[StoredFile]:
        return [StoredFile.from_row(row) for row in self._all(LATEST_FILES_SQL, {"thread_id": thread_id})]

    def turn_files(self, thread_id: str) -> list[TurnFile]:
        """The file versions each turn produced, in turn order; one query."""
        return [TurnFile.from_row(row) for row in self._all(TURN_FILES_SQL, {"thread_id": thread_id})]

    # -- retention and concurrency --------------------------------------------------------------------------

    def prune(self, closed_older_than: timedelta) -> int:
        """Delete conversations closed longer ago than that, with messages, files and LangGraph checkpoints."""

        def delete(conn: Connection[DictRow]) -> int:
            rows = conn.execute(
                self._sql(DELETE_CLOSED_CONVERSATIONS_SQL), {"age": closed_older_than}
            ).fetchall()
            thread_ids = [row["thread_id"] for row in rows]
            if thread_ids:
                for table in self._checkpoint_tables(conn):
                    statement = sql.SQL(DELETE_CHECKPOINTS_SQL).format(
                        schema=sql.Identifier(self.schema), table=sql.Identifier(table)
                    )
                    conn.execute(statement, {"thread_ids": thread_ids})
            return len(thread_ids)

        return self._run(delete)

    @contextmanager
    def thread_lock(self, thread_id: str) -> Iterator[None]:
        """Hold the thread's session advisory lock on a dedicated connection; a second holder waits.
        A connection found dead when locking (nothing held yet) is replaced once."""
        key = thread_lock_key(thread_id)
        for attempt in (1, 2):
            with self.pool.connection() as conn:
                try:
                    conn.execute(THREAD_LOCK_SQL, {"key": key})
                except psycopg.OperationalError as error:
                    if not is_connection_lost(error):
                        raise
                    connection_lost(self.pool)
                    if attempt == 2:
                        raise
                    continue
                try:
                    yield
                finally:
                    # If the connection died, the server already released the lock with the session.
                    if not conn.closed:
                        conn.execute(THREAD_UNLOCK_SQL, {"key": key})
                return

    # -- plumbing -----------------------------------------------------------------------------------------------

    def _checkpoint_tables(self, conn: Connection[DictRow]) -> list[str]:
        """The LangGraph tables present in our schema; absent until `checkpointer()` first ran."""
        present = []
        for table in CHECKPOINT_TABLES:
            row = conn.execute(TABLE_EXISTS_SQL, {"table": f'"{self.schema}".{table}'}).fetchone()
            if row is not None and row["present"]:
                present.append(table)
        return present
