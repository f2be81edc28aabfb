"""Memory on PostgreSQL (Lakebase in production): connections, schema, store, checkpoints.

Typical use:

    source = resolve_connection(MemoryConfig(...))       # or from the environment
    pool = open_pool(source)                               # one per process
    store = MemoryStore(pool, source.schema)
    store.migrate()                                        # also creates LangGraph's checkpoint tables
    saver = checkpointer(pool, source.schema)              # LangGraph PostgresSaver on the same pool
"""

from accelerator.memory.checkpoints import checkpointer
from accelerator.memory.config import MemoryConfig
from accelerator.memory.connection import AuthMode, ConnectionSource, resolve_connection
from accelerator.memory.credentials import CachedCredential, Credential
from accelerator.memory.inspection import doctor, transcript
from accelerator.memory.pool import MemoryPool, open_pool
from accelerator.memory.records import (
    Conversation,
    ConversationSummary,
    Delivery,
    DeliveryStatus,
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
from accelerator.memory.store import MemoryStore

__all__ = [
    "AuthMode",
    "CachedCredential",
    "ConnectionSource",
    "Conversation",
    "ConversationSummary",
    "Credential",
    "Delivery",
    "DeliveryStatus",
    "FileKind",
    "MemoryConfig",
    "MemoryPool",
    "MemoryStore",
    "Message",
    "NewFile",
    "Participant",
    "Role",
    "StoredFile",
    "TranscriptEntry",
    "TurnFile",
    "User",
    "checkpointer",
    "doctor",
    "open_pool",
    "resolve_connection",
    "transcript",
]
