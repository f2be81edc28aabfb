"""Git data (blobs, trees, commits, ref deletion) and the commits endpoints, on the bare repository's
real objects: what a client needs to write several files in one commit without a checkout."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from accelerator.sandbox import validate
from accelerator.sandbox.core import Call, Handler, Result, Sandbox, paginate, resolve
from accelerator.sandbox.errors import GitHubError, not_found, validation_failed
from accelerator.sandbox.git import MODES, ZERO_SHA, Signature
from accelerator.sandbox.state import now

MAX_TREE_ENTRIES = 100_000  # GitHub truncates a recursive tree listing beyond this


def invalid(field: str, message: str, resource: str = "Tree") -> GitHubError:
    return validation_failed(resource, field, message, code="invalid")


def create_blob(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.writable(call)
    content = call.body.get("content")
    if not isinstance(content, str):
        raise validation_failed("Blob", "content", "content wasn't supplied.", code="missing_field")
    encoding = call.body.get("encoding", "utf-8")
    if encoding in ("utf-8", "utf8"):
        data = content.encode()
    elif encoding == "base64":
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as failure:
            raise invalid("content", "content is not valid Base64", "Blob") from failure
    else:
        raise invalid("encoding", "encoding must be one of utf-8, base64", "Blob")
    if len(data) > validate.MAX_FILE_BYTES:
        raise invalid("content", "content is too large (maximum is 10 MB)", "Blob")
    # No state lock for an object: it is content-addressed and written atomically (a temporary file
    # renamed), so two requests writing objects at once cannot harm each other; holding the state's
    # lock here held up every other write and every webhook lane behind this one's work.
    sha = sandbox.state.git(repository).write_blob(data)
    api, _ = sandbox.shapes.links(repository)
    return 201, {"url": f"{api}/git/blobs/{sha}", "sha": sha}


def object_sha(call: Call) -> str:
    value = call.params["sha"]
    if not validate.SHA.match(value):
        raise not_found()
    return value


def get_blob(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sha = object_sha(call)
    git = sandbox.state.git(repository)
    if git.object_type(sha) != "blob":
        raise not_found()
    return 200, sandbox.shapes.blob(repository, sha, git.read_blob(sha))


def tree_changes(sandbox: Sandbox, call: Call) -> list[tuple[str, str, str, str | None]]:
    """The `tree` entries of a create-tree request, read: (path, mode, type, sha or None to delete),
    blobs written for those given as `content`."""
    entries = call.body.get("tree")
    if not isinstance(entries, list):
        raise validation_failed("Tree", "tree", "tree wasn't supplied.", code="missing_field")
    if len(entries) > MAX_TREE_ENTRIES:
        raise invalid("tree", f"tree has more than {MAX_TREE_ENTRIES} entries")
    git = sandbox.state.git(sandbox.repository(call))
    read: list[tuple[str, str, str, str | None]] = []
    contents: dict[int, bytes] = {}  # the entries given as content, written in one git call below
    for index, entry in enumerate(entries):
        where = f"tree[{index}]"
        if not isinstance(entry, dict):
            raise invalid(where, f"{where} is not an object")
        path = entry.get("path")
        if not isinstance(path, str):
            raise invalid(f"{where}.path", f"{where}.path wasn't supplied")
        try:
            validate.file_path(path)
        except GitHubError as failure:
            raise invalid(
                f"{where}.path", f"{where}.path {path!r} contains a malformed path component"
            ) from (failure)
        mode = str(entry.get("mode", ""))
        if mode not in MODES:
            raise invalid(f"{where}.mode", f"{where}.mode must be one of {', '.join(sorted(MODES))}")
        kind = str(entry.get("type") or MODES[mode])
        if kind != MODES[mode]:
            raise invalid(f"{where}.type", f"{where}.type {kind} does not match mode {mode}")
        if "content" in entry and entry.get("sha") is not None:
            raise invalid(where, f"{where} has both sha and content: give one")
        if "content" in entry:
            content = entry["content"]
            if not isinstance(content, str) or kind != "blob":
                raise invalid(f"{where}.content", f"{where}.content must be a string, for a blob")
            if len(content) > validate.MAX_FILE_BYTES:
                raise invalid(f"{where}.content", f"{where}.content is too large (maximum is 10 MB)")
            contents[len(read)] = content.encode()
            read.append((path, mode, kind, ""))
        elif "sha" in entry and entry["sha"] is None:
            read.append((path, mode, kind, None))
        else:
            sha = entry.get("sha")
            if not isinstance(sha, str) or not validate.SHA.match(sha):
                raise invalid(
                    f"{where}.sha", f"{where}.sha must be a 40-character SHA, null, or content given"
                )
            read.append((path, mode, kind, sha))
    for position, blob in zip(contents, git.write_blobs(list(contents.values())), strict=True):
        path, mode, kind, _ = read[position]
        read[position] = (path, mode, kind, blob)
    wanted = [
        sha
        for index, (_, _, kind, sha) in enumerate(read)
        if sha is not None and kind != "commit" and index not in contents
    ]
    types = git.object_types(wanted) if wanted else {}
    for index, (path, _, kind, sha) in enumerate(read):
        if sha is not None and kind != "commit" and index not in contents and types.get(sha) != kind:
            raise invalid(f"tree[{index}].sha", f"tree[{index}].sha {sha} is not a {kind} ({path})")
    return read


def create_tree(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.writable(call)
    git = sandbox.state.git(repository)
    # objects only (no state): no state lock, as for a blob
    changes = tree_changes(sandbox, call)
    base = call.body.get("base_tree")
    files: dict[str, tuple[str, str]] = {}
    if base is not None:
        base_tree = git.tree_of(validate.sha(base, "base_tree")) if isinstance(base, str) else None
        if base_tree is None:
            raise invalid("base_tree", f"base_tree {base} is not a tree or a commit")
        files = git.flat_tree(base_tree)
    for path, mode, kind, sha in changes:
        below = f"{path}/"
        files = {name: value for name, value in files.items() if name != path and not name.startswith(below)}
        parts = path.split("/")
        for depth in range(1, len(parts)):
            files.pop("/".join(parts[:depth]), None)  # a file where a directory now goes
        if sha is None:
            continue
        if kind == "tree":
            files.update({f"{path}/{name}": value for name, value in git.flat_tree(sha).items()})
        else:
            files[path] = (mode, sha)
    tree = git.write_flat_tree(files)
    return 201, sandbox.shapes.tree(repository, tree, git.list_tree(tree))


def get_tree(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    git = sandbox.state.git(repository)
    wanted = call.params["sha"]
    tree = git.tree_of(wanted) if validate.SHA.match(wanted) else None
    if tree is None and not validate.SHA.match(wanted):
        try:
            tree = git.tree_of(resolve(sandbox, repository, wanted))
        except GitHubError:
            tree = None
    if tree is None:
        raise not_found()
    entries = git.list_tree(tree, recursive="recursive" in call.query)
    shaped = sandbox.shapes.tree(repository, tree, entries[:MAX_TREE_ENTRIES])
    shaped["truncated"] = len(entries) > MAX_TREE_ENTRIES
    return 200, shaped


def signature(value: object, field: str, default: Signature) -> Signature:
    """A commit's author or committer (`name`, `email`, ISO 8601 `date`), or the default."""
    if value is None:
        return default
    if not isinstance(value, dict):
        raise invalid(field, f"{field} must be an object with name and email", "Commit")
    name, email, date = value.get("name"), value.get("email"), value.get("date")
    if not isinstance(name, str) or not isinstance(email, str) or not name.strip() or "<" in name + email:
        raise invalid(field, f"{field} needs a name and an email", "Commit")
    if len(name) > 256 or len(email) > 256 or "\n" in name + email:
        raise invalid(field, f"{field} name and email are at most 256 characters, on one line", "Commit")
    timestamp = default.timestamp
    if date is not None:
        try:
            timestamp = int(datetime.fromisoformat(str(date).replace("Z", "+00:00")).timestamp())
        except ValueError as failure:
            raise invalid(
                f"{field}.date", f"{field}.date {date!r} is not an ISO 8601 timestamp", "Commit"
            ) from (failure)
    return Signature(name, email, timestamp)


def create_commit(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.writable(call)
    git = sandbox.state.git(repository)
    message = validate.text(call.body.get("message"), "message", "Commit", 1_000_000)
    tree = validate.sha(call.body.get("tree"), "tree")
    parents = call.body.get("parents", [])
    if not isinstance(parents, list) or not all(
        isinstance(p, str) and validate.SHA.match(p) for p in parents
    ):
        raise invalid("parents", "parents must be a list of commit SHAs", "Commit")
    if len(parents) > 64:
        raise invalid("parents", "a commit has at most 64 parents", "Commit")
    types = git.object_types([tree, *parents])
    if types[tree] != "tree":
        raise invalid("tree", f"tree {tree} is not a tree", "Commit")
    for parent in parents:
        if types[parent] != "commit":
            raise invalid("parents", f"parent {parent} is not a commit", "Commit")
    user = sandbox.state.user(call.user)["login"]
    me = Signature(user, f"{user}@users.noreply.sandbox", now())
    author = signature(call.body.get("author"), "author", me)
    committer = signature(call.body.get("committer"), "committer", author)
    sha = git.commit_tree(tree, list(parents), message, author, committer)  # an object: no state lock
    return 201, sandbox.shapes.commit(repository, git.commit(sha))


def get_git_commit(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    sha = object_sha(call)
    git = sandbox.state.git(repository)
    if git.object_type(sha) != "commit":
        raise not_found()
    return 200, sandbox.shapes.commit(repository, git.commit(sha))


def delete_ref(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.writable(call)
    ref = validate.ref_name(f"refs/{call.params['ref']}")
    git = sandbox.state.git(repository)
    with sandbox.state.lock:
        before = git.ref(ref)
        if before is None:
            raise validation_failed("Reference", "ref", "Reference does not exist")
        git.delete_ref(ref)
    sandbox.pushed(repository, ref, before, ZERO_SHA, call.user)
    return 204, None


def list_commits(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    git = sandbox.state.git(repository)
    if not git.refs("refs/heads/"):
        raise GitHubError(409, "Git Repository is empty.")
    start = resolve(sandbox, repository, call.query.get("sha") or repository["default_branch"])
    path = call.query.get("path") or None
    if path is not None:
        path = validate.file_path(path.strip("/"))
    shas = git.rev_list(start, path=path)
    shaped: list[Any] = [
        sandbox.shapes.rest_commit(repository, git.commit(sha)) for sha in paginate(call, shas)
    ]
    return 200, shaped


def get_commit(sandbox: Sandbox, call: Call) -> Result:
    repository = sandbox.repository(call)
    git = sandbox.state.git(repository)
    sha = resolve(sandbox, repository, call.params["ref"], missing=422)
    info = git.commit(sha)
    files = git.diff(info.parents[0] if info.parents else None, sha)
    return 200, sandbox.shapes.rest_commit(repository, info, files)


REPO = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", REPO + "/git/blobs", create_blob),
    ("GET", REPO + "/git/blobs/{sha}", get_blob),
    ("POST", REPO + "/git/trees", create_tree),
    ("GET", REPO + "/git/trees/{sha:path}", get_tree),
    ("POST", REPO + "/git/commits", create_commit),
    ("GET", REPO + "/git/commits/{sha}", get_git_commit),
    ("DELETE", REPO + "/git/refs/{ref:path}", delete_ref),
    ("GET", REPO + "/commits", list_commits),
    ("GET", REPO + "/commits/{ref:path}", get_commit),
]
