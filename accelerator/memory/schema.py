"""The memory schema: ordered migrations (position = version) and a one-row version table.

`{schema}` in the SQL is replaced by the quoted schema name. Migrations run in one transaction under
`pg_advisory_xact_lock`, so processes that start together apply each migration exactly once. Never
edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

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
    # 2: LZ4 instead of pglz for the large texts where the server has it. A turn records the ERD and
    # every changed generated file (~2 MB at 200 tables); pglz compressed them at ~25 MB/s, a third of
    # the turn. Servers built without LZ4 (the embedded pgserver) keep pglz.
    """
    DO $lz4$ BEGIN
        ALTER TABLE {schema}.files ALTER COLUMN content SET COMPRESSION lz4;
        ALTER TABLE {schema}.messages ALTER COLUMN body SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $lz4$;
    """,
]

LATEST_VERSION = len(MIGRATIONS)


def compose(statement: str, schema: str) -> sql.Composed:
    return sql.SQL(statement).format(schema=sql.Identifier(schema))


def current_version(conn: Connection[DictRow], schema: str) -> int:
    """The applied version, 0 when the schema or its version table does not exist yet."""
    present = conn.execute(SELECT_VERSION_IF_EXISTS_SQL, {"table": f'"{schema}".schema_version'}).fetchone()
    if present is None or present["present"] is None:
        return 0
    row = conn.execute(compose(SELECT_VERSION_SQL, schema)).fetchone()
    return 0 if row is None else int(row["version"])


def migrate(conn: Connection[DictRow], schema: str) -> int:
    """Apply pending migrations; returns the version now in place. Safe to run from many processes."""
    with conn.transaction():
        conn.execute(MIGRATION_LOCK_KEY_SQL, (f"accelerator.migrate:{schema}",))
        conn.execute(compose(CREATE_SCHEMA_SQL, schema))
        conn.execute(compose(CREATE_VERSION_TABLE_SQL, schema))
        version = current_version(conn, schema)
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.execute(compose(migration, schema), prepare=False)  # one string may hold several statements
            conn.execute(compose(RECORD_VERSION_SQL, schema), {"version": number})
        return max(version, LATEST_VERSION)
