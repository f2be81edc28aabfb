"""The demo default: with nothing configured, an embedded PostgreSQL (pgserver) starts on first use."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from accelerator.memory import AuthMode, MemoryConfig, MemoryStore, doctor, open_pool, resolve_connection
from accelerator.memory.embedded import stop_embedded


def test_nothing_configured_starts_an_embedded_postgres_that_holds_memory() -> None:
    # Not pytest's tmp_path: as root, pgserver runs postgres as a `pgserver` user and opens up the
    # directory's parents for it; a fresh directory under /tmp keeps that change small.
    directory = Path(tempfile.mkdtemp(prefix="acc-embedded-")) / "pg"
    source = resolve_connection(MemoryConfig(embedded_dir=directory), env={})
    assert source.mode is AuthMode.EMBEDDED
    try:
        with open_pool(source, min_size=1, max_size=2, timeout=60) as pool:
            store = MemoryStore(pool)
            store.migrate()
            store.open_conversation("local:session", "cli")
            store.append_message("local:session", "user", "hello")
            assert [m.body for m in store.messages("local:session")] == ["hello"]
            report = doctor(source, store)
        assert report["auth_mode"] == "embedded" and report["reachable"] is True
        assert (directory / "PG_VERSION").exists()
    finally:
        stop_embedded(directory)
        shutil.rmtree(directory.parent, ignore_errors=True)
