"""The local channel: `accelerator chat`, a conversation bound to a working tree.

The thread id is derived from the absolute paths of the config, ERDs and policy (`local:<sha>`), so
the same tree and inputs resume the same thread in any later process; `--resume THREAD` picks one.
Each non-empty line of `--turns FILE` (else of stdin) is one turn. A line of a turns file has an
identity (the file, its line number and text), so running a file again after a crash redoes only
the turns that never committed; stdin lines are always new turns. Every turn runs under the thread's
advisory lock, then the committed state is written to the working tree and the output directory.
The user at the terminal (git's user.email and user.name, else the OS user name) is recorded in the
memory's users when the session starts and is the author of every turn it runs. A `propose` line
opens a pull request with the conversation (`propose.py`) instead of being a turn.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import psycopg
import typer
from psycopg_pool import PoolTimeout

from accelerator.agent.crash import crash_point
from accelerator.channels.cli.app import (
    EXIT_FINDINGS,
    ConfigOption,
    DatabaseUrlOption,
    DialectOption,
    ErdOption,
    PolicyOption,
    err,
    fail,
    new_app,
    out,
)
from accelerator.channels.cli.inputs import collect_erds, collect_policy, resolve_config
from accelerator.channels.cli.memory import memory_source
from accelerator.channels.cli.propose import (
    BaseOption,
    RepoOption,
    TitleOption,
    github_from_env,
    print_proposal,
    proposal_title,
    propose_session,
    repository_of,
)
from accelerator.config import ProjectConfig
from accelerator.errors import AcceleratorError

if TYPE_CHECKING:
    from accelerator.agent.session import ConversationSession, TurnResult
    from accelerator.agent.state import ConversationState, ErdSpec
    from accelerator.generate import MigrationHistory
    from accelerator.memory import MemoryStore, User

commands = new_app()


@dataclass
class LocalInputs:
    root: Path  # the project root: source keys are relative to it
    config: ProjectConfig
    thread_id: str
    initial: ConversationState
    out_dir: Path


def _key(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def local_thread_id(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256("\n".join(sorted(str(p) for p in paths)).encode()).hexdigest()
    return f"local:{digest[:16]}"


def read_inputs(
    config_path: Path | None, erd: list[str] | None, policy: Path | None, dialect: str | None
) -> LocalInputs:
    from accelerator.agent.state import ConversationState, ErdSpec
    from accelerator.channels.cli.worktree import require_storable

    config = resolve_config(config_path)
    root = config.root.resolve()
    erds = collect_erds(config, erd, dialect)
    policy_input = collect_policy(config, policy)
    specs: list[ErdSpec] = []
    sources: dict[str, str] = {}
    absolute: list[Path] = [(config_path or root / "accelerator.yaml").resolve()]
    for item in erds:
        path = Path(item.file).resolve()  # collect_erds shows paths relative to the working directory
        key = _key(root, path)
        absolute.append(path)
        specs.append(
            ErdSpec(
                file=key,
                catalog=item.catalog,
                format=item.format,
                dialect=item.dialect,
                default_schema=item.default_schema,
            )
        )
        require_storable(key, item.text)
        sources[key] = item.text
    policy_key = None
    if policy_input.file is not None and policy_input.text is not None:
        policy_path = Path(policy_input.file).resolve()
        policy_key = _key(root, policy_path)
        absolute.append(policy_path)
        require_storable(policy_key, policy_input.text)
        sources[policy_key] = policy_input.text
    thread_id = local_thread_id(absolute)
    initial = ConversationState(
        thread_id=thread_id,
        project=config.project,
        erds=specs,
        policy_file=policy_key,
        environments=list(config.environments),
        terraform_owns=config.terraform.enabled,
        sources=sources,
        worktree=str(root),
    )
    return LocalInputs(root, config, thread_id, initial, (root / config.output).resolve())


def turn_lines(turns: Path | None) -> Iterator[tuple[str, str]]:
    """(event suffix, text) per non-empty line of the turns file, else of stdin. A leading BOM is
    not text, and bytes that are not UTF-8 read as U+FFFD: any file gives turns, never a traceback."""
    if turns is not None:
        path = turns.resolve()
        file_id = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                text_id = hashlib.sha256(line.strip().encode()).hexdigest()[:12]
                yield f"{file_id}:{number}:{text_id}", line.strip()
        return
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    for number, line in enumerate(sys.stdin, start=1):
        line = line.removeprefix("\ufeff") if number == 1 else line
        if line.strip():
            yield f"stdin:{uuid.uuid4().hex}", line.strip()


@dataclass(frozen=True)
class LocalIdentity:
    """Who is at the terminal: git's user.email (else the OS user name) and git's user.name."""

    login: str
    display_name: str | None = None


def local_identity(root: Path) -> LocalIdentity:
    config = _git_user_config(root)
    return LocalIdentity(config.get("user.email") or _os_user(), config.get("user.name"))


def _git_user_config(root: Path) -> dict[str, str]:
    """git's user.name and user.email as seen from `root` (repository, global and system config)."""
    try:
        done = subprocess.run(
            ["git", "config", "--get-regexp", r"^user\.(name|email)$"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, or a hung one: the OS user stands in
        return {}
    pairs = (line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return {key: value.strip() for key, value in pairs if value.strip()}


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def record_user(store: MemoryStore, identity: LocalIdentity) -> User:
    """The terminal's user as a row of the memory's users (created, or its last activity set to now)."""
    return store.upsert_user(databricks_user=identity.login, display_name=identity.display_name)


class LocalSession:
    """A ConversationSession plus the working tree it mirrors, driven by one user."""

    def __init__(
        self, session: ConversationSession, inputs: LocalInputs, user: User, turns_file: Path | None = None
    ) -> None:
        self.session = session
        self.inputs = inputs
        self.user = user
        self.turns_file = turns_file  # where the turns come from (None: stdin), for each turn's source
        self.author = user.databricks_user or user.github_login

    def open(self) -> TurnResult | None:
        """Start the thread, or repair the working tree from its committed state; the opening reply."""
        from accelerator.channels.cli.worktree import (
            check_working_tree,
            end_turn,
            remove_stale_temporaries,
        )

        sources = {(self.inputs.root / file).parent for file in self.inputs.initial["sources"]}
        remove_stale_temporaries([*sources, self.inputs.out_dir])  # left by a process killed mid-write
        self.session.open(created_by=self.user.id)
        crash_point("session.opened")
        with self.session.lock():
            crash_point("session.locked")
            state = self.session.state()
            if state is None:
                result = self.session.start(self.inputs.initial)
                self.materialize(result.state, removed=result.removed)
                self.say_gates(result)
                return result
            self.require_own_tree(state)
            check = check_working_tree(self.inputs.root, state)
            if check.stale:
                out.print(f"restored from the memory: {', '.join(check.stale)}")
            if check.hand_edited:
                out.print(f"edited by hand, taken in at the next turn: {', '.join(check.hand_edited)}")
            self.materialize(state, sources=False)
            crash_point("session.materialized")
            end_turn(self.inputs.root, self.inputs.thread_id)
        return None

    def require_own_tree(self, state: ConversationState) -> None:
        """A thread mirrors one working tree: resumed from another, it would take in that tree's
        files and later overwrite the first one's, so it is refused."""
        owner = state.get("worktree")
        if owner is not None and owner != str(self.inputs.root):
            raise AcceleratorError(
                f"thread {self.inputs.thread_id} belongs to the working tree {owner}, not to {self.inputs.root}",
                hint=f"run `accelerator chat --resume {self.inputs.thread_id}` in {owner}, "
                "or start this tree's own thread (without --resume)",
            )

    def turn(self, event: str, text: str) -> TurnResult:
        from accelerator.agent.state import Turn
        from accelerator.channels.cli.worktree import begin_turn, check_working_tree, end_turn

        turn = Turn(
            event=f"{self.inputs.thread_id}:{event}",
            text=text,
            author=self.author,
            user_id=self.user.id,
            source=self.turn_source(event),
            commit_sha=head_commit(self.inputs.root),
        )
        turn = self.session.propose(turn)  # a slow model holds neither the lock nor a transaction
        root, thread = self.inputs.root, self.inputs.thread_id
        with self.session.lock():
            state = self.session.state()
            assert state is not None  # open() started the thread
            check = check_working_tree(root, state)
            if check.hand_edited:
                turn["adopted"] = check.hand_edited
            begin_turn(root, thread, {**state["sources"], **check.hand_edited})
            result = self.session.turn(turn)
            self.materialize(result.state, removed=result.removed)
            end_turn(root, thread)
        crash_point("turn.unlocked")
        self.say_gates(result)
        return result

    def turn_source(self, event: str) -> dict[str, Any]:
        """The event a turn came from, as the memory stores it: a line of the turns file, or stdin."""
        if self.turns_file is None or event.startswith("stdin:"):
            return {"kind": "stdin"}
        line = int(event.split(":")[1])  # `turn_lines`: <file id>:<line number>:<text id>
        return {"kind": "turns-file", "file": _key(self.inputs.root, self.turns_file), "line": line}

    def materialize(
        self, state: ConversationState, *, sources: bool = True, removed: Sequence[str] = ()
    ) -> None:
        """Write the committed state: its sources, and the files the agent generated for it (each
        environment's versioned migrations and migrations.sum among them); delete the generated
        files its turn took away (`removed`: a migration withdrawn by an undo)."""
        from accelerator.channels.cli.history import record_conversation_approvals
        from accelerator.channels.cli.worktree import write_generated, write_sources

        if sources:
            write_sources(self.inputs.root, state["sources"], inside=self.inputs.config)
        record_conversation_approvals(self.inputs.config, state.get("approvals") or [])
        generation = self.session.generation(state)
        if generation is not None:
            write_generated(self.inputs.out_dir, generation.files, inside=self.inputs.config)
            remove_generated(
                self.inputs.out_dir, [p for p in removed if p not in generation.files], self.inputs.config
            )

    def say_gates(self, result: TurnResult) -> None:
        """As generate and check do: each new migration's destructive change that no approval
        (approvals.json, read now: `allow` may have run since) nor the policy allows."""
        from accelerator.channels.cli.history import read_approvals
        from accelerator.generate import MigrationHistory, migration_gates
        from accelerator.report import location

        generation = result.generation
        if generation is None or not generation.added:
            return
        approvals = read_approvals(self.inputs.out_dir, self.inputs.config)
        history = MigrationHistory(None, approvals=approvals, output=self.inputs.config.output)
        added = {path: generation.files[path] for path in generation.added}
        for finding in migration_gates(generation.governed, added, history):
            out.print(f"{location(finding)}: error {finding.rule}: {finding.message}", markup=False)


def remove_generated(out_dir: Path, removed: Sequence[str], config: ProjectConfig) -> None:
    """Delete generated files the agent took away; only under `sql/` (migrations, their sum, an
    environment's baseline), and never through a link out of the repository."""
    for relative in removed:
        if not relative.startswith("sql/") or ".." in relative.split("/"):
            continue
        path = out_dir / relative
        config.inside_root(path.absolute(), setting=("output",))
        path.unlink(missing_ok=True)


def base_history(inputs: LocalInputs) -> MigrationHistory:
    """The migrations the working tree's output directory holds, for a new thread's opening: each
    environment's `V` files and sum, its baseline if it lags, model.json and the approvals."""
    from dataclasses import replace

    from accelerator.channels.cli.history import read_history
    from accelerator.channels.cli.project import read_baselines

    sql = inputs.out_dir / "sql"
    environments = (
        sorted({*inputs.config.environments, *(p.name for p in sql.iterdir() if p.is_dir())})
        if sql.is_dir()
        else list(inputs.config.environments)
    )
    history = read_history(inputs.out_dir, environments, inputs.config)
    return replace(history, baselines=read_baselines(inputs.out_dir, environments, inputs.config))


def head_commit(root: Path) -> str | None:
    """The commit the working tree is at (`git rev-parse HEAD`); None outside a git repository or
    before its first commit."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, or a hung one: no commit to name
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def propose_from_chat(
    local: LocalSession, store: MemoryStore, title: str, repo: str | None, base: str | None
) -> bool:
    """`propose` in the conversation: open (or update) its pull request; False when it could not."""
    out.print(f"\n> propose{f' {title!r}' if title else ''}", style="bold cyan", markup=False)
    try:
        repository = repository_of(local.inputs.root, repo)
        github = github_from_env()
        proposal = propose_session(
            local.session,
            store,
            github,
            repository,
            thread=local.inputs.thread_id,
            project=local.inputs.config.project,
            output=_key(local.inputs.root, local.inputs.out_dir),
            title=title or None,
            base=base,
        )
    except AcceleratorError as error:
        err.print(error.format(), markup=False)
        return False
    print_proposal(proposal)
    return True


def print_turn(number: int, text: str, result: TurnResult) -> None:
    from accelerator.agent.limits import echo

    out.print(f"\n> {echo(text)}", style="bold cyan", markup=False, end="")
    done = f"already done earlier; {result.since}" if result.since else "already done"
    out.print(f" ({done})" if result.duplicate else "", style="dim", markup=False)
    out.print(result.reply, markup=False)
    del number


@commands.command()
def chat(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    dialect: DialectOption = None,
    resume: Annotated[str | None, typer.Option("--resume", help="thread id to continue")] = None,
    turns: Annotated[
        Path | None, typer.Option("--turns", help="one turn per non-empty line (default: stdin)")
    ] = None,
    database_url: DatabaseUrlOption = None,
    terraform: Annotated[
        bool, typer.Option("--terraform/--no-terraform", help="synthesize Terraform every turn (slow)")
    ] = False,
    repo: Annotated[
        str | None, typer.Option("--repo", help="OWNER/REPO `propose` opens its PR in (default: origin)")
    ] = None,
    base: Annotated[str | None, typer.Option("--base", help="the branch `propose` targets")] = None,
) -> None:
    """Talk to the agent about this working tree: edits land in the ERD/policy and regenerate."""
    from accelerator.agent.llm import configured_model
    from accelerator.agent.session import ConversationSession
    from accelerator.memory import open_pool
    from accelerator.memory.pool import check_connection, unreachable

    try:
        inputs = read_inputs(config, erd, policy, dialect)
        if turns is not None and not turns.is_file():
            raise AcceleratorError(f"turns file {turns} not found", hint="one command per line")
        if resume:
            inputs.thread_id = inputs.initial["thread_id"] = resume
        source, _ = memory_source(config, database_url)
        check_connection(source)
        pool = open_pool(source, min_size=1, max_size=4)
    except AcceleratorError as error:
        fail(error)
    rejected = 0
    try:
        from accelerator.memory import MemoryStore

        store = MemoryStore(pool, source.schema)
        store.migrate()
        user = record_user(store, local_identity(inputs.root))
        session = ConversationSession(
            pool,
            inputs.thread_id,
            schema=source.schema,
            llm=configured_model(),
            terraform=terraform and inputs.config.terraform.enabled,
            backend=inputs.config.terraform.backend,
            output_prefix=_key(inputs.root, inputs.out_dir),
            history=base_history(inputs),
        )
        local = LocalSession(session, inputs, user, turns.resolve() if turns is not None else None)
        opening = local.open()
        out.print(f"[bold]session {inputs.thread_id}[/bold]")
        if opening is not None:
            out.print(opening.reply, markup=False)
        for number, (event, text) in enumerate(turn_lines(turns), start=1):
            title = proposal_title(text)
            if title is not None:
                rejected += not propose_from_chat(local, store, title, repo, base)
                continue
            result = local.turn(event, text)
            print_turn(number, text, result)
            rejected += result.rejected
            crash_point("turn.replied")
    except AcceleratorError as error:
        fail(error)
    except (psycopg.OperationalError, PoolTimeout) as error:  # the database went away mid-session
        fail(unreachable(source, error))
    finally:
        pool.close()
    if turns is not None and rejected:
        err.print(f"{rejected} turn(s) rejected: nothing of them was applied", markup=False)
        raise typer.Exit(EXIT_FINDINGS)


@commands.command()
def propose(
    config: ConfigOption = None,
    erd: ErdOption = None,
    policy: PolicyOption = None,
    dialect: DialectOption = None,
    resume: Annotated[str | None, typer.Option("--resume", help="thread id to propose")] = None,
    title: TitleOption = None,
    base: BaseOption = None,
    repo: RepoOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Open a pull request with this working tree's conversation: its edits and regenerated files
    (`propose.py`); comments on it continue the conversation."""
    from accelerator.agent.session import ConversationSession
    from accelerator.memory import MemoryStore, open_pool
    from accelerator.memory.pool import check_connection, unreachable

    try:
        inputs = read_inputs(config, erd, policy, dialect)
        if resume:
            inputs.thread_id = inputs.initial["thread_id"] = resume
        repository = repository_of(inputs.root, repo)
        github = github_from_env()
        source, _ = memory_source(config, database_url)
        check_connection(source)
        pool = open_pool(source, min_size=1, max_size=2)
    except AcceleratorError as error:
        fail(error)
    try:
        store = MemoryStore(pool, source.schema)
        store.migrate()
        output = _key(inputs.root, inputs.out_dir)
        session = ConversationSession(
            pool,
            inputs.thread_id,
            schema=source.schema,
            backend=inputs.config.terraform.backend,  # no Terraform: as `chat` by default
            output_prefix=output,
            history=base_history(inputs),
        )
        proposal = propose_session(
            session,
            store,
            github,
            repository,
            thread=inputs.thread_id,
            project=inputs.config.project,
            output=output,
            title=title,
            base=base,
        )
        print_proposal(proposal)
    except AcceleratorError as error:
        fail(error)
    except (psycopg.OperationalError, PoolTimeout) as error:
        fail(unreachable(source, error))
    finally:
        pool.close()
