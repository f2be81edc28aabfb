"""The one seam between deploy and Databricks: run one SQL statement, get its rows or its error.

`StatementRunner` is what `apply` and `drift` need: `execute(sql)` returns the statement's `Rows`
(empty for DDL) or raises `StatementFailed` with Databricks' error message. `DatabricksRunner` is the
real one, over the Statement Execution API of databricks-sdk: `execute_statement` with a
`wait_timeout`, then `get_statement` polled (with backoff) until the state is SUCCEEDED, FAILED,
CANCELED or CLOSED; a statement still running at the deadline is cancelled. A request that does not
reach the workspace (a timeout, a refused connection, DNS) is a `StatementFailed` too, naming the host
and what to check. `heartbeat` is called between polls (`apply` renews its lock there, so a statement
longer than the lock's lease does not lose it). Tests pass their own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from accelerator.errors import AcceleratorError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

Value = str | None  # the API's JSON_ARRAY format gives every value as a string (or null)


@dataclass(frozen=True)
class Rows:
    """A statement's result: its column names (lower-cased) and rows, values as the API gives them."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Value, ...], ...] = ()

    def dicts(self) -> list[dict[str, Value]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def __iter__(self) -> Iterator[dict[str, Value]]:
        return iter(self.dicts())

    def __len__(self) -> int:
        return len(self.rows)


class StatementFailed(Exception):
    """Databricks refused or failed a statement: its message (with the error class, like
    `[TABLE_OR_VIEW_ALREADY_EXISTS] ...`), the state it ended in, and the statement id."""

    def __init__(self, message: str, *, state: str = "FAILED", statement_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.state = state
        self.statement_id = statement_id


class StatementRunner(Protocol):
    def execute(self, sql: str) -> Rows:
        """Run one statement to its end; raise StatementFailed when it does not succeed."""
        ...


DONE = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")


@dataclass
class DatabricksRunner:
    """Statements on a SQL warehouse through the Statement Execution API."""

    client: WorkspaceClient
    warehouse_id: str
    wait_timeout: str = "30s"  # how long execute_statement itself waits (5s..50s, or 0s)
    deadline_seconds: float = 3600.0  # a statement still running after this is cancelled
    first_poll: float = 0.25
    max_poll: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    # called between polls of a statement still running (`heartbeat(runner, beat)`): not while it runs
    heartbeat: Callable[[], None] | None = field(default=None, repr=False)

    def execute(self, sql: str) -> Rows:
        from databricks.sdk.errors.base import DatabricksError
        from databricks.sdk.service.sql import Disposition, Format
        from requests import RequestException

        api = self.client.statement_execution
        started = self.clock()
        try:
            response = api.execute_statement(
                statement=sql,
                warehouse_id=self.warehouse_id,
                wait_timeout=self.wait_timeout,
                disposition=Disposition.INLINE,
                format=Format.JSON_ARRAY,
            )
            delay = self.first_poll
            while _state(response) not in DONE:
                if self.clock() - started > self.deadline_seconds:
                    if response.statement_id:
                        api.cancel_execution(response.statement_id)
                    raise StatementFailed(
                        f"still {_state(response)} after {self.deadline_seconds:.0f} s: cancelled",
                        state="CANCELED",
                        statement_id=response.statement_id,
                    )
                self.sleep(delay)
                delay = min(delay * 2, self.max_poll)
                self._beat()
                if not response.statement_id:
                    raise StatementFailed("the API returned no statement id to poll", state=_state(response))
                response = api.get_statement(response.statement_id)
            if _state(response) != "SUCCEEDED":
                raise StatementFailed(
                    _error_message(response), state=_state(response), statement_id=response.statement_id
                )
            return self._rows(response)
        except DatabricksError as error:  # the request itself was refused (auth, bad warehouse, ...)
            code = getattr(error, "error_code", None)
            raise StatementFailed(f"[{code}] {error}" if code else str(error), state="REJECTED") from None
        except (TimeoutError, RequestException, OSError) as error:  # the workspace was not reached
            raise StatementFailed(self._unreachable(error), state="UNREACHABLE") from None

    def _unreachable(self, error: BaseException) -> str:
        host = getattr(self.client.config, "host", None) or "the workspace"
        detail = " ".join(str(error).split())[:300] or type(error).__name__
        return (
            f"cannot reach Databricks at {host} ({type(error).__name__}: {detail}): check DATABRICKS_HOST "
            "(or --host/--profile) and the network (proxy, firewall, VPN); a statement in flight may or may "
            "not have run: `accelerator history` shows what is recorded, and apply resumes from there"
        )

    def _beat(self) -> None:
        """The heartbeat, once: the statements it runs itself do not beat again, and one that fails
        (a blip) is tried again at the next poll."""
        beat, self.heartbeat = self.heartbeat, None
        if beat is None:
            return
        try:
            beat()
        except StatementFailed:
            pass
        finally:
            self.heartbeat = beat

    def _rows(self, response: Any) -> Rows:
        columns: tuple[str, ...] = ()
        manifest = response.manifest
        if manifest is not None and manifest.schema is not None and manifest.schema.columns:
            columns = tuple((column.name or "").lower() for column in manifest.schema.columns)
        rows: list[tuple[Value, ...]] = []
        result = response.result
        while result is not None:
            rows.extend(tuple(row) for row in (result.data_array or []))
            following = result.next_chunk_index
            if following is None or not response.statement_id:
                break
            result = self.client.statement_execution.get_statement_result_chunk_n(
                response.statement_id, following
            )
        return Rows(columns, tuple(rows))


@contextmanager
def heartbeat(runner: StatementRunner, beat: Callable[[], None]) -> Iterator[None]:
    """Inside: `beat` runs between the polls of `runner`'s long statements (a runner that polls)."""
    if not isinstance(runner, DatabricksRunner):
        yield
        return
    before, runner.heartbeat = runner.heartbeat, beat
    try:
        yield
    finally:
        runner.heartbeat = before


def _state(response: Any) -> str:
    status = response.status
    state = status.state if status is not None else None
    return state.value if state is not None else "PENDING"


def _error_message(response: Any) -> str:
    status = response.status
    error = status.error if status is not None else None
    if error is None or not error.message:
        return f"the statement ended {_state(response)}"
    code = error.error_code.value if error.error_code is not None else None
    message = str(error.message)
    return message if code is None or message.startswith("[") else f"{message} ({code})"


RETRY_TIMEOUT_SECONDS = 30  # how long databricks-sdk retries a failing request (its default: 300)


def workspace_client(host: str | None = None, profile: str | None = None) -> WorkspaceClient:
    """The workspace client: databricks-sdk's default authentication (DATABRICKS_HOST and a token,
    DATABRICKS_AUTH_TYPE=github-oidc with DATABRICKS_CLIENT_ID in CI, a profile of ~/.databrickscfg),
    `host`/`profile` overriding; an AcceleratorError naming what is missing when none resolves."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.errors.base import DatabricksError

    try:
        # databricks-sdk retries a refused connection for 5 minutes by default: fail in seconds instead
        retry = int(os.environ.get("DATABRICKS_RETRY_TIMEOUT_SECONDS") or RETRY_TIMEOUT_SECONDS)
        return WorkspaceClient(config=Config(host=host, profile=profile, retry_timeout_seconds=retry))
    except (DatabricksError, ValueError) as error:
        raise AcceleratorError(
            f"cannot authenticate to Databricks: {error}",
            hint="set DATABRICKS_HOST and DATABRICKS_TOKEN, or DATABRICKS_AUTH_TYPE=github-oidc with "
            "DATABRICKS_HOST and DATABRICKS_CLIENT_ID in GitHub Actions, or pass --profile",
        ) from None
