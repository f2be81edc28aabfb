"""What a statement is, from its first words: read it, skip it unparsed, or reject a misspelling.

The reader parses only what the model keeps (CREATE TABLE / SCHEMA / DATABASE / TYPE, ALTER TABLE,
COMMENT ON, USE). Every other statement is recognised by its leading words and skipped without
parsing its body (a function's body is another language); a CREATE or ALTER whose object kind is
no kind of any dialect is a typo (`CREATE TABL`), which is an error, not a skip.
"""

from __future__ import annotations

import difflib
from typing import Literal

from sqlglot.tokenizer_core import Token, TokenType

Triage = Literal["parse", "silent", "skip", "unknown"]

# Object kinds the reader parses.
PARSED_KINDS = {"TABLE", "SCHEMA", "DATABASE", "TYPE"}
# Object kinds of CREATE/ALTER in the dialects sqlglot reads that the model does not keep.
OTHER_KINDS = {
    *[
        "VIEW",
        "MATERIALIZED",
        "INDEX",
        "FUNCTION",
        "PROCEDURE",
        "PROC",
        "TRIGGER",
        "SEQUENCE",
        "DOMAIN",
        "EXTENSION",
        "ROLE",
        "USER",
    ],
    *[
        "GROUP",
        "RULE",
        "OPERATOR",
        "CAST",
        "COLLATION",
        "CONVERSION",
        "LANGUAGE",
        "POLICY",
        "PUBLICATION",
        "SUBSCRIPTION",
    ],
    *[
        "SERVER",
        "FOREIGN",
        "TABLESPACE",
        "TEXT",
        "EVENT",
        "STATISTICS",
        "TRANSFORM",
        "ACCESS",
        "DEFAULT",
        "LOGIN",
        "SYNONYM",
    ],
    *[
        "PACKAGE",
        "DIRECTORY",
        "CATALOG",
        "VOLUME",
        "FILE",
        "STAGE",
        "STREAM",
        "TASK",
        "PIPE",
        "WAREHOUSE",
        "SHARE",
        "INTEGRATION",
    ],
    *[
        "MASKING",
        "TAG",
        "ROW",
        "SECURITY",
        "NETWORK",
        "ASSEMBLY",
        "CERTIFICATE",
        "ENDPOINT",
        "FULLTEXT",
        "XML",
        "PARTITION",
        "QUEUE",
    ],
    *[
        "CONTRACT",
        "MESSAGE",
        "ROUTE",
        "SERVICE",
        "CREDENTIAL",
        "MASTER",
        "SYMMETRIC",
        "ASYMMETRIC",
        "COLUMNSTORE",
        "SPATIAL",
    ],
    *[
        "DATA",
        "SESSION",
        "SYSTEM",
        "PROFILE",
        "CONTEXT",
        "JAVA",
        "LIBRARY",
        "DIMENSION",
        "CLUSTER",
        "INDEXTYPE",
        "OUTLINE",
    ],
    *[
        "MODEL",
        "SEARCH",
        "VECTOR",
        "CAPACITY",
        "RESERVATION",
        "ASSIGNMENT",
        "CONNECTION",
        "LOCATION",
        "RECIPIENT",
        "PROVIDER",
    ],
    *[
        "BLOOMFILTER",
        "STORAGE",
        "SNAPSHOT",
        "AGGREGATE",
        "MACRO",
        "RESOURCE",
        "ALERT",
        "NOTIFICATION",
        "APPLICATION",
    ],
    *[
        "ACCOUNT",
        "REPLICATION",
        "FAILOVER",
        "SECRET",
        "DYNAMIC",
        "HYBRID",
        "ICEBERG",
        "EVENTTRIGGER",
        "STATEMENT",
    ],
    *[
        "COLUMN",
        "CONSTRAINT",
        "KEY",
        "OBJECT",
        "PRIVILEGES",
        "AUDIT",
        "BUFFERPOOL",
        "ALIAS",
        "NICKNAME",
        "WORKLOAD",
    ],
}
# Words that may come between CREATE/ALTER and the kind.
MODIFIERS = {
    *[
        "OR",
        "REPLACE",
        "TEMPORARY",
        "TEMP",
        "GLOBAL",
        "LOCAL",
        "UNLOGGED",
        "TRANSIENT",
        "VOLATILE",
        "SECURE",
        "RECURSIVE",
        "UNIQUE",
    ],
    *[
        "CLUSTERED",
        "NONCLUSTERED",
        "BITMAP",
        "EDITIONABLE",
        "NONEDITIONABLE",
        "FORCE",
        "NOFORCE",
        "NO",
        "PUBLIC",
        "MULTISET",
        "SET",
    ],
    *[
        "STREAMING",
        "LIVE",
        "SHARED",
        "PRIVATE",
        "TRUSTED",
        "PROCEDURAL",
        "DEFINER",
        "ALGORITHM",
        "SQL",
        "INVOKER",
        "IF",
        "NOT",
        "EXISTS",
    ],
    *[
        "EXTERNAL",
        "UNDEFINED",
        "MERGE",
        "TEMPTABLE",
        "LOGGED",
        "CONCURRENTLY",
        "OFFLINE",
        "ONLINE",
        "ASYNC",
        "SYNC",
    ],
}
_ASSIGNED = {"DEFINER", "ALGORITHM"}  # `DEFINER = user@host`, `ALGORITHM = MERGE`
# Statements skipped without a finding: session settings, data, transactions.
SILENT_VERBS = {
    *[
        "SET",
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "BEGIN",
        "START",
        "COMMIT",
        "ROLLBACK",
        "END",
        "COPY",
        "LOCK",
        "UNLOCK",
        "SAVEPOINT",
    ],
    *["RELEASE", "VALUES", "REPLACE", "PRINT", "WITH", "TRUNCATE", "\\"],
}
# Statements skipped with an `info`, unparsed.
SKIPPED_VERBS = {
    *[
        "GRANT",
        "REVOKE",
        "DROP",
        "CLUSTER",
        "ANALYZE",
        "VACUUM",
        "REINDEX",
        "EXEC",
        "EXECUTE",
        "CALL",
        "DO",
        "RENAME",
        "REFRESH",
        "DECLARE",
    ],
    *[
        "IF",
        "WHILE",
        "RAISERROR",
        "DBCC",
        "BACKUP",
        "RESTORE",
        "OPTIMIZE",
        "MSCK",
        "FLUSH",
        "SHOW",
        "DESCRIBE",
        "EXPLAIN",
        "PURGE",
        "AUDIT",
    ],
    *[
        "NOAUDIT",
        "LISTEN",
        "NOTIFY",
        "SECURITY",
        "REASSIGN",
        "IMPORT",
        "DISCARD",
        "PREPARE",
        "DEALLOCATE",
        "UNDROP",
        "PUT",
        "GET",
        "LIST",
    ],
    *[
        "REMOVE",
        "MERGE",
        "UPSERT",
        "CACHE",
        "UNCACHE",
        "LOAD",
        "INSTALL",
        "UNINSTALL",
        "WAITFOR",
        "RETURN",
        "CHECKPOINT",
        "DENY",
    ],
    *[
        "ASSOCIATE",
        "DISASSOCIATE",
        "FETCH",
        "OPEN",
        "CLOSE",
        "MOVE",
        "CHECK",
        "REPAIR",
        "ADD",
        "UNSET",
        "SYNC",
    ],
}


def triage(tokens: list[Token]) -> tuple[Triage, int]:
    """What to do with a statement, and the index of its kind word (or of the unknown word)."""
    first = tokens[0]
    verb = first.text.upper()
    if verb in ("CREATE", "ALTER"):
        index = _kind_index(tokens)
        if index >= len(tokens):
            return "unknown", len(tokens) - 1
        word = _kind_word(tokens[index].text.upper())
        if word in PARSED_KINDS:
            if word == "TYPE" and index + 1 < len(tokens) and tokens[index + 1].text.upper() == "BODY":
                return "skip", index
            if verb == "ALTER" and word != "TABLE":
                return "skip", index
            return "parse", index
        if word in OTHER_KINDS and tokens[index].token_type != TokenType.IDENTIFIER:
            return "skip", index
        return "unknown", index
    if verb in SILENT_VERBS:
        return "silent", 0
    if verb in SKIPPED_VERBS:
        return "skip", 0
    return "parse", 0


def _kind_index(tokens: list[Token]) -> int:
    index = 1
    while index < len(tokens):
        token = tokens[index]
        word = token.text.upper()
        if word in _ASSIGNED and index + 1 < len(tokens) and tokens[index + 1].token_type == TokenType.EQ:
            index += 3  # the word, `=`, the value
            while index + 1 < len(tokens) and tokens[index].text == "@":
                index += 2  # `user@host`
            continue
        if token.token_type == TokenType.IDENTIFIER or word not in MODIFIERS:
            return index
        if word == "SET" and index + 1 < len(tokens) and tokens[index + 1].text.upper() != "TABLE":
            return index
        index += 1
    return index


def _kind_word(word: str) -> str:
    """The kind in a token that holds modifiers with it (T-SQL's `NONCLUSTERED INDEX` is one token)."""
    *modifiers, last = word.split() or [word]
    return last if modifiers and all(m in MODIFIERS for m in modifiers) else word


def kind_hint(word: str) -> str:
    """`TABL` -> `did you mean TABLE?`"""
    close = difflib.get_close_matches(word.upper(), sorted(PARSED_KINDS | OTHER_KINDS), n=1, cutoff=0.6)
    guess = close[0] if close else "TABLE"
    return f"did you mean {guess}? CREATE and ALTER name a kind of object: TABLE, SCHEMA, VIEW, INDEX, ..."
