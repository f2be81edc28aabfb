"""Short-lived database passwords (Lakebase OAuth tokens), cached and refreshed before they expire."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Credential:
    """A password and when it stops working (None: it does not expire)."""

    password: SecretStr
    expires_at: datetime | None = None


CredentialProvider = Callable[[], Credential]


@dataclass
class CachedCredential:
    """Calls `provider` only when there is no token or the cached one is within `margin` of expiring.

    Thread-safe: the pool's workers connect concurrently, and one refresh must serve them all.
    """

    provider: CredentialProvider
    margin: timedelta = timedelta(minutes=2)
    clock: Callable[[], datetime] = utc_now
    _current: Credential | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    refresh_count: int = field(default=0, init=False)

    def get(self) -> Credential:
        with self._lock:
            if self._current is None or self._is_due(self._current):
                self._current = self.provider()
                self.refresh_count += 1
            return self._current

    def invalidate(self) -> None:
        """Forget the cached token, e.g. after the server rejected it."""
        with self._lock:
            self._current = None

    @property
    def expires_at(self) -> datetime | None:
        return None if self._current is None else self._current.expires_at

    def _is_due(self, credential: Credential) -> bool:
        if credential.expires_at is None:
            return False
        return self.clock() >= credential.expires_at - self.margin


def parse_expiry(value: object) -> datetime | None:
    """Accept every shape the Databricks SDK uses for an expiry: RFC 3339 text, datetime, protobuf Timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    to_datetime = getattr(value, "ToDatetime", None)
    if callable(to_datetime):
        converted = to_datetime()
        if isinstance(converted, datetime):
            return converted if converted.tzinfo else converted.replace(tzinfo=UTC)
    raise TypeError(f"cannot read a token expiry from {type(value).__name__}")
