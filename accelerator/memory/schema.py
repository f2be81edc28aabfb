"""The memory schema: ordered migrations (position = version) and a one-row version table.

`{schema}` in the SQL is replaced by the quoted schema name. Migrations run in one transaction under
`pg_advisory_xact_lock`, so processes that start together apply each migration exactly once. Never
edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

import functools

from psycopg import Connection, sql
from psycopg.rows import DictRow

MIGRATION_LOCK_KEY_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

CREATE_SCHEMA_SQL = "CREATE SCHEMA IF NOT EXISTS {schema}"

CREATE_VERSION_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {schema}.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""

SELECT_VERSION_SQL = "SELECT version FROM {schema}.schema_version"

SELECT_VERSION_IF_EXISTS_SQL = """
SELECT CASE WHEN to_regclass(%(table)s) IS NULL THEN NULL ELSE 1 END AS present"""

RECORD_VERSION_SQL = """
INSERT INTO {schema}.schema_version (singleton, version) VALUES (true, %(version)s)
ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, applied_at = now()"""

MIGRATIONS: list[str] = [
    # 1: users, conversations, messages, files, deliveries
    """
    CREATE TABLE {schema}.users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        github_login text UNIQUE,
        databricks_user text UNIQUE,
        display_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_active_at timestamptz NOT NULL DEFAULT now(),
        CHECK (github_login IS NOT NULL OR databricks_user IS NOT NULL)
    );
    CREATE TABLE {schema}.conversations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        thread_id text NOT NULL UNIQUE,
        channel text NOT NULL,
        repo text,
        pr_number integer,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        head_sha text,
        created_by bigint REFERENCES {schema}.users (id) ON DELETE SET NULL,
        -- the last message seq handed out; bumped under this row's lock, so seqs have no gaps
        last_seq integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
    );
    CREATE INDEX conversations_closed_idx ON {schema}.conversations (closed_at) WHERE status = 'closed';
    CREATE TABLE {schema}.messages (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES {schema}.conversations (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        role text NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
        author text,
        body text NOT NULL,
        payload jsonb,
        source_id text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (conversation_id, seq)
    );
    CREATE TABLE {schema}.files (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES {schema}.conversations (id) ON DELETE CASCADE,
        path text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('erd', 'policy', 'generated')),
        sha256 text NOT NULL,
        content text NOT NULL,
        git_sha text,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- re-recording identical content makes it the latest again without a second copy
        last_recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (conversation_id, path, sha256)
    );
    CREATE TABLE {schema}.deliveries (
        id text PRIMARY KEY,
        event text NOT NULL,
        status text NOT NULL CHECK (status IN ('received', 'processing', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 1,
        received_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        error text
    );
    """,
    # 2: LZ4 instead of pglz for the large texts where the server has it: a turn records the ERD and
    # every changed generated file, and pglz is slow enough to be a large share of a turn. Servers
    # built without LZ4 (the embedded pgserver) keep pglz.
    """
    DO $lz4$ BEGIN
        ALTER TABLE {schema}.files ALTER COLUMN content SET COMPRESSION lz4;
        ALTER TABLE {schema}.messages ALTER COLUMN body SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $lz4$;
    """,
    # 3: who said what, in which turn. `author` stays as written; `user_id` links a known user. Files
    # are stored once per content, so the turns that produced a version are a link table: A -> B -> A
    # is one copy of A produced by two turns. Existing rows: a user message's author names a user by
    # login; the assistant's payload carries the turn, its user message shares its event; a file
    # version belongs to the turn of the last message written at or before it (a turn's messages and
    # files share one transaction, so one `now()`; none before it: the opening, turn 0).
    """
    ALTER TABLE {schema}.messages
        ADD COLUMN user_id bigint REFERENCES {schema}.users (id) ON DELETE SET NULL,
        ADD COLUMN turn integer;
    CREATE TABLE {schema}.turn_files (
        file_id bigint NOT NULL REFERENCES {schema}.files (id) ON DELETE CASCADE,
        turn integer NOT NULL,
        user_id bigint REFERENCES {schema}.users (id) ON DELETE SET NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (file_id, turn)
    );
    UPDATE {schema}.messages m SET user_id = (
        SELECT u.id FROM {schema}.users u WHERE m.author IN (u.github_login, u.databricks_user)
        ORDER BY u.github_login = m.author DESC NULLS LAST, u.id LIMIT 1
    )
    WHERE m.role = 'user' AND m.author IS NOT NULL;
    UPDATE {schema}.messages m SET turn = (a.payload ->> 'turn')::integer
    FROM {schema}.messages a
    WHERE a.conversation_id = m.conversation_id AND a.role = 'assistant'
        AND jsonb_typeof(a.payload -> 'turn') = 'number' AND a.payload ->> 'turn' ~ '^[0-9]+$'
        AND (a.id = m.id OR (m.source_id LIKE '%:user'
                             AND a.source_id = left(m.source_id, -length(':user')) || ':assistant'));
    INSERT INTO {schema}.turn_files (file_id, turn, user_id, recorded_at)
    SELECT f.id, produced.turn, (
        SELECT um.user_id FROM {schema}.messages um
        WHERE um.conversation_id = f.conversation_id AND um.turn = produced.turn AND um.role = 'user'
        ORDER BY um.seq LIMIT 1
    ), recorded.at
    FROM {schema}.files f
    CROSS JOIN LATERAL (VALUES (f.created_at), (f.last_recorded_at)) AS recorded (at)
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN NOT EXISTS (SELECT FROM {schema}.messages m
                             WHERE m.conversation_id = f.conversation_id AND m.created_at <= recorded.at)
            THEN 0
            ELSE (SELECT m.turn FROM {schema}.messages m
                  WHERE m.conversation_id = f.conversation_id AND m.created_at <= recorded.at
                  ORDER BY m.created_at DESC, m.seq DESC LIMIT 1)
        END AS turn
    ) AS produced
    WHERE produced.turn IS NOT NULL
    ON CONFLICT (file_id, turn) DO NOTHING;
    UPDATE {schema}.users u SET last_active_at = greatest(u.last_active_at, posted.last_at)
    FROM (
        SELECT user_id, max(created_at) AS last_at FROM {schema}.messages
        WHERE user_id IS NOT NULL GROUP BY user_id
    ) AS posted
    WHERE posted.user_id = u.id;
    """,
    # 4: deliveries back a durable per-conversation queue: the conversation, the payload and the order
    # of arrival. `received` is queued, `processing` is running. Existing rows (no conversation, no
    # payload) keep their id as the record that they were handled, numbered in the order they came.
    """
    ALTER TABLE {schema}.deliveries
        ADD COLUMN conversation_id bigint REFERENCES {schema}.conversations (id) ON DELETE CASCADE,
        ADD COLUMN payload jsonb,
        ADD COLUMN arrival bigint GENERATED BY DEFAULT AS IDENTITY;
    UPDATE {schema}.deliveries d SET arrival = ordered.n
    FROM (SELECT id, row_number() OVER (ORDER BY received_at, arrival) AS n FROM {schema}.deliveries) AS ordered
    WHERE ordered.id = d.id;
    ALTER TABLE {schema}.deliveries ALTER COLUMN arrival SET GENERATED ALWAYS;
    ALTER TABLE {schema}.deliveries ADD CONSTRAINT deliveries_arrival_key UNIQUE (arrival);
    CREATE INDEX deliveries_conversation_idx ON {schema}.deliveries (conversation_id, arrival);
    CREATE INDEX deliveries_queued_idx ON {schema}.deliveries (arrival) WHERE status = 'received';
    """,
    # 5: LZ4 for the checkpoint blobs (the state's source texts, written each turn), where the server
    # has it. LangGraph's setup() creates these tables: `MemoryStore.migrate` runs it first. Once here,
    # not at every start: the ALTER TABLE takes an exclusive lock on the table.
    """
    DO $lz4$ BEGIN
        IF EXISTS (SELECT FROM pg_settings
                   WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) THEN
            ALTER TABLE {schema}.checkpoint_blobs ALTER COLUMN blob SET COMPRESSION lz4;
            ALTER TABLE {schema}.checkpoint_writes ALTER COLUMN blob SET COMPRESSION lz4;
        END IF;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $lz4$;
    """,
    # 6: where each turn came from and what a hand edit changed. A message carries the source event of
    # its turn (`{"kind": "comment", "id": ..., "url": ...}`, `{"kind": "turns-file", "file": ...,
    # "line": n}`, `{"kind": "stdin"}`...) and the commit the tree was at; a file version links the
    # message that recorded it, and `adopted` says it was a hand edit the turn took in (made by no bot).
    # Existing rows stay NULL / false: their events were never stored apart from the `source_id` key.
    """
    ALTER TABLE {schema}.messages
        ADD COLUMN source jsonb CHECK (source IS NULL OR jsonb_typeof(source -> 'kind') = 'string'),
        ADD COLUMN commit_sha text;
    ALTER TABLE {schema}.turn_files
        ADD COLUMN message_id bigint REFERENCES {schema}.messages (id) ON DELETE SET NULL,
        ADD COLUMN adopted boolean NOT NULL DEFAULT false;
    """,
    # 7: a thread continued under another key: a pull request the agent opened from a terminal
    # conversation or an issue (`github:OWNER/REPO#N`, or its branch before the PR exists) runs its
    # turns in that conversation's thread, so its history and undo carry over.
    """
    CREATE TABLE {schema}.thread_links (
        alias text PRIMARY KEY CHECK (length(alias) BETWEEN 1 AND 512),
        thread_id text NOT NULL REFERENCES {schema}.conversations (thread_id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX thread_links_thread_idx ON {schema}.thread_links (thread_id);
    """,
]

LATEST_VERSION = len(MIGRATIONS)


@functools.lru_cache(maxsize=1024)
def compose(statement: str, schema: str) -> sql.Composed:
    """The statement with `{schema}` replaced (cached: the statements are constants, composing one
    costs about 20 µs)."""
    return sql.SQL(statement).format(schema=sql.Identifier(schema))


def current_version(conn: Connection[DictRow], schema: str) -> int:
    """The applied version, 0 when the schema or its version table does not exist yet."""
    present = conn.execute(SELECT_VERSION_IF_EXISTS_SQL, {"table": f'"{schema}".schema_version'}).fetchone()
    if present is None or present["present"] is None:
        return 0
    row = conn.execute(compose(SELECT_VERSION_SQL, schema)).fetchone()
    return 0 if row is None else int(row["version"])


def migrate(conn: Connection[DictRow], schema: str, target: int = LATEST_VERSION) -> int:
    """Apply pending migrations up to `target`; returns the version now in place. Safe to run from many
    processes. Migration 5 needs LangGraph's checkpoint tables: `MemoryStore.migrate` creates them first."""
    with conn.transaction():
        conn.execute(MIGRATION_LOCK_KEY_SQL, (f"accelerator.migrate:{schema}",))
        conn.execute(compose(CREATE_SCHEMA_SQL, schema))
        conn.execute(compose(CREATE_VERSION_TABLE_SQL, schema))
        version = current_version(conn, schema)
        for number, migration in enumerate(MIGRATIONS[version:target], start=version + 1):
            conn.execute(compose(migration, schema), prepare=False)  # one string may hold several statements
            conn.execute(compose(RECORD_VERSION_SQL, schema), {"version": number})
        return max(version, target)
