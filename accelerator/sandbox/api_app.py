"""The GitHub App: its registration, its JWT, its installation and the installation tokens.

An App is registered with its id and RSA public key (`accelerator sandbox --app-id N --app-public-key
FILE`, `register_app`), or made as GitHub makes one from a manifest (`POST /app-manifests/{code}/
conversions`, which answers its private key). A request authenticated by `Authorization: Bearer
<JWT>` (RS256, signed by the App's key, `iss` the App's id, at most 10 minutes long) is the App
itself: it may read `GET /app`, its installations, and mint an installation token (`ghs_...`, valid
one hour) that then authenticates as the App's bot (the sandbox's bot login, type Bot). The sandbox's
App has one installation, id 1, on every repository (the `installation.id` of each webhook).

Once an App is registered, `/app/hook/deliveries*` require its JWT as on GitHub; a sandbox without an
App keeps answering them to any authenticated user (the tests that predate Apps).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accelerator.sandbox import validate
from accelerator.sandbox.api_hooks import get_app_delivery, list_app_deliveries, redeliver_app
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, bearer, paginate
from accelerator.sandbox.errors import GitHubError, not_found
from accelerator.sandbox.shapes import iso, node_id
from accelerator.sandbox.state import Record, SandboxState, now

INSTALLATION_ID = 1
TOKEN_SECONDS = 3600
JWT_MAX_SECONDS = 600  # GitHub refuses a JWT whose expiry is more than 10 minutes after its issue
CLOCK_DRIFT = 60
APP_PREFIX = "app:"  # the login of a request made with an App's JWT (no user login has a colon)
MAX_TOKENS = 10_000
PERMISSIONS = {"checks": "write", "contents": "write", "issues": "write", "metadata": "read",
               "pull_requests": "write"}  # fmt: skip
EVENTS = ["check_run", "issue_comment", "issues", "pull_request", "pull_request_review",
          "pull_request_review_comment", "push"]  # fmt: skip


def apps(state: SandboxState) -> dict[str, Record]:
    found: dict[str, Record] = state.data.setdefault("apps", {})
    return found


def register_app(state: SandboxState, app_id: int, public_key_pem: str, owner: str | None = None) -> Record:
    """Register (or replace) the App `app_id` with its RSA public key in PEM (a private key's PEM is
    accepted too: its public half is kept). Raises ValueError on a key that is not RSA."""
    if not isinstance(app_id, int) or isinstance(app_id, bool) or not 0 < app_id < 2**31:
        raise ValueError(f"the App id must be a positive integer, not {app_id!r}")
    data = public_key_pem.encode()
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as failure:
            raise ValueError(f"not a PEM RSA key: {failure}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the App's key must be an RSA key (GitHub signs App JWTs with RS256)")
    public = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    slug = state.bot_login.removesuffix("[bot]")
    with state.lock:
        owner_login = state.user(owner or slug)["login"] if owner else None
        record: Record = {
            "id": app_id,
            "slug": slug,
            "name": slug,
            "owner": owner_login,
            "public_key": public.decode(),
            "created_at": now(),
            "webhook_secret": None,
        }
        apps(state)[str(app_id)] = record
        state.changed("apps", str(app_id))
    return record


def app_of(sandbox: Sandbox, call: Call) -> Record:
    """The App whose JWT authenticated the call (401 for anyone else, as GitHub answers)."""
    login = call.login or ""
    if not login.startswith(APP_PREFIX):
        raise GitHubError(401, "A JSON web token could not be decoded")
    found = apps(sandbox.state).get(login.removeprefix(APP_PREFIX))
    if found is None:
        raise GitHubError(401, "A JSON web token could not be decoded")
    return found


def app_or_user(sandbox: Sandbox, call: Call) -> None:
    """The App's deliveries: its JWT once an App is registered; any user of a sandbox without one."""
    if apps(sandbox.state):
        app_of(sandbox, call)
    else:
        call.user  # noqa: B018 - authentication required


def _decode(state: SandboxState, token: str) -> Record:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as failure:
        raise GitHubError(401, "A JSON web token could not be decoded") from failure
    if header.get("alg") != "RS256":
        raise GitHubError(401, "A JSON web token could not be decoded")
    issuer = str(claims.get("iss", ""))
    app = apps(state).get(issuer)
    if app is None:
        raise GitHubError(401, f"'Issuer' claim ('iss') must be an Integer (no App {issuer!r})")
    try:
        verified = jwt.decode(
            token,
            app["public_key"],
            algorithms=["RS256"],
            leeway=CLOCK_DRIFT,
            options={"require": ["exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError as failure:
        raise GitHubError(
            401, "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        ) from failure
    except jwt.PyJWTError as failure:
        raise GitHubError(401, "A JSON web token could not be decoded") from failure
    if int(verified["exp"]) - int(verified["iat"]) > JWT_MAX_SECONDS + CLOCK_DRIFT:
        raise GitHubError(401, "'Expiration time' claim ('exp') is too far in the future")
    return app


def authenticate(sandbox: Sandbox, header: str | None, path: str) -> str | None:
    """Who an `Authorization` header names: an App (`app:ID`, from its JWT, on the App's routes only),
    the App's bot (an installation token), or a user (`token LOGIN`)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() in ("token", "bearer") and token.count(".") == 2:
        app = _decode(sandbox.state, token)
        route = path.removeprefix("/api/v3")
        if not (route == "/app" or route.startswith("/app/") or route.endswith("/installation")):
            raise GitHubError(401, "A JSON web token cannot be used here: use an installation access token")
        return f"{APP_PREFIX}{app['id']}"
    if scheme.lower() in ("token", "bearer") and token.startswith("ghs_"):
        with sandbox.state.lock:
            record = sandbox.state.data.setdefault("app_tokens", {}).get(token)
        if record is None or record["expires_at"] <= time.time():
            raise GitHubError(401, "Bad credentials")
        return sandbox.state.bot_login
    return bearer(header)


# shapes


def app_shape(sandbox: Sandbox, app: Record) -> dict[str, Any]:
    owner = app.get("owner") or sandbox.state.bot_login
    return {
        "id": app["id"],
        "slug": app["slug"],
        "node_id": node_id("Integration", app["id"]),
        "client_id": f"Iv1.{app['id']:016x}",
        "owner": sandbox.shapes.user(owner),
        "name": app["name"],
        "description": "",
        "external_url": sandbox.shapes.web,
        "html_url": f"{sandbox.shapes.web}/apps/{app['slug']}",
        "created_at": iso(app["created_at"]),
        "updated_at": iso(app["created_at"]),
        "permissions": dict(PERMISSIONS),
        "events": list(EVENTS),
        "installations_count": 1,
    }


def installation_shape(sandbox: Sandbox, app: Record) -> dict[str, Any]:
    account = app.get("owner") or sandbox.state.bot_login
    api = sandbox.shapes.api
    user = sandbox.shapes.user(account)
    return {
        "id": INSTALLATION_ID,
        "account": user,
        "repository_selection": "all",
        "access_tokens_url": f"{api}/app/installations/{INSTALLATION_ID}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{sandbox.shapes.web}/settings/installations/{INSTALLATION_ID}",
        "app_id": app["id"],
        "client_id": f"Iv1.{app['id']:016x}",
        "target_id": user["id"],
        "target_type": "User",
        "permissions": dict(PERMISSIONS),
        "events": list(EVENTS),
        "created_at": iso(app["created_at"]),
        "updated_at": iso(app["created_at"]),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "app_slug": app["slug"],
        "suspended_by": None,
        "suspended_at": None,
    }


# handlers


def get_app(sandbox: Sandbox, call: Call) -> Result:
    return 200, app_shape(sandbox, app_of(sandbox, call))


def list_installations(sandbox: Sandbox, call: Call) -> Result:
    return 200, paginate(call, [installation_shape(sandbox, app_of(sandbox, call))])


def get_installation(sandbox: Sandbox, call: Call) -> Result:
    app = app_of(sandbox, call)
    if call.params["installation_id"] != str(INSTALLATION_ID):
        raise not_found()
    return 200, installation_shape(sandbox, app)


def get_repository_installation(sandbox: Sandbox, call: Call) -> Result:
    app = app_of(sandbox, call)
    sandbox.state.repository(call.params["owner"], call.params["repo"], sandbox.state.bot_login)
    return 200, installation_shape(sandbox, app)


def create_access_token(sandbox: Sandbox, call: Call) -> Result:
    app_of(sandbox, call)
    if call.params["installation_id"] != str(INSTALLATION_ID):
        raise not_found()
    token = "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
    expires = int(time.time()) + TOKEN_SECONDS
    with sandbox.state.lock:
        tokens: dict[str, Record] = sandbox.state.data.setdefault("app_tokens", {})
        current = time.time()
        for stale in [key for key, value in tokens.items() if value["expires_at"] <= current]:
            del tokens[stale]
            sandbox.state.changed("app_tokens", stale)
        if len(tokens) >= MAX_TOKENS:
            raise GitHubError(403, "Too many installation tokens; let some expire")
        tokens[token] = {"installation_id": INSTALLATION_ID, "expires_at": expires}
        sandbox.state.changed("app_tokens", token)
    sandbox.state.user(sandbox.state.bot_login)
    return 201, {
        "token": token,
        "expires_at": iso(expires),
        "permissions": dict(PERMISSIONS),
        "repository_selection": "all",
    }


def convert_manifest(sandbox: Sandbox, call: Call) -> Result:
    """GitHub's App-from-manifest flow: the App is made at once, its private key answered once."""
    code = call.params["code"]
    if not 0 < len(code) <= 100 or not code.replace("-", "").replace("_", "").isalnum():
        raise not_found()
    with sandbox.state.lock:
        app_id = sandbox.state.new_id()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        owner = call.login if call.login and validate.LOGIN.match(call.login) else None
        app = register_app(sandbox.state, app_id, pem, owner=owner)
        app["webhook_secret"] = secrets.token_hex(16)
        sandbox.state.changed("apps", str(app_id))
    return 201, {
        **app_shape(sandbox, app),
        "client_secret": secrets.token_hex(20),
        "webhook_secret": app["webhook_secret"],
        "pem": pem,
    }


def guarded(handler: Handler) -> Handler:
    def checked(sandbox: Sandbox, call: Call) -> Result:
        app_or_user(sandbox, call)
        return handler(sandbox, call)

    checked.__name__ = handler.__name__
    checked.__doc__ = handler.__doc__
    return checked


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/app", get_app),
    ("GET", "/app/installations", list_installations),
    ("GET", "/app/installations/{installation_id}", get_installation),
    ("POST", "/app/installations/{installation_id}/access_tokens", create_access_token),
    ("GET", REPO + "/installation", get_repository_installation),
    ("POST", "/app-manifests/{code}/conversions", convert_manifest),
    # before api_hooks' own: the App's deliveries take the App's JWT once an App is registered
    ("GET", "/app/hook/deliveries", guarded(list_app_deliveries)),
    ("GET", "/app/hook/deliveries/{delivery}", guarded(get_app_delivery)),
    ("POST", "/app/hook/deliveries/{delivery}/attempts", guarded(redeliver_app)),
]
