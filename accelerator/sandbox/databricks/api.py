"""Databricks' REST endpoints that the accelerator calls through databricks-sdk, on the in-memory Unity
Catalog: the Statement Execution API (execute, get, result chunks, cancel), `current_user.me`, and
Lakebase's instance, endpoint and credential calls. `Authorization: Bearer <token>`: the token is the
user name. `/sandbox/databricks/...` configures the workspace: group members, metastore admins,
injected failures and slow statements.

A statement submitted with `wait_timeout` 5s-50s runs at once and is answered finished (or RUNNING
when an injected slowness holds it); with `0s` it is answered PENDING and moves one state per poll:
PENDING -> RUNNING -> SUCCEEDED/FAILED, so a client's polling loop can be tested deterministically.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accelerator.sandbox.databricks import types
from accelerator.sandbox.databricks.engine import UnityCatalog
from accelerator.sandbox.databricks.errors import SqlError
from accelerator.sandbox.databricks.query import Result, as_text, format_timestamp

log = logging.getLogger("accelerator.sandbox.databricks")
MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_STATEMENTS_KEPT = 10_000
CHUNK_ROWS = 5_000
MAX_INJECTIONS = 1_000  # pending injected failures (each statement scans them)
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+\-]{0,254}")
WAIT_TIMEOUT = re.compile(r"(\d+)s")
PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
WORKSPACE_ID = "1000000000000001"


class ApiError(Exception):
    """An HTTP error answered with Databricks' body: `{"error_code": ..., "message": ...}`."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


@dataclass
class Injection:
    """What happens to the next statement(s) whose text contains `match` (case-insensitive): fail with
    an error class, stay RUNNING for `polls` polls, or answer the HTTP call with `http_status`."""

    match: str
    times: int = 1
    error_class: str | None = None
    sqlstate: str = "XX000"
    message: str = "injected failure"
    error_code: str = "BAD_REQUEST"
    polls: int = 0
    http_status: int | None = None

    def matches(self, statement: str) -> bool:
        return self.times > 0 and self.match.lower() in statement.lower()


@dataclass
class Statement:
    id: str
    user: str
    text: str
    catalog: str | None
    schema: str | None
    parameters: dict[str, Any]
    row_limit: int | None
    state: str = "PENDING"
    polls_left: int = 0  # polls a RUNNING statement still waits (injected slowness)
    result: Result | None = None
    error: SqlError | None = None
    injected: Injection | None = None
    claimed: bool = False  # one poll runs it
    created: float = field(default_factory=lambda: datetime.datetime.now(datetime.UTC).timestamp())


class Workspace:
    """The sandbox workspace: a Unity Catalog, its statements, injected failures, Lakebase settings."""

    def __init__(
        self,
        state_dir: Path | None = None,
        admins: tuple[str, ...] = (),
        lakebase_host: str = "127.0.0.1",
        lakebase_token: str | None = None,
        chunk_rows: int = CHUNK_ROWS,
        groups: dict[str, list[str]] | None = None,
    ) -> None:
        """`admins`: metastore admins; `groups`: group -> members to add (e.g. the owner group and the
        user `apply` runs as); both add to what the state directory already holds."""
        self.uc = UnityCatalog(state_dir, admins=admins)
        for group, members in (groups or {}).items():
            self.uc.add_members(group, members)
        self.statements: OrderedDict[str, Statement] = OrderedDict()
        self.injections: list[Injection] = []
        self.lock = threading.Lock()
        self.lakebase_host = lakebase_host
        self.lakebase_token = lakebase_token or f"sandbox-{uuid.uuid4().hex}"
        self.chunk_rows = chunk_rows
        # (user, statement) of the statements run, in order (a list: tests slice it; the last 100,000)
        self.executed: list[tuple[str, str]] = []

    def inject(self, injection: Injection) -> None:
        with self.lock:
            self.injections.append(injection)

    def take_injection(self, statement: str) -> Injection | None:
        with self.lock:
            for injection in self.injections:
                if injection.matches(statement):
                    injection.times -= 1
                    if injection.times <= 0:
                        self.injections.remove(injection)
                    return injection
        return None

    def submit(self, statement: Statement, wait: bool, cancel_on_timeout: bool) -> Statement:
        injection = self.take_injection(statement.text)
        if injection is not None and injection.http_status is not None:
            raise ApiError(injection.http_status, injection.error_code, injection.message)
        statement.injected = injection
        with self.lock:
            self.statements[statement.id] = statement
            while len(self.statements) > MAX_STATEMENTS_KEPT:
                self.statements.popitem(last=False)
        if not wait:
            return statement
        statement.state = "RUNNING"
        statement.polls_left = injection.polls if injection is not None else 0
        if statement.polls_left == 0:
            statement.claimed = True
            self.run(statement)
        elif cancel_on_timeout:
            statement.state = "CANCELED"
        return statement

    def poll(self, statement: Statement) -> Statement:
        """One GET: PENDING becomes RUNNING; RUNNING waits out its injected polls, then runs."""
        with self.lock:
            if statement.state == "PENDING":
                statement.state = "RUNNING"
                statement.polls_left = statement.injected.polls if statement.injected is not None else 0
                return statement
            if statement.state != "RUNNING":
                return statement
            if statement.polls_left > 0:
                statement.polls_left -= 1
                return statement
            if statement.claimed:
                return statement
            statement.claimed = True
        self.run(statement)
        return statement

    def run(self, statement: Statement) -> None:
        """Executes the statement (once); a cancel that came meanwhile keeps it CANCELED."""
        injection = statement.injected
        result: Result | None = None
        error: SqlError | None = None
        if injection is not None and injection.error_class is not None:
            error = SqlError(
                injection.error_class, injection.sqlstate, injection.message, injection.error_code
            )
        else:
            try:
                result = self.uc.execute(
                    statement.text, statement.user, statement.catalog, statement.schema, statement.parameters
                )
            except SqlError as failure:
                error = failure
                log.info("statement %s failed: %s", statement.id, failure)
            except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as failure:
                # A sandbox bug or an input it cannot take: FAILED and said, never a 500 or a hang.
                log.exception("statement %s broke the sandbox", statement.id)
                error = SqlError(
                    "INTERNAL_ERROR",
                    "XX000",
                    f"The Databricks sandbox failed on this statement ({type(failure).__name__}: {failure}).",
                    error_code="INTERNAL_ERROR",
                )
        with self.lock:
            self.executed.append((statement.user, statement.text))
            if len(self.executed) > 10 * MAX_STATEMENTS_KEPT:
                del self.executed[:MAX_STATEMENTS_KEPT]
            if statement.state == "CANCELED":
                return
            statement.result, statement.error = result, error
            statement.state = "FAILED" if error is not None else "SUCCEEDED"

    def statement(self, statement_id: str, user: str) -> Statement:
        with self.lock:
            found = self.statements.get(statement_id)
        if found is None or found.user.lower() != user.lower():
            raise ApiError(404, "NOT_FOUND", f"The statement {statement_id} was not found.")
        return found


# --- shapes ----------------------------------------------------------------------------------------


def column_info(position: int, name: str, type_text: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": name,
        "position": position,
        "type_name": types.api_type_name(type_text),
        "type_text": type_text.upper(),
    }
    base, arguments = types.parse(type_text)
    if base == "DECIMAL":
        info["type_precision"], info["type_scale"] = arguments
    return info


def cell(value: Any, type_text: str) -> str | None:
    """A value as JSON_ARRAY carries it: a string (or null)."""
    if value is None:
        return None
    if types.parse(type_text)[0] in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        moment = value if isinstance(value, datetime.datetime) else None
        if moment is None and isinstance(value, str):
            try:
                moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
        if moment is not None:
            return format_timestamp(moment)
    return as_text(value)


def chunk_bounds(total: int, size: int) -> list[tuple[int, int]]:
    if total == 0:
        return [(0, 0)]
    return [(start, min(size, total - start)) for start in range(0, total, size)]


def chunk_data(workspace: Workspace, statement: Statement, index: int) -> dict[str, Any]:
    rows = statement_rows(statement)
    bounds = chunk_bounds(len(rows), workspace.chunk_rows)
    if not 0 <= index < len(bounds):
        raise ApiError(
            400, "INVALID_PARAMETER_VALUE", f"Chunk index {index} is out of range (0-{len(bounds) - 1})."
        )
    offset, count = bounds[index]
    columns = statement.result.columns if statement.result is not None else []
    data: dict[str, Any] = {"chunk_index": index, "row_offset": offset, "row_count": count}
    if count:
        data["data_array"] = [
            [cell(value, kind) for value, (_, kind) in zip(row, columns, strict=False)]
            for row in rows[offset : offset + count]
        ]
    if index + 1 < len(bounds):
        data["next_chunk_index"] = index + 1
        data["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{statement.id}/result/chunks/{index + 1}"
    return data


def statement_rows(statement: Statement) -> list[list[Any]]:
    rows = statement.result.rows if statement.result is not None else []
    return rows[: statement.row_limit] if statement.row_limit is not None else rows


def statement_shape(workspace: Workspace, statement: Statement) -> dict[str, Any]:
    shaped: dict[str, Any] = {"statement_id": statement.id, "status": {"state": statement.state}}
    if statement.state == "FAILED" and statement.error is not None:
        shaped["status"]["error"] = {
            "error_code": statement.error.error_code,
            "message": statement.error.text,
        }
        shaped["status"]["sql_state"] = statement.error.sqlstate
    if statement.state == "CANCELED":
        shaped["status"]["error"] = {"error_code": "CANCELLED", "message": "The statement was canceled."}
    if statement.state == "SUCCEEDED" and statement.result is not None:
        rows = statement_rows(statement)
        columns = statement.result.columns
        bounds = chunk_bounds(len(rows), workspace.chunk_rows)
        shaped["manifest"] = {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns)},
            "total_chunk_count": len(bounds),
            "chunks": [
                {"chunk_index": i, "row_offset": o, "row_count": n} for i, (o, n) in enumerate(bounds)
            ],
            "total_row_count": len(rows),
            "truncated": statement.row_limit is not None and len(statement.result.rows) > statement.row_limit,
        }
        if columns:  # a DDL statement's schema has no columns (and no `columns` key)
            shaped["manifest"]["schema"]["columns"] = [
                column_info(i, n, k) for i, (n, k) in enumerate(columns)
            ]
        shaped["result"] = chunk_data(workspace, statement, 0)
    return shaped


# --- requests --------------------------------------------------------------------------------------


@dataclass
class Call:
    user: str
    params: dict[str, str]
    body: dict[str, Any]


def user_of(header: str | None) -> str:
    if not header:
        raise ApiError(
            401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API."
        )
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not TOKEN.fullmatch(token):
        raise ApiError(401, "UNAUTHENTICATED", "Invalid access token.")
    return token


def wait_seconds(value: Any) -> int:
    text = "10s" if value is None else str(value)
    match = WAIT_TIMEOUT.fullmatch(text)
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise ApiError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"wait_timeout must be 0s or between 5s and 50s, not {text!r}.",
        )
    return seconds


def parameter_value(item: Any) -> tuple[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "Each parameter needs a name.")
    name = item["name"]
    if not PARAMETER_NAME.fullmatch(name):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid parameter name {name!r}.")
    value = item.get("value")
    kind = str(item.get("type") or "STRING").upper()
    if value is None:
        return name, None
    if not isinstance(value, str):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Parameter {name}: the value must be a string.")
    try:
        return name, types.coerce(value, kind, name)
    except SqlError as failure:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Parameter {name}: {failure.detail}") from failure


def execute_statement(workspace: Workspace, call: Call) -> tuple[int, Any]:
    body = call.body
    text = body.get("statement")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "statement is required.")
    if not isinstance(body.get("warehouse_id"), str) or not body["warehouse_id"].strip():
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "warehouse_id is required.")
    if body.get("disposition", "INLINE") != "INLINE" or body.get("format", "JSON_ARRAY") != "JSON_ARRAY":
        raise ApiError(
            400, "INVALID_PARAMETER_VALUE", "The sandbox answers disposition INLINE, format JSON_ARRAY only."
        )
    seconds = wait_seconds(body.get("wait_timeout"))
    on_timeout = str(body.get("on_wait_timeout") or "CONTINUE")
    if on_timeout not in ("CONTINUE", "CANCEL"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "on_wait_timeout is CONTINUE or CANCEL.")
    parameters = dict(parameter_value(item) for item in body.get("parameters") or [])
    row_limit = body.get("row_limit")
    if row_limit is not None and (
        isinstance(row_limit, bool) or not isinstance(row_limit, int) or row_limit < 0
    ):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "row_limit must be a non-negative integer.")
    for key in ("catalog", "schema"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{key} must be a string.")
    statement = Statement(
        id=str(uuid.uuid4()),
        user=call.user,
        text=text,
        catalog=body.get("catalog"),
        schema=body.get("schema"),
        parameters=parameters,
        row_limit=row_limit,
    )
    workspace.submit(statement, wait=seconds > 0, cancel_on_timeout=on_timeout == "CANCEL")
    return 200, statement_shape(workspace, statement)


def get_statement(workspace: Workspace, call: Call) -> tuple[int, Any]:
    statement = workspace.poll(workspace.statement(call.params["statement_id"], call.user))
    return 200, statement_shape(workspace, statement)


def get_chunk(workspace: Workspace, call: Call) -> tuple[int, Any]:
    statement = workspace.statement(call.params["statement_id"], call.user)
    if statement.state != "SUCCEEDED":
        raise ApiError(
            400, "INVALID_PARAMETER_VALUE", f"The statement is {statement.state}: it has no result."
        )
    index = call.params["chunk_index"]
    if not index.isdigit() or len(index) > 9:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid chunk index {index!r}.")
    return 200, chunk_data(workspace, statement, int(index))


def cancel_statement(workspace: Workspace, call: Call) -> tuple[int, Any]:
    statement = workspace.statement(call.params["statement_id"], call.user)
    with workspace.lock:
        if statement.state in ("PENDING", "RUNNING"):
            statement.state = "CANCELED"
    return 200, {}


def scim_me(workspace: Workspace, call: Call) -> tuple[int, Any]:
    user = call.user
    groups = sorted(
        group
        for group, members in workspace.uc.metastore.groups.items()
        if user.lower() in {m.lower() for m in members}
    )
    identifier = str(
        int(hashlib.sha256(user.lower().encode()).hexdigest()[:12], 16)
    )  # stable across restarts
    return 200, {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": identifier,
        "userName": user,
        "displayName": user,
        "active": True,
        "emails": [
            {"value": user if "@" in user else f"{user}@sandbox.local", "type": "work", "primary": True}
        ],
        "groups": [{"display": group, "value": group, "type": "direct"} for group in groups],
        "entitlements": [{"value": "databricks-sql-access"}],
    }


def host_metadata(workspace: Workspace, call: Call) -> tuple[int, Any]:
    """databricks-sdk reads /.well-known/databricks-config when a client starts (no OIDC here)."""
    return 200, {"oidc_endpoint": "", "workspace_id": WORKSPACE_ID}


def _expiry(hours: int = 1) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def database_instance(workspace: Workspace, call: Call) -> tuple[int, Any]:
    name = call.params["name"]
    return 200, {
        "name": name,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"instance/{name}")),
        "state": "AVAILABLE",
        "capacity": "CU_1",
        "effective_capacity": "CU_1",
        "pg_version": "PG_16",
        "read_write_dns": workspace.lakebase_host,
        "read_only_dns": workspace.lakebase_host,
        "creator": call.user,
        "creation_time": "2026-01-01T00:00:00Z",
        "stopped": False,
        "effective_stopped": False,
    }


def database_credential(workspace: Workspace, call: Call) -> tuple[int, Any]:
    names = call.body.get("instance_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "instance_names must name at least one instance.")
    return 200, {"token": workspace.lakebase_token, "expiration_time": _expiry()}


def postgres_endpoint(workspace: Workspace, call: Call) -> tuple[int, Any]:
    name = call.params["name"]
    if not re.fullmatch(r"projects/[^/]+/branches/[^/]+/endpoints/[^/]+", name):
        raise ApiError(404, "NOT_FOUND", f"{name} is not an endpoint (projects/P/branches/B/endpoints/E).")
    return 200, {
        "name": name,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "parent": name.rsplit("/endpoints/", 1)[0],
        "create_time": "2026-01-01T00:00:00Z",
        "status": {
            "current_state": "ACTIVE",
            "disabled": False,
            "endpoint_type": "ENDPOINT_TYPE_READ_WRITE",
            "hosts": {"host": workspace.lakebase_host},
        },
    }


def postgres_credential(workspace: Workspace, call: Call) -> tuple[int, Any]:
    if not isinstance(call.body.get("endpoint"), str):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "endpoint is required.")
    return 200, {"token": workspace.lakebase_token, "expire_time": _expiry()}


# --- sandbox controls ------------------------------------------------------------------------------


def require_admin(workspace: Workspace, call: Call, what: str) -> None:
    """The sandbox's controls change who may do what (group members, admins) or make statements
    fail: only a metastore admin may use them, once there is one (the first admin is anyone's)."""
    if workspace.uc.metastore.admins and not workspace.uc.is_admin(call.user):
        raise ApiError(403, "PERMISSION_DENIED", f"Only a metastore admin may {what}.")


def add_group_members(workspace: Workspace, call: Call) -> tuple[int, Any]:
    require_admin(workspace, call, "change a group's members")
    members = call.body.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) and TOKEN.fullmatch(m) for m in members):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "members must be a list of user names.")
    workspace.uc.add_members(call.params["group"], members)
    return 200, {
        "group": call.params["group"],
        "members": workspace.uc.metastore.groups[call.params["group"]],
    }


def add_admin(workspace: Workspace, call: Call) -> tuple[int, Any]:
    require_admin(workspace, call, "add one")
    user = call.body.get("user")
    if not isinstance(user, str) or not TOKEN.fullmatch(user):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "user must be a user name.")
    workspace.uc.set_admin(user)
    return 200, {"admins": workspace.uc.metastore.admins}


def inject(workspace: Workspace, call: Call) -> tuple[int, Any]:
    require_admin(workspace, call, "inject failures")
    if len(workspace.injections) >= MAX_INJECTIONS:
        raise ApiError(400, "RESOURCE_LIMIT_EXCEEDED", f"{MAX_INJECTIONS} injections are pending already.")
    body = call.body
    match = body.get("match")
    if not isinstance(match, str) or not match:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "match (a piece of the statement's text) is required.")
    try:
        injection = Injection(
            match=match,
            times=int(body.get("times", 1)),
            error_class=body.get("error_class"),
            sqlstate=str(body.get("sqlstate", "XX000")),
            message=str(body.get("message", "injected failure")),
            error_code=str(body.get("error_code", "BAD_REQUEST")),
            polls=int(body.get("polls", 0)),
            http_status=int(body["http_status"]) if body.get("http_status") is not None else None,
        )
    except (TypeError, ValueError) as failure:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"invalid injection: {failure}") from failure
    if injection.error_class is None and injection.polls == 0 and injection.http_status is None:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "give error_class, polls or http_status.")
    workspace.inject(injection)
    return 200, {"pending": len(workspace.injections)}


Handler = Callable[[Workspace, Call], tuple[int, Any]]
ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/api/2.0/sql/statements", execute_statement),
    ("POST", "/api/2.0/sql/statements/", execute_statement),
    ("GET", "/api/2.0/sql/statements/{statement_id}", get_statement),
    ("GET", "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}", get_chunk),
    ("POST", "/api/2.0/sql/statements/{statement_id}/cancel", cancel_statement),
    ("GET", "/api/2.0/preview/scim/v2/Me", scim_me),
    ("GET", "/.well-known/databricks-config", host_metadata),
    ("GET", "/api/2.0/database/instances/{name}", database_instance),
    ("POST", "/api/2.0/database/credentials", database_credential),
    ("POST", "/api/2.0/postgres/credentials", postgres_credential),
    ("GET", "/api/2.0/postgres/{name:path}", postgres_endpoint),
    ("PUT", "/sandbox/databricks/groups/{group}", add_group_members),
    ("POST", "/sandbox/databricks/admins", add_admin),
    ("POST", "/sandbox/databricks/inject", inject),
]


def endpoint(workspace: Workspace, handler: Handler) -> Callable[[Request], Any]:
    async def respond(request: Request) -> Response:
        try:
            raw = await request.body()
            if len(raw) > MAX_REQUEST_BYTES:
                raise ApiError(413, "RESOURCE_LIMIT_EXCEEDED", "Request body too large.")
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as failure:
                raise ApiError(
                    400, "MALFORMED_REQUEST", "Could not parse the request body as JSON."
                ) from failure
            if not isinstance(body, dict):
                raise ApiError(400, "MALFORMED_REQUEST", "The request body must be a JSON object.")
            header = request.headers.get("authorization")
            call = Call(
                user_of(header) if handler is not host_metadata or header else "",
                {key: str(value) for key, value in request.path_params.items()},
                body,
            )
            status, payload = await run_in_threadpool(handler, workspace, call)
        except ApiError as error:
            return JSONResponse(
                {"error_code": error.error_code, "message": error.message}, status_code=error.status
            )
        return JSONResponse(payload, status_code=status)

    return respond


def create_databricks_routes(
    state_dir: Path | None = None, workspace: Workspace | None = None, **options: Any
) -> list[Route]:
    """The Databricks routes, to mount beside the GitHub ones (`/api/2.0/...`, `/sandbox/databricks/...`);
    the workspace is reachable as `routes[0].endpoint.workspace`."""
    found = workspace or Workspace(state_dir, **options)
    routes = []
    for method, path, handler in ROUTES:
        respond = endpoint(found, handler)
        respond.workspace = found  # type: ignore[attr-defined]
        routes.append(Route(path, respond, methods=[method]))
    return routes


def workspace_of(routes: list[Route]) -> Workspace:
    found: Workspace = routes[0].endpoint.workspace  # type: ignore[attr-defined]
    return found


def create_databricks_app(state_dir: Path | None = None, **options: Any) -> Starlette:
    """A Databricks-only sandbox app (tests; `accelerator sandbox` mounts the routes beside GitHub's)."""
    routes = create_databricks_routes(state_dir, **options)
    app = Starlette(routes=routes)
    app.state.workspace = workspace_of(routes)
    return app
