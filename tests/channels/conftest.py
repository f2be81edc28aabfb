"""`accelerator chat` runs in the pytest process here: its `gc.freeze()` would freeze the whole test
heap at every call (tests/test_gcpause.py tests that function on its own)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("accelerator.channels.cli.freeze_survivors", lambda: None)
